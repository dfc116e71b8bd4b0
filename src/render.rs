//! Output rendering: the serde structs that make the JSON contract, and the human format
//! (bold highlights on a terminal, plain when piped). Nothing else writes to stdout.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::benchmark::EvalReport;
use crate::config::OutputStyle;
use crate::link::{Citation, Scope};
use crate::search::Hit;

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// Where a passage comes from.
#[derive(Debug, Serialize)]
pub struct SourceOut {
    pub path: String,
    pub line: usize,
    pub url: Option<String>,
}

/// A citation as printed.
#[derive(Debug, Serialize)]
pub struct CitationOut {
    pub id: String,
    pub label: String,
    pub url: Option<String>,
    pub doi: Option<String>,
    /// `passage` when the passage links to it, `section` when its section does.
    pub scope: Scope,
}

impl From<&Citation> for CitationOut {
    fn from(c: &Citation) -> CitationOut {
        CitationOut {
            id: c.id.clone(),
            label: c.label.clone(),
            url: c.url.clone(),
            doi: c.doi.clone(),
            scope: c.scope,
        }
    }
}

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
    pub snippet: String,
    pub highlights: Vec<[usize; 2]>,
    pub citations: Vec<CitationOut>,
}

/// `citeseek search --json`.
#[derive(Debug, Serialize)]
pub struct SearchOut {
    pub query: String,
    pub hits: Vec<HitOut>,
}

impl HitOut {
    pub fn new(hit: &Hit, corpus: &Path) -> HitOut {
        let p = &hit.passage.passage;
        HitOut {
            rank: hit.rank,
            score: (hit.score * 1000.0).round() / 1000.0,
            passage_id: p.id.clone(),
            kind: p.kind.as_str(),
            doc: p.doc.clone(),
            title: p.title.clone(),
            section: p.section.clone(),
            source: SourceOut {
                path: display_path(corpus, &p.path),
                line: p.line,
                url: p.url.clone(),
            },
            text: p.text.clone(),
            snippet: hit.snippet.clone(),
            highlights: hit.highlights.iter().map(|&(a, b)| [a, b]).collect(),
            citations: hit
                .passage
                .citations
                .iter()
                .map(CitationOut::from)
                .collect(),
        }
    }
}

/// A corpus-relative path joined to the corpus directory as the user named it.
pub fn display_path(corpus: &Path, rel: &str) -> String {
    let joined = corpus.join(rel);
    let s = joined.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Remove control characters and escape sequences so corpus text cannot drive the terminal.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Skip an escape sequence: ESC [ … final byte, ESC ] … BEL/ST, or ESC + one char.
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    for n in chars.by_ref() {
                        if ('@'..='~').contains(&n) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    while let Some(n) = chars.next() {
                        if n == '\x07' || (n == '\x1b' && chars.peek() == Some(&'\\')) {
                            chars.next_if_eq(&'\\');
                            break;
                        }
                    }
                }
                _ => {
                    chars.next();
                }
            }
        } else if c == '\n' || c == '\t' || !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// Write search results.
pub fn search<W: Write>(
    w: &mut W,
    query: &str,
    hits: &[Hit],
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = SearchOut {
        query: query.to_string(),
        hits: hits.iter().map(|h| HitOut::new(h, corpus)).collect(),
    };
    if style.json {
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
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
    let (b, d, c, r) = if color {
        (BOLD, DIM, CYAN, RESET)
    } else {
        ("", "", "", "")
    };
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

/// The snippet with its highlighted character ranges in bold (or plain without colour);
/// newlines become " / " so a hit stays compact.
pub fn highlight(snippet: &str, ranges: &[[usize; 2]], color: bool) -> String {
    let mut out = String::with_capacity(snippet.len() + ranges.len() * 8);
    let mut in_bold = false;
    for (i, ch) in snippet.chars().enumerate() {
        if color {
            let starts = ranges.iter().any(|r| r[0] == i);
            let ends = ranges.iter().any(|r| r[1] == i);
            if ends && in_bold {
                out.push_str(RESET);
                in_bold = false;
            }
            if starts && !in_bold {
                out.push_str(BOLD);
                in_bold = true;
            }
        }
        match ch {
            '\n' => out.push_str(" / "),
            c if c.is_control() || c == '\x1b' => {}
            c => out.push(c),
        }
    }
    if in_bold {
        out.push_str(RESET);
    }
    out
}

/// `citeseek eval --json`: the contract keys, then extras.
#[derive(Debug, Serialize)]
pub struct EvalOut {
    /// Judged queries scored.
    pub queries: usize,
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
    #[serde(rename = "recall@10")]
    pub recall_at_10: f64,
    #[serde(rename = "recall@100")]
    pub recall_at_100: f64,
    #[serde(rename = "mrr@10")]
    pub mrr_at_10: f64,
    /// Queries per second in the query phase, one thread.
    pub qps: f64,
    /// Reading the corpus and building the index.
    pub index_seconds: f64,
    /// Median time of one query phase.
    pub query_seconds: f64,
    /// How many times the query phase ran.
    pub repeat: usize,
    /// The extra cutoff of `--k`, with nDCG and MRR at it.
    pub k: usize,
    #[serde(rename = "ndcg@k")]
    pub ndcg_at_k: f64,
    #[serde(rename = "mrr@k")]
    pub mrr_at_k: f64,
    pub documents: usize,
    /// Queries without judgements, not run.
    pub unjudged_queries: usize,
    /// Judged queries with no searchable word (scored 0).
    pub unusable_queries: usize,
    /// Malformed query lines skipped.
    pub malformed_lines: usize,
    /// Where the index was kept (`--index`), else null.
    pub index: Option<String>,
}

impl EvalOut {
    pub fn new(r: &EvalReport) -> EvalOut {
        EvalOut {
            queries: r.at10.queries,
            ndcg_at_10: r.at10.ndcg_at_10,
            recall_at_10: r.at10.recall_at_10,
            recall_at_100: r.at10.recall_at_100,
            mrr_at_10: r.at10.mrr_at_10,
            qps: r.qps,
            index_seconds: r.index_seconds,
            query_seconds: r.query_seconds,
            repeat: r.repeat,
            k: r.at_k.k,
            ndcg_at_k: r.at_k.ndcg_at_10,
            mrr_at_k: r.at_k.mrr_at_10,
            documents: r.documents,
            unjudged_queries: r.unjudged,
            unusable_queries: r.unusable,
            malformed_lines: r.warnings.len(),
            index: r.index.as_ref().map(|p| p.to_string_lossy().into_owned()),
        }
    }
}

/// Write an evaluation report.
pub fn eval<W: Write>(w: &mut W, report: &EvalReport, style: OutputStyle) -> io::Result<()> {
    let out = EvalOut::new(report);
    if style.json {
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
    }
    writeln!(w, "queries      {}", out.queries)?;
    writeln!(w, "nDCG@10      {:.4}", out.ndcg_at_10)?;
    writeln!(w, "Recall@10    {:.4}", out.recall_at_10)?;
    writeln!(w, "Recall@100   {:.4}", out.recall_at_100)?;
    writeln!(w, "MRR@10       {:.4}", out.mrr_at_10)?;
    if out.k != 10 {
        writeln!(w, "nDCG@{:<7}{:.4}", out.k, out.ndcg_at_k)?;
        writeln!(w, "MRR@{:<8}{:.4}", out.k, out.mrr_at_k)?;
    }
    writeln!(
        w,
        "QPS          {:.0} (query phase, one thread, {:.3} s; median of {})",
        out.qps, out.query_seconds, out.repeat
    )?;
    writeln!(
        w,
        "indexing     {:.2} s ({} documents)",
        out.index_seconds, out.documents
    )?;
    if out.unjudged_queries > 0 || out.unusable_queries > 0 {
        writeln!(
            w,
            "skipped      {} queries without judgements; {} judged queries with no searchable word",
            out.unjudged_queries, out.unusable_queries
        )?;
    }
    if let Some(dir) = &out.index {
        writeln!(w, "index kept in {}", sanitize(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_escapes_and_controls() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("x\x1b]0;title\x07y"), "xy");
        assert_eq!(sanitize("c\r\x08d\u{9b}e"), "cde");
        assert_eq!(sanitize("line\nnext"), "line\nnext");
    }

    #[test]
    fn highlight_marks_ranges_only_with_color() {
        assert_eq!(
            highlight("use ice or heat", &[[4, 7], [11, 15]], false),
            "use ice or heat"
        );
        assert_eq!(
            highlight("use ice or heat", &[[4, 7], [11, 15]], true),
            "use \x1b[1mice\x1b[0m or \x1b[1mheat\x1b[0m"
        );
        assert_eq!(highlight("a\nb", &[], false), "a / b");
    }

    #[test]
    fn display_path_joins_corpus_dir() {
        assert_eq!(
            display_path(Path::new("corpus"), "guide/a.html"),
            "corpus/guide/a.html"
        );
        assert_eq!(
            display_path(Path::new("./corpus"), "guide/a.html"),
            "corpus/guide/a.html"
        );
    }
}
