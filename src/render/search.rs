//! `citeseek search`: a hit and the whole answer in the JSON contract (which `serve`'s API
//! extends), and the human layout of hits with their highlights and citations.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::shared::{round3, CitationOut, SourceOut};
use super::style::{colors, highlight};
use super::terminal::sanitize;
use crate::config::OutputStyle;
use crate::hybrid::RankMode;
use crate::link::Scope;
use crate::search::{Hit, SearchResults, Understanding};

/// One search hit in the JSON contract.
#[derive(Debug, Serialize)]
pub struct HitOut {
    pub rank: usize,
    pub score: f32,
    pub passage_id: String,
    pub kind: &'static str,
    pub doc: String,
    pub title: String,
    pub section: Vec<String>,
    pub source: SourceOut,
    pub text: String,
    /// Alt text of the section's images attached to this passage (searched, not shown).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub alt: String,
    pub snippet: String,
    pub highlights: Vec<[usize; 2]>,
    /// The snippet cut at its highlights (`serve`'s API only; the CLI leaves it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<SegmentOut>>,
    pub citations: Vec<CitationOut>,
}

impl HitOut {
    pub fn new(hit: &Hit, corpus: &Path) -> HitOut {
        let p = &hit.passage.passage;
        HitOut {
            rank: hit.rank,
            score: round3(hit.score),
            passage_id: p.id.clone(),
            kind: p.kind.as_str(),
            doc: p.doc.clone(),
            title: p.title.clone(),
            section: p.section.clone(),
            source: SourceOut::of(&hit.passage, corpus),
            text: p.text.clone(),
            alt: p.alt.clone(),
            snippet: hit.snippet.clone(),
            highlights: hit.highlights.iter().map(|&(a, b)| [a, b]).collect(),
            segments: None,
            citations: hit
                .passage
                .citations
                .iter()
                .map(CitationOut::from)
                .collect(),
        }
    }
}

/// A piece of a snippet: highlighted (`mark`) or not. Pieces joined give the snippet back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentOut {
    pub text: String,
    pub mark: bool,
}

/// `snippet` cut at the character ranges `highlights` (Unicode scalar offsets, as
/// `search --json` gives them): the pieces in order, each marked or not, none empty.
/// Overlapping or out-of-range highlights are clipped, never a panic.
pub fn segments(snippet: &str, highlights: &[[usize; 2]]) -> Vec<SegmentOut> {
    let chars: Vec<char> = snippet.chars().collect();
    let mut marked = vec![false; chars.len()];
    for &[a, b] in highlights {
        for m in marked.iter_mut().take(b.min(chars.len())).skip(a) {
            *m = true;
        }
    }
    let mut out: Vec<SegmentOut> = Vec::new();
    for (c, m) in chars.into_iter().zip(marked) {
        match out.last_mut() {
            Some(last) if last.mark == m => last.text.push(c),
            _ => out.push(SegmentOut {
                text: c.to_string(),
                mark: m,
            }),
        }
    }
    out
}

/// `citeseek search --json`.
#[derive(Debug, Serialize)]
pub struct SearchOut {
    pub query: String,
    /// How the hits were ranked: `hybrid`, `lexical` or `semantic`.
    pub mode: &'static str,
    pub hits: Vec<HitOut>,
    /// The query with its corrections; only when a word was corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// Words with no exact match and the index words searched instead; only when any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub corrected: Vec<CorrectionOut>,
    /// Words and phrases also searched with their synonyms; only when any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expanded: Vec<ExpansionOut>,
}

impl SearchOut {
    /// The object of `search --json` for `hits`, with what was made of the query.
    pub fn new(
        query: &str,
        hits: &[Hit],
        understood: &Understanding,
        mode: RankMode,
        corpus: &Path,
    ) -> SearchOut {
        SearchOut {
            query: query.to_string(),
            mode: mode.as_str(),
            hits: hits.iter().map(|h| HitOut::new(h, corpus)).collect(),
            suggestion: understood.suggestion.clone(),
            corrected: understood
                .corrected
                .iter()
                .map(|c| CorrectionOut {
                    from: c.from.clone(),
                    to: c.to.clone(),
                })
                .collect(),
            expanded: understood
                .expanded
                .iter()
                .map(|e| ExpansionOut {
                    from: e.from.clone(),
                    to: e.to.clone(),
                })
                .collect(),
        }
    }
}

/// A corrected query word in `search --json`.
#[derive(Debug, Serialize)]
pub struct CorrectionOut {
    pub from: String,
    pub to: String,
}

/// A query word or phrase and its synonyms in `search --json`.
#[derive(Debug, Serialize)]
pub struct ExpansionOut {
    pub from: String,
    pub to: Vec<String>,
}

/// Write search results.
pub fn search<W: Write>(
    w: &mut W,
    query: &str,
    results: &SearchResults,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = SearchOut::new(
        query,
        &results.hits,
        &results.understood,
        results.mode,
        corpus,
    );
    if style.json {
        return super::json_line(w, &out);
    }
    if let Some(suggestion) = &out.suggestion {
        writeln!(w, "did you mean: {}?", sanitize(suggestion))?;
    }
    if out.hits.is_empty() {
        return writeln!(w, "no passages match {:?}", sanitize(query));
    }
    for hit in &out.hits {
        human_hit(w, hit, style.color)?;
    }
    Ok(())
}

fn human_hit<W: Write>(w: &mut W, hit: &HitOut, color: bool) -> io::Result<()> {
    let (b, d, c, r) = colors(color);
    let mut heading: Vec<&str> = vec![hit.title.as_str()];
    heading.extend(hit.section.iter().map(String::as_str));
    let kind = if hit.kind == "reference" {
        " [reference]"
    } else {
        ""
    };
    writeln!(
        w,
        "{b}{}.{r} {c}{}{r}{kind}",
        hit.rank,
        sanitize(&heading.join(" › "))
    )?;
    writeln!(
        w,
        "   {d}{}:{}{r}",
        sanitize(&hit.source.path),
        hit.source.line
    )?;
    writeln!(w, "   {}", highlight(&hit.snippet, &hit.highlights, color))?;
    for cit in &hit.citations {
        let link = cit
            .doi
            .as_ref()
            .map(|d| format!("https://doi.org/{d}"))
            .or_else(|| cit.url.clone())
            .unwrap_or_default();
        let via = if cit.scope == Scope::Section {
            " (cited in this section)"
        } else {
            ""
        };
        writeln!(
            w,
            "   {d}cites{r} {}{via} {d}{}{r}",
            sanitize(&cit.label),
            sanitize(&link)
        )?;
    }
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cut_the_snippet_at_character_offsets() {
        let seg = |t: &str, mark| SegmentOut {
            text: t.to_string(),
            mark,
        };
        // Offsets count characters, so an emoji (two UTF-16 units, four bytes) moves nothing.
        let s = "\u{1F9D8} ice or heat";
        assert_eq!(
            segments(s, &[[2, 5], [9, 13]]),
            vec![
                seg("\u{1F9D8} ", false),
                seg("ice", true),
                seg(" or ", false),
                seg("heat", true)
            ]
        );
        // Overlapping and out-of-range highlights are clipped; no empty pieces.
        assert_eq!(
            segments("abcdef", &[[1, 3], [2, 4], [5, 99]]),
            vec![
                seg("a", false),
                seg("bcd", true),
                seg("e", false),
                seg("f", true)
            ]
        );
        assert_eq!(segments("", &[[0, 3]]), Vec::<SegmentOut>::new());
        assert_eq!(segments("abc", &[]), vec![seg("abc", false)]);
    }
}
