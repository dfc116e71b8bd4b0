//! `citeseek ingest` and `watch`: what an ingest did (the JSON object, the dry run's file
//! list) and the one line per `watch` update.

use std::io::{self, Write};

use serde::Serialize;

use super::terminal::sanitize;
use crate::config::OutputStyle;
use crate::ingest::{IngestReport, Mode};

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
    pub fn new(r: &IngestReport) -> IngestOut {
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
pub fn ingest<W: Write>(w: &mut W, report: &IngestReport, style: OutputStyle) -> io::Result<()> {
    if style.json {
        return super::json_line(w, &IngestOut::new(report));
    }
    if report.mode != Mode::DryRun {
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
    report: &IngestReport,
    style: OutputStyle,
) -> io::Result<()> {
    if style.json {
        super::json_line(w, &IngestOut::new(report))?;
        return w.flush();
    }
    let c = &report.changes;
    let mut files: Vec<String> = Vec::new();
    files.extend(c.added.iter().map(|p| format!("+{}", sanitize(p))));
    files.extend(c.changed.iter().map(|p| format!("~{}", sanitize(p))));
    files.extend(c.removed.iter().map(|p| format!("-{}", sanitize(p))));
    let what = match report.mode {
        Mode::Full => format!(
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
