//! `citeseek fetch` and `add`: a row per reference fetched (the JSON contract and the table)
//! and the reference an `add` wrote.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::shared::display_path;
use super::style::colors;
use super::terminal::sanitize;
use crate::fetch::run::{Added, FetchRun};
use crate::fetch::{Outcome as FetchOutcome, SnapshotDecision};

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

/// A field whose value in references.json differs from the fetched page's.
#[derive(Debug, Serialize)]
pub struct DiffOut {
    pub field: String,
    pub record: String,
    pub page: String,
}

/// `citeseek fetch --json`: the data as fetched (the table makes it safe for a terminal).
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
                detail,
                found: cmp.found,
                missing: cmp.missing,
                differs: cmp
                    .differs
                    .into_iter()
                    .map(|(field, record, page)| DiffOut {
                        field,
                        record,
                        page,
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
    super::json_line(w, &FetchOut::new(run))
}

/// The table printed after fetching: one row per reference, then the totals.
pub fn fetch_report<W: Write>(w: &mut W, run: &FetchRun, color: bool) -> io::Result<()> {
    let (b, d, _, r) = colors(color);
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
            sanitize(&row.detail)
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
                "",
                "",
                diff.field,
                sanitize(&diff.record),
                sanitize(&diff.page)
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
        return super::json_line(w, &added.record);
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
