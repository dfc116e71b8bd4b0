//! Output rendering: the serde structs that make the JSON contract, and the human format
//! (bold highlights on a terminal, plain when piped). Nothing else writes to stdout.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::audit::AuditReport;
use crate::benchmark::EvalReport;
use crate::cite::{CiteResult, Evidence};
use crate::config::OutputStyle;
use crate::fetch::run::{Added, FetchRun};
use crate::fetch::{Outcome as FetchOutcome, SnapshotDecision};
use crate::hybrid::RankMode;
use crate::link::{is_references_section, Citation, CitedPassage, Scope};
use crate::references::{CitationStyle, Reference};
use crate::refs::{Catalog, UnlistedSource};
use crate::search::{truncate_chars, Hit, SearchResults, Understanding};

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
    /// The snippet cut at its highlights (`serve`'s API only; the CLI leaves it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<SegmentOut>>,
    pub citations: Vec<CitationOut>,
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

/// `GET /api/v1/search`: the object of `search --json`, with every hit's `segments`, the
/// number of matching passages and the time the search took.
#[derive(Debug, Serialize)]
pub struct ApiSearchOut {
    #[serde(flatten)]
    pub search: SearchOut,
    /// Passages matching the query and filters, of which `hits` is the page from `offset`.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub took_ms: f64,
}

impl ApiSearchOut {
    pub fn new(search: SearchOut, total: usize, offset: usize, limit: usize) -> ApiSearchOut {
        let mut search = search;
        for hit in &mut search.hits {
            hit.segments = Some(segments(&hit.snippet, &hit.highlights));
        }
        ApiSearchOut {
            search,
            total,
            offset,
            limit,
            took_ms: 0.0,
        }
    }
}

/// `GET /api/v1/passages/{id}`: one stored passage with its citations.
#[derive(Debug, Serialize)]
pub struct PassageOut {
    pub passage_id: String,
    pub kind: &'static str,
    pub doc: String,
    pub title: String,
    pub section: Vec<String>,
    pub text: String,
    pub source: SourceOut,
    pub citations: Vec<CitationOut>,
}

impl PassageOut {
    pub fn new(p: &CitedPassage, corpus: &Path) -> PassageOut {
        PassageOut {
            passage_id: p.passage.id.clone(),
            kind: p.passage.kind.as_str(),
            doc: p.passage.doc.clone(),
            title: p.passage.title.clone(),
            section: p.passage.section.clone(),
            text: p.passage.text.clone(),
            source: source_out(p, corpus),
            citations: p.citations.iter().map(CitationOut::from).collect(),
        }
    }
}

/// `GET /api/v1/health`: the generation being served and what it holds.
#[derive(Debug, Serialize)]
pub struct HealthOut {
    pub status: &'static str,
    pub version: &'static str,
    pub generation: String,
    pub passages: u64,
    pub references: usize,
}

/// The body of an API error: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
}

/// An API error response.
#[derive(Debug, Serialize)]
pub struct ApiErrorOut {
    pub error: ApiErrorBody,
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

/// A corpus-relative path joined to the corpus directory as the user named it.
pub fn display_path(corpus: &Path, rel: &str) -> String {
    let joined = corpus.join(rel);
    let s = joined.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// A note on stderr (progress, what happened), sanitised like all output.
pub fn note(msg: &str) {
    eprintln!("citeseek: {}", sanitize(msg));
}

/// A warning on stderr.
pub fn warning(msg: &str) {
    eprintln!("citeseek: warning: {}", sanitize(msg));
}

/// The body of `{"error": …}`, printed on stdout under `--json` when a command fails.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub kind: &'a str,
    pub message: &'a str,
    pub hint: Option<&'a str>,
}

/// `{"error": {"kind", "message", "hint"}}`: a failure under `--json`.
#[derive(Debug, Serialize)]
pub struct ErrorOut<'a> {
    pub error: ErrorBody<'a>,
}

/// Write a failure as one JSON object (data as it is: JSON escapes what a terminal cannot take).
pub fn error_json<W: Write>(w: &mut W, failure: &crate::failure::Failure) -> io::Result<()> {
    let out = ErrorOut {
        error: ErrorBody {
            kind: failure.kind,
            message: &failure.message,
            hint: failure.hint.as_deref(),
        },
    };
    serde_json::to_writer(&mut *w, &out)?;
    writeln!(w)
}

/// Remove control characters and escape sequences so corpus text cannot drive the terminal.
pub fn sanitize(s: &str) -> String {
    crate::sanitize::sanitize_terminal(s)
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
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
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

// ---------------------------------------------------------------------------
// cite
// ---------------------------------------------------------------------------

/// One piece of evidence for a cited reference.
#[derive(Debug, Serialize)]
pub struct EvidenceOut {
    pub passage_id: String,
    /// `guide` or `reference`.
    pub kind: &'static str,
    /// `claim` (guide passage making the claim), `description` (References section) or
    /// `source` (the reference's own text).
    pub role: &'static str,
    pub doc: String,
    pub title: String,
    pub section: Vec<String>,
    pub text: String,
    pub snippet: String,
    pub highlights: Vec<[usize; 2]>,
    pub score: f32,
    /// Cosine of the passage with the claim, when ranked by meaning too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cosine: Option<f32>,
    pub source: SourceOut,
}

/// One reference in `cite --json`.
#[derive(Debug, Serialize)]
pub struct CitedReferenceOut {
    pub rank: usize,
    pub id: String,
    pub score: f32,
    pub label: String,
    pub citation: String,
    pub url: Option<String>,
    pub doi: Option<String>,
    pub evidence: Vec<EvidenceOut>,
}

/// `citeseek cite --json`.
#[derive(Debug, Serialize)]
pub struct CiteOut {
    pub claim: String,
    /// How the evidence was ranked: `hybrid`, `lexical` or `semantic`.
    pub mode: &'static str,
    pub references: Vec<CitedReferenceOut>,
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

fn source_out(p: &CitedPassage, corpus: &Path) -> SourceOut {
    SourceOut {
        path: display_path(corpus, &p.passage.path),
        line: p.passage.line,
        url: p.passage.url.clone(),
    }
}

fn reference_url(r: &Reference) -> Option<String> {
    r.url.clone().or_else(|| r.link())
}

impl EvidenceOut {
    fn new(e: &Evidence, corpus: &Path) -> EvidenceOut {
        let p = &e.passage.passage;
        EvidenceOut {
            passage_id: p.id.clone(),
            kind: p.kind.as_str(),
            role: e.role.as_str(),
            doc: p.doc.clone(),
            title: p.title.clone(),
            section: p.section.clone(),
            text: p.text.clone(),
            snippet: e.snippet.clone(),
            highlights: e.highlights.iter().map(|&(a, b)| [a, b]).collect(),
            score: round3(e.score),
            cosine: e.cosine.map(round3),
            source: source_out(&e.passage, corpus),
        }
    }
}

impl CiteOut {
    pub fn new(result: &CiteResult, corpus: &Path) -> CiteOut {
        CiteOut {
            claim: result.claim.clone(),
            mode: result.mode.as_str(),
            references: result
                .references
                .iter()
                .map(|r| CitedReferenceOut {
                    rank: r.rank,
                    id: r.reference.id.clone(),
                    score: round3(r.score),
                    label: r.reference.short_label(),
                    citation: r.citation.clone(),
                    url: reference_url(&r.reference),
                    doi: r.reference.display_doi(),
                    evidence: r
                        .evidence
                        .iter()
                        .map(|e| EvidenceOut::new(e, corpus))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Write the references behind a claim.
pub fn cite<W: Write>(
    w: &mut W,
    result: &CiteResult,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = CiteOut::new(result, corpus);
    if style.json {
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
    }
    if out.references.is_empty() {
        return writeln!(
            w,
            "no reference in the corpus supports this claim: {:?}",
            sanitize(&out.claim)
        );
    }
    let (b, d, c, r) = colors(style.color);
    for cr in &out.references {
        writeln!(w, "{b}{}.{r} {}", cr.rank, sanitize(&cr.citation))?;
        let mut ids = format!("{} · score {:.2}", cr.id, cr.score);
        if let Some(doi) = &cr.doi {
            ids.push_str(&format!(" · doi:{doi}"));
        }
        if let Some(url) = &cr.url {
            ids.push_str(&format!(" · {url}"));
        }
        writeln!(w, "   {d}{}{r}", sanitize(&ids))?;
        for e in &cr.evidence {
            let what = match e.role {
                "claim" => "guide",
                "description" => "listed",
                _ => "source",
            };
            let mut heading: Vec<&str> = Vec::new();
            heading.extend(e.section.iter().map(String::as_str));
            writeln!(
                w,
                "   {c}{what:<7}{r}{d}{}:{}{r} {}",
                sanitize(&e.source.path),
                e.source.line,
                sanitize(&heading.join(" › "))
            )?;
            writeln!(
                w,
                "           {}",
                highlight(&e.snippet, &e.highlights, style.color)
            )?;
        }
        writeln!(w)?;
    }
    Ok(())
}

fn colors(color: bool) -> (&'static str, &'static str, &'static str, &'static str) {
    if color {
        (BOLD, DIM, CYAN, RESET)
    } else {
        ("", "", "", "")
    }
}

// ---------------------------------------------------------------------------
// refs
// ---------------------------------------------------------------------------

/// A guide passage that cites a reference (or an unlisted source).
#[derive(Debug, Serialize)]
pub struct BacklinkOut {
    pub passage_id: String,
    pub doc: String,
    pub title: String,
    pub section: Vec<String>,
    /// The passage is in the guide's References section (it describes the reference).
    pub references_section: bool,
    pub text: String,
    pub source: SourceOut,
}

impl BacklinkOut {
    fn new(p: &CitedPassage, corpus: &Path) -> BacklinkOut {
        BacklinkOut {
            passage_id: p.passage.id.clone(),
            doc: p.passage.doc.clone(),
            title: p.passage.title.clone(),
            section: p.passage.section.clone(),
            references_section: is_references_section(&p.passage.section),
            text: p.passage.text.clone(),
            source: source_out(p, corpus),
        }
    }
}

/// One row of `refs --json`.
#[derive(Debug, Serialize)]
pub struct RefRowOut {
    pub id: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub year: Option<i32>,
    /// Guide passages (outside the References section) citing it.
    pub cited_by: usize,
    /// Listed in the guide's References section.
    pub listed: bool,
    /// Its page snapshot is in the corpus.
    pub snapshot: bool,
    pub url: Option<String>,
    pub doi: Option<String>,
}

/// An unlisted source in `refs --json` and `audit --json`.
#[derive(Debug, Serialize)]
pub struct UnlistedOut {
    pub url: String,
    pub texts: Vec<String>,
    pub cited_by: usize,
    pub passages: Vec<BacklinkOut>,
}

impl UnlistedOut {
    fn new(u: &UnlistedSource, corpus: &Path) -> UnlistedOut {
        UnlistedOut {
            url: u.url.clone(),
            texts: u.texts.clone(),
            cited_by: u.passages.len(),
            passages: u
                .passages
                .iter()
                .map(|p| BacklinkOut::new(p, corpus))
                .collect(),
        }
    }
}

/// `citeseek refs --json`.
#[derive(Debug, Serialize)]
pub struct RefsListOut {
    pub references: Vec<RefRowOut>,
    pub unlisted: Vec<UnlistedOut>,
}

/// `citeseek refs ID --json`.
#[derive(Debug, Serialize)]
pub struct RefShowOut {
    pub id: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub year: Option<i32>,
    pub citation: String,
    pub url: Option<String>,
    pub doi: Option<String>,
    pub snapshot: bool,
    /// Guide passages outside the References section that cite it themselves (as in `refs`).
    pub cited_by: usize,
    /// Every guide passage citing it, the References section's entry included.
    pub backlinks: Vec<BacklinkOut>,
}

impl RefsListOut {
    pub fn new(catalog: &Catalog, corpus: &Path) -> RefsListOut {
        RefsListOut {
            references: catalog
                .entries()
                .iter()
                .map(|e| RefRowOut {
                    id: e.reference.id.clone(),
                    label: e.reference.short_label(),
                    kind: e.reference.kind.clone(),
                    year: e.reference.year,
                    cited_by: e.citing,
                    listed: e.described,
                    snapshot: e.snapshot,
                    url: reference_url(e.reference),
                    doi: e.reference.display_doi(),
                })
                .collect(),
            unlisted: catalog
                .unlisted()
                .iter()
                .map(|u| UnlistedOut::new(u, corpus))
                .collect(),
        }
    }
}

impl RefShowOut {
    pub fn new(
        catalog: &Catalog,
        reference: &Reference,
        citation_style: CitationStyle,
        corpus: &Path,
    ) -> RefShowOut {
        RefShowOut {
            id: reference.id.clone(),
            label: reference.short_label(),
            kind: reference.kind.clone(),
            year: reference.year,
            citation: reference.format(citation_style),
            url: reference_url(reference),
            doi: reference.display_doi(),
            snapshot: catalog.has_snapshot(&reference.id),
            cited_by: catalog.citing(&reference.id),
            backlinks: catalog
                .backlinks(&reference.id)
                .iter()
                .map(|p| BacklinkOut::new(p, corpus))
                .collect(),
        }
    }
}

/// Write the reference list, unlisted sources last.
pub fn refs_list<W: Write>(
    w: &mut W,
    catalog: &Catalog,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = RefsListOut::new(catalog, corpus);
    if style.json {
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
    }
    let (b, d, _, r) = colors(style.color);
    let id_width = out.references.iter().map(|x| x.id.len()).max().unwrap_or(2);
    for row in &out.references {
        let mut notes = Vec::new();
        if !row.listed {
            notes.push("not in the References section");
        }
        if !row.snapshot {
            notes.push("no snapshot");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  {d}({}){r}", notes.join(", "))
        };
        writeln!(
            w,
            "{b}{:<id_width$}{r}  {:<28} {:<15} {:>4}  cited by {}{}",
            sanitize(&row.id),
            sanitize(&truncate_chars(&row.label, 28)),
            sanitize(&row.kind),
            row.year
                .map_or_else(|| "n.d.".to_string(), |y| y.to_string()),
            plural(row.cited_by, "passage", "passages"),
            notes
        )?;
    }
    for u in &out.unlisted {
        writeln!(
            w,
            "{b}unlisted{r}  {}  \"{}\"  cited by {}",
            sanitize(&u.url),
            sanitize(&u.texts.join("\", \"")),
            plural(u.cited_by, "passage", "passages")
        )?;
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Write one reference with its full citation and every guide passage citing it.
pub fn refs_show<W: Write>(
    w: &mut W,
    catalog: &Catalog,
    reference: &Reference,
    citation_style: CitationStyle,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = RefShowOut::new(catalog, reference, citation_style, corpus);
    if style.json {
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
    }
    let (b, d, c, r) = colors(style.color);
    writeln!(w, "{b}{}{r}", sanitize(&out.citation))?;
    if let Some(doi) = &out.doi {
        writeln!(w, "{d}doi:{r} {}", sanitize(doi))?;
    }
    if let Some(url) = &out.url {
        writeln!(w, "{d}url:{r} {}", sanitize(url))?;
    }
    // "cited by" means what it means in `refs`: guide passages outside the References
    // section that cite the reference themselves; the References-section entry comes after.
    let (listed, citing): (Vec<&BacklinkOut>, Vec<&BacklinkOut>) =
        out.backlinks.iter().partition(|bl| bl.references_section);
    writeln!(
        w,
        "\ncited by {}{}",
        plural(out.cited_by, "guide passage", "guide passages"),
        if citing.is_empty() { "" } else { ":" }
    )?;
    let write_backlink = |w: &mut W, bl: &BacklinkOut| -> io::Result<()> {
        let mut heading = vec![bl.title.as_str()];
        heading.extend(bl.section.iter().map(String::as_str));
        writeln!(
            w,
            "  {d}{}:{}{r} {c}{}{r}",
            sanitize(&bl.source.path),
            bl.source.line,
            sanitize(&heading.join(" › "))
        )?;
        writeln!(w, "    {}", sanitize(&truncate_chars(&bl.text, 160)))
    };
    for bl in citing {
        write_backlink(w, bl)?;
    }
    if !listed.is_empty() {
        writeln!(w, "\nlisted in the References section:")?;
        for bl in listed {
            write_backlink(w, bl)?;
        }
    }
    Ok(())
}

/// Write an export (BibTeX, CSL-JSON or RIS) as is, ending with a newline.
pub fn export<W: Write>(w: &mut W, text: &str) -> io::Result<()> {
    // Records come from references.json and fetched pages: no escape sequence gets through.
    let text = sanitize(text);
    w.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(w)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// audit
// ---------------------------------------------------------------------------

/// An uncited claim in `audit --json`.
#[derive(Debug, Serialize)]
pub struct UncitedClaimOut {
    pub passage_id: String,
    pub section: Vec<String>,
    pub sentence: String,
    pub reasons: Vec<&'static str>,
    /// References cited elsewhere in the same section.
    pub section_cites: Vec<String>,
    pub source: SourceOut,
}

/// A reference in the unused or dangling lists.
#[derive(Debug, Serialize)]
pub struct AuditRefOut {
    pub id: String,
    pub label: String,
    /// Listed in the guide's References section (unused references).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<bool>,
    /// Guide passages citing it (dangling links).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cited_by: Option<usize>,
}

/// Counts per kind of finding.
#[derive(Debug, Serialize)]
pub struct AuditSummaryOut {
    pub uncited_claims: usize,
    pub unlisted_sources: usize,
    pub unused_references: usize,
    pub dangling_links: usize,
}

/// `citeseek audit --json`.
#[derive(Debug, Serialize)]
pub struct AuditOut {
    pub clean: bool,
    pub summary: AuditSummaryOut,
    pub uncited_claims: Vec<UncitedClaimOut>,
    pub unlisted_sources: Vec<UnlistedOut>,
    pub unused_references: Vec<AuditRefOut>,
    pub dangling_links: Vec<AuditRefOut>,
}

impl AuditOut {
    pub fn new(report: &AuditReport, corpus: &Path) -> AuditOut {
        AuditOut {
            clean: report.is_clean(),
            summary: AuditSummaryOut {
                uncited_claims: report.uncited.len(),
                unlisted_sources: report.unlisted.len(),
                unused_references: report.unused.len(),
                dangling_links: report.dangling.len(),
            },
            uncited_claims: report
                .uncited
                .iter()
                .map(|u| UncitedClaimOut {
                    passage_id: u.passage.passage.id.clone(),
                    section: u.passage.passage.section.clone(),
                    sentence: u.sentence.clone(),
                    reasons: u.reasons.clone(),
                    section_cites: u.section_cites.clone(),
                    source: source_out(u.passage, corpus),
                })
                .collect(),
            unlisted_sources: report
                .unlisted
                .iter()
                .map(|u| UnlistedOut::new(u, corpus))
                .collect(),
            unused_references: report
                .unused
                .iter()
                .map(|u| AuditRefOut {
                    id: u.reference.id.clone(),
                    label: u.reference.short_label(),
                    listed: Some(u.described),
                    cited_by: None,
                })
                .collect(),
            dangling_links: report
                .dangling
                .iter()
                .map(|x| AuditRefOut {
                    id: x.reference.id.clone(),
                    label: x.reference.short_label(),
                    listed: None,
                    cited_by: Some(x.citing),
                })
                .collect(),
        }
    }
}

/// Write the audit report.
pub fn audit<W: Write>(
    w: &mut W,
    report: &AuditReport,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = AuditOut::new(report, corpus);
    if style.json {
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
    }
    let (b, d, c, r) = colors(style.color);
    if out.clean {
        return writeln!(
            w,
            "audit: clean — every claim is cited and every reference is used"
        );
    }
    let s = &out.summary;
    writeln!(
        w,
        "{b}audit:{r} {} uncited claims, {} unlisted sources, {} unused references, {} dangling links\n",
        s.uncited_claims, s.unlisted_sources, s.unused_references, s.dangling_links
    )?;
    if !out.uncited_claims.is_empty() {
        writeln!(w, "{b}Uncited claims{r}")?;
        for u in &out.uncited_claims {
            let hint = if u.section_cites.is_empty() {
                String::new()
            } else {
                format!(
                    " {d}(its section cites {}){r}",
                    sanitize(&u.section_cites.join(", "))
                )
            };
            writeln!(
                w,
                "  {d}{}:{}{r} {c}[{}]{r}{hint}",
                sanitize(&u.source.path),
                u.source.line,
                u.reasons.join(", ")
            )?;
            writeln!(w, "    {}", sanitize(&u.sentence))?;
        }
        writeln!(w)?;
    }
    if !out.unlisted_sources.is_empty() {
        writeln!(
            w,
            "{b}Unlisted sources{r} (cited but missing from references.json)"
        )?;
        for u in &out.unlisted_sources {
            writeln!(
                w,
                "  {}  \"{}\"",
                sanitize(&u.url),
                sanitize(&u.texts.join("\", \""))
            )?;
            for p in &u.passages {
                writeln!(
                    w,
                    "    {d}{}:{}{r}",
                    sanitize(&p.source.path),
                    p.source.line
                )?;
            }
        }
        writeln!(w)?;
    }
    if !out.unused_references.is_empty() {
        writeln!(w, "{b}Unused references{r} (no guide passage cites them)")?;
        for u in &out.unused_references {
            let listed = if u.listed == Some(true) {
                " (only in the References section)"
            } else {
                ""
            };
            writeln!(w, "  {}  {}{listed}", sanitize(&u.id), sanitize(&u.label))?;
        }
        writeln!(w)?;
    }
    if !out.dangling_links.is_empty() {
        writeln!(w, "{b}Dangling links{r} (no page snapshot in the corpus)")?;
        for x in &out.dangling_links {
            writeln!(
                w,
                "  {}  {}  cited by {}",
                sanitize(&x.id),
                sanitize(&x.label),
                plural(x.cited_by.unwrap_or(0), "passage", "passages")
            )?;
        }
    }
    Ok(())
}

// ---- ingest and watch (rebuilding after edits) ----

/// `citeseek ingest --json` (and `--dry-run --json`): what an ingest did or would do.
#[derive(Debug, Serialize)]
pub struct IngestOut {
    /// `full`, `incremental`, `up-to-date` or `dry-run`.
    pub mode: &'static str,
    /// Why everything was (or would be) rebuilt, when that was not asked for.
    pub full_reason: Option<String>,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// Same content, new modification time: not reindexed.
    pub touched: Vec<String>,
    /// Files read and extracted again.
    pub reextracted: usize,
    pub passages_added: usize,
    pub passages_removed: usize,
    /// Passages in the index afterwards.
    pub passages: usize,
    pub elapsed_ms: u128,
    pub warnings: Vec<String>,
    /// Passage texts embedded by this run (0 without a model, or when every vector was
    /// reused).
    pub embedded: usize,
}

impl IngestOut {
    pub fn new(r: &crate::ingest::IngestReport) -> IngestOut {
        IngestOut {
            mode: r.mode.as_str(),
            full_reason: r.full_reason.clone(),
            added: r.changes.added.clone(),
            changed: r.changes.changed.clone(),
            removed: r.changes.removed.clone(),
            touched: r.changes.touched.clone(),
            reextracted: r.reextracted,
            passages_added: r.passages_added,
            passages_removed: r.passages_removed,
            passages: r.stats.passages,
            elapsed_ms: r.elapsed.as_millis(),
            warnings: r.warnings.clone(),
            embedded: r.embedded,
        }
    }
}

/// Write what an ingest did: JSON with `--json`; for `--dry-run` the list of files that would
/// be reindexed; otherwise nothing (the summary goes to stderr).
pub fn ingest<W: Write>(
    w: &mut W,
    report: &crate::ingest::IngestReport,
    style: OutputStyle,
) -> io::Result<()> {
    if style.json {
        serde_json::to_writer(&mut *w, &IngestOut::new(report))?;
        return writeln!(w);
    }
    if report.mode != crate::ingest::Mode::DryRun {
        return Ok(());
    }
    let c = &report.changes;
    for (what, list) in [
        ("added", &c.added),
        ("changed", &c.changed),
        ("removed", &c.removed),
        ("touched", &c.touched),
    ] {
        for path in list {
            writeln!(w, "{what:<8} {}", sanitize(path))?;
        }
    }
    Ok(())
}

/// One line per `watch` update: time, files, passages added/removed, milliseconds.
pub fn watch_update<W: Write>(
    w: &mut W,
    report: &crate::ingest::IngestReport,
    style: OutputStyle,
) -> io::Result<()> {
    if style.json {
        serde_json::to_writer(&mut *w, &IngestOut::new(report))?;
        writeln!(w)?;
        return w.flush();
    }
    let c = &report.changes;
    let mut files: Vec<String> = Vec::new();
    files.extend(c.added.iter().map(|p| format!("+{}", sanitize(p))));
    files.extend(c.changed.iter().map(|p| format!("~{}", sanitize(p))));
    files.extend(c.removed.iter().map(|p| format!("-{}", sanitize(p))));
    let what = match report.mode {
        crate::ingest::Mode::Full => format!(
            "rebuilt ({})",
            report.full_reason.as_deref().unwrap_or("full")
        ),
        _ => "updated".to_string(),
    };
    writeln!(
        w,
        "{what}: {} {} [{}], +{} -{} passages, {} ms",
        c.count(),
        if c.count() == 1 { "file" } else { "files" },
        files.join(" "),
        report.passages_added,
        report.passages_removed,
        report.elapsed.as_millis()
    )?;
    w.flush()
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
    /// How the queries were ranked: `hybrid`, `lexical` or `semantic`.
    pub mode: &'static str,
    /// Passages embedded while indexing (0 when an earlier run's vectors were kept).
    pub embedded: usize,
    /// Seconds spent embedding the queries, before (and not in) the timed query phase.
    pub query_embed_seconds: f64,
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
            mode: r.mode.as_str(),
            embedded: r.embedded,
            query_embed_seconds: r.embed_seconds,
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

/// A kept block of `citeseek extract --json`.
#[derive(Debug, Serialize)]
pub struct ExtractBlockOut {
    /// `heading`, `paragraph`, `list` (one item per line of `text`) or `figure` (alt text).
    pub kind: &'static str,
    /// Heading path, outermost first, without the document title.
    pub section: Vec<String>,
    pub text: String,
    pub line: usize,
}

/// A block left out, in `citeseek extract --json`.
#[derive(Debug, Serialize)]
pub struct ExtractRemovedOut {
    pub reason: String,
    pub text: String,
    pub line: usize,
}

/// `citeseek extract --json`: exactly these keys; `removed` is empty without `--verbose`.
#[derive(Debug, Serialize)]
pub struct ExtractOut {
    pub title: String,
    pub url: Option<String>,
    pub blocks: Vec<ExtractBlockOut>,
    pub removed: Vec<ExtractRemovedOut>,
}

fn block_kind_name(kind: &crate::extract::BlockKind) -> &'static str {
    use crate::extract::BlockKind;
    match kind {
        BlockKind::Heading { .. } => "heading",
        BlockKind::Paragraph => "paragraph",
        BlockKind::List => "list",
        BlockKind::Figure => "figure",
    }
}

impl ExtractOut {
    pub fn new(doc: &crate::extract::Document, verbose: bool) -> ExtractOut {
        ExtractOut {
            title: doc.title.clone(),
            url: doc.url.clone(),
            blocks: doc
                .blocks
                .iter()
                .zip(doc.sections())
                .map(|(b, section)| ExtractBlockOut {
                    kind: block_kind_name(&b.kind),
                    section,
                    text: b.text.clone(),
                    line: b.line,
                })
                .collect(),
            removed: if verbose {
                doc.removed
                    .iter()
                    .map(|r| ExtractRemovedOut {
                        reason: r.reason.clone(),
                        text: r.text.clone(),
                        line: r.line,
                    })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// What extraction kept from one file (`citeseek extract`), and with `verbose` what it left
/// out: JSON with `--json`, else one line a block.
pub fn extract<W: Write>(
    w: &mut W,
    doc: &crate::extract::Document,
    verbose: bool,
    style: OutputStyle,
) -> io::Result<()> {
    let out = ExtractOut::new(doc, verbose);
    if style.json {
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
    }
    let (bold, dim, _, reset) = colors(style.color);
    writeln!(w, "{bold}title{reset}  {}", sanitize(&out.title))?;
    if let Some(url) = &out.url {
        writeln!(w, "{bold}url{reset}    {}", sanitize(url))?;
    }
    writeln!(w, "kept {}:", plural(out.blocks.len(), "block", "blocks"))?;
    let mut last_section: Option<&Vec<String>> = None;
    for b in &out.blocks {
        if b.kind != "heading" && last_section != Some(&b.section) && !b.section.is_empty() {
            writeln!(w, "      {dim}{}{reset}", sanitize(&b.section.join(" › ")))?;
        }
        last_section = Some(&b.section);
        writeln!(
            w,
            "{:>5}  {:<9}  {}",
            b.line,
            b.kind,
            sanitize(&b.text.replace('\n', " / "))
        )?;
    }
    if verbose {
        writeln!(
            w,
            "removed {}:",
            plural(out.removed.len(), "block", "blocks")
        )?;
        for r in &out.removed {
            writeln!(
                w,
                "{:>5}  {dim}{}{reset}  {}",
                r.line,
                sanitize(&r.reason),
                sanitize(&truncate_chars(&r.text.replace('\n', " / "), 160))
            )?;
        }
    }
    Ok(())
}

/// `citeseek model path --json`.
#[derive(Debug, Serialize)]
pub struct ModelPathOut<'a> {
    pub path: &'a Path,
    pub installed: bool,
    pub identity: Option<&'a str>,
}

/// `citeseek model path`: the cached model's directory (and under `--json` whether it is
/// installed and its identity).
pub fn model_path<W: Write>(
    w: &mut W,
    cached: &crate::embed::store::CachedModel,
    json: bool,
) -> io::Result<()> {
    if json {
        let out = ModelPathOut {
            path: &cached.path,
            installed: cached.installed,
            identity: cached.identity.as_deref(),
        };
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
    }
    writeln!(w, "{}", sanitize(&cached.path.display().to_string()))?;
    if !cached.installed {
        note("no model is installed there yet: run `citeseek model import PATH` or `citeseek model fetch`");
    }
    Ok(())
}

/// `citeseek model import|fetch --json`.
#[derive(Debug, Serialize)]
pub struct ModelInstalledOut<'a> {
    pub path: &'a Path,
    pub source: &'a str,
    /// `"all-MiniLM-L6-v2"` when the weights are that model's, else `null`.
    pub model: Option<&'a str>,
    pub identity: &'a str,
    pub dim: usize,
    pub max_tokens: usize,
    pub safetensors_sha256: &'a str,
    pub cosine: Option<f32>,
    pub check: &'a str,
    pub replaced: bool,
    pub unchanged: bool,
    pub licence: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloaded: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// What `citeseek model import` or `fetch` installed.
pub fn model_installed<W: Write>(
    w: &mut W,
    m: &crate::embed::store::Installed,
    json: bool,
) -> io::Result<()> {
    let c = &m.check;
    let fetched = m.revision.is_some();
    if json {
        let out = ModelInstalledOut {
            path: &m.path,
            source: &m.source,
            model: c.known.then_some(crate::embed::store::DEFAULT_MODEL),
            identity: &c.identity,
            dim: c.dim,
            max_tokens: c.max_tokens,
            safetensors_sha256: &c.safetensors_sha256,
            cosine: c.cosine,
            check: &c.summary,
            replaced: m.replaced,
            unchanged: m.unchanged,
            licence: m.licence.as_deref(),
            revision: m.revision.as_deref(),
            downloaded: fetched.then_some(m.downloaded.as_slice()),
            resumed: fetched.then_some(m.resumed.as_slice()),
            bytes: fetched.then_some(m.bytes),
        };
        serde_json::to_writer(&mut *w, &out)?;
        return writeln!(w);
    }
    let what = if c.known {
        crate::embed::store::DEFAULT_MODEL
    } else {
        "the model"
    };
    let path = sanitize(&m.path.display().to_string());
    if m.unchanged {
        writeln!(w, "{what} is already installed in {path}; nothing to do")?;
    } else {
        let replaced = if m.replaced {
            " (replacing the model there)"
        } else {
            ""
        };
        writeln!(w, "installed {what} in {path}{replaced}")?;
    }
    writeln!(w, "  from:     {}", sanitize(&m.source))?;
    if fetched {
        writeln!(
            w,
            "  download: {} file(s), {} bytes{}",
            m.downloaded.len(),
            m.bytes,
            if m.resumed.is_empty() {
                String::new()
            } else {
                format!(" (resumed: {})", m.resumed.join(", "))
            }
        )?;
    }
    writeln!(w, "  checked:  {}", sanitize(&c.summary))?;
    writeln!(
        w,
        "  model:    identity {}, {} dimensions, inputs up to {} tokens",
        c.identity, c.dim, c.max_tokens
    )?;
    match &m.licence {
        Some(l) => writeln!(w, "  licence:  copied from {}", sanitize(l)),
        None => writeln!(w, "  licence:  none in the source"),
    }
}
