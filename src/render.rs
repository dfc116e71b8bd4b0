//! Output rendering: the serde structs that make the JSON contract, and the human format
//! (bold highlights on a terminal, plain when piped). Nothing else writes to stdout.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::config::OutputStyle;
use crate::fetch::run::{Added, FetchRun};
use crate::fetch::{Outcome as FetchOutcome, SnapshotDecision};
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
    /// Alt text of the section's images attached to this passage (searched, not shown).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub alt: String,
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
            alt: p.alt.clone(),
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
    crate::sanitize::sanitize_terminal(s)
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

/// One reference in `citeseek fetch --json`.
#[derive(Debug, Serialize)]
pub struct FetchRowOut {
    pub id: String,
    pub url: Option<String>,
    /// `fetched`, `kept` (fetched but the snapshot was kept), `unchanged`, `failed` or `skipped`.
    pub result: &'static str,
    pub detail: String,
    pub found: Vec<String>,
    pub missing: Vec<String>,
    pub differs: Vec<DiffOut>,
    pub updated: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DiffOut {
    pub field: String,
    pub record: String,
    pub page: String,
}

/// `citeseek fetch --json`.
#[derive(Debug, Serialize)]
pub struct FetchOut {
    pub references: Vec<FetchRowOut>,
    pub fetched: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub skipped: usize,
    pub offline: bool,
}

impl FetchOut {
    pub fn new(run: &FetchRun) -> FetchOut {
        let mut out = FetchOut {
            references: Vec::new(),
            fetched: 0,
            unchanged: 0,
            failed: 0,
            skipped: 0,
            offline: run.offline_fallback,
        };
        for row in &run.rows {
            let (result, detail) = match &row.outcome {
                FetchOutcome::Fetched { decision, .. } => match decision {
                    SnapshotDecision::Written { bytes } => {
                        ("fetched", format!("snapshot written ({bytes} bytes)"))
                    }
                    SnapshotDecision::Unchanged => {
                        ("unchanged", "page identical to the snapshot".to_string())
                    }
                    SnapshotDecision::KeptExisting { reason } => {
                        ("kept", format!("previous snapshot kept: {reason}"))
                    }
                },
                FetchOutcome::Unchanged => ("unchanged", "304 Not Modified".to_string()),
                FetchOutcome::Failed { error } => ("failed", error.to_string()),
                FetchOutcome::Skipped { reason } => ("skipped", reason.clone()),
            };
            match result {
                "fetched" | "kept" => out.fetched += 1,
                "unchanged" => out.unchanged += 1,
                "failed" => out.failed += 1,
                _ => out.skipped += 1,
            }
            let cmp = row.comparison.clone().unwrap_or_default();
            out.references.push(FetchRowOut {
                id: row.id.clone(),
                url: row.url.clone(),
                result,
                detail: sanitize(&detail),
                found: cmp.found,
                missing: cmp.missing,
                differs: cmp
                    .differs
                    .into_iter()
                    .map(|(field, record, page)| DiffOut {
                        field,
                        record: sanitize(&record),
                        page: sanitize(&page),
                    })
                    .collect(),
                updated: row.updated.clone(),
            });
        }
        out
    }
}

/// `citeseek fetch --json`.
pub fn fetch_json<W: Write>(w: &mut W, run: &FetchRun) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &FetchOut::new(run))?;
    writeln!(w)
}

/// The table printed after fetching: one row per reference, then the totals.
pub fn fetch_report<W: Write>(w: &mut W, run: &FetchRun, color: bool) -> io::Result<()> {
    let (b, d, r) = if color {
        (BOLD, DIM, RESET)
    } else {
        ("", "", "")
    };
    let out = FetchOut::new(run);
    let width = out
        .references
        .iter()
        .map(|x| x.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    writeln!(w, "{b}{:<width$}  {:<9}  detail{r}", "id", "result")?;
    for row in &out.references {
        writeln!(
            w,
            "{:<width$}  {:<9}  {}",
            sanitize(&row.id),
            row.result,
            row.detail
        )?;
        if !row.found.is_empty() {
            writeln!(
                w,
                "{:<width$}  {:<9}  {d}page gives: {}{r}",
                "",
                "",
                row.found.join(", ")
            )?;
        }
        if !row.updated.is_empty() {
            writeln!(
                w,
                "{:<width$}  {:<9}  added to references.json: {}",
                "",
                "",
                row.updated.join(", ")
            )?;
        } else if !row.missing.is_empty() {
            writeln!(
                w,
                "{:<width$}  {:<9}  missing in references.json: {} (--update-metadata adds them)",
                "",
                "",
                row.missing.join(", ")
            )?;
        }
        for diff in &row.differs {
            writeln!(
                w,
                "{:<width$}  {:<9}  differs: {}: references.json {:?}, page {:?}",
                "", "", diff.field, diff.record, diff.page
            )?;
        }
    }
    writeln!(
        w,
        "fetched {}, unchanged {}, failed {}, skipped {}",
        out.fetched, out.unchanged, out.failed, out.skipped
    )
}

/// The result of `citeseek add`.
pub fn added<W: Write>(w: &mut W, added: &Added, corpus: &Path, json: bool) -> io::Result<()> {
    if json {
        serde_json::to_writer(&mut *w, &added.record)?;
        return writeln!(w);
    }
    writeln!(
        w,
        "added {} (metadata from the {})",
        sanitize(&added.id),
        added.source
    )?;
    writeln!(w, "  {}", sanitize(&added.citation))?;
    match &added.snapshot {
        Some((path, decision)) => {
            let rel = path.strip_prefix(corpus).map_or_else(
                |_| path.display().to_string(),
                |p| display_path(corpus, &p.to_string_lossy()),
            );
            let what = match decision {
                SnapshotDecision::Written { bytes } => format!("written ({bytes} bytes)"),
                SnapshotDecision::Unchanged => "unchanged".to_string(),
                SnapshotDecision::KeptExisting { reason } => format!("kept: {}", sanitize(reason)),
            };
            writeln!(w, "  snapshot {rel} {what}")
        }
        None => writeln!(w, "  no snapshot (the page had no usable text)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_escapes_and_controls() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("x\x1b]0;title\x07y"), "xy");
        assert_eq!(sanitize("c\r\x08d\u{9b}1me"), "cde");
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
