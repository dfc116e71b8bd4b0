//! What an ingest did: its mode, and the report and one-line summary printed after it.

use std::time::Duration;

use super::Changes;
use crate::index::Stats;

/// What an ingest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything was extracted and indexed into a new generation.
    Full,
    /// Only added, changed and removed files were processed.
    Incremental,
    /// Nothing to do.
    UpToDate,
    /// Nothing was written (`--dry-run`).
    DryRun,
}

impl Mode {
    /// The mode's name in reports: `full`, `incremental`, `up-to-date` or `dry-run`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
            Mode::UpToDate => "up-to-date",
            Mode::DryRun => "dry-run",
        }
    }
}

/// What an ingest did.
#[derive(Debug, Clone)]
pub struct IngestReport {
    pub mode: Mode,
    /// Why everything was (or would be) rebuilt, when that was not asked for.
    pub full_reason: Option<String>,
    pub changes: Changes,
    /// Files read and extracted again.
    pub reextracted: usize,
    pub passages_added: usize,
    pub passages_removed: usize,
    pub stats: Stats,
    pub guides: usize,
    pub elapsed: Duration,
    /// Files that were skipped, with the reason (unreadable, not UTF-8, …).
    pub warnings: Vec<String>,
    /// Passage texts embedded by this run (the others' vectors were reused).
    pub embedded: usize,
}

impl IngestReport {
    /// The one-line summary printed after an ingest.
    pub fn summary(&self) -> String {
        let line = self.summary_line();
        match self.embedded {
            0 => line,
            1 => format!("{line}; embedded 1 passage"),
            n => format!("{line}; embedded {n} passages"),
        }
    }

    fn summary_line(&self) -> String {
        let s = &self.stats;
        let ms = self.elapsed.as_millis();
        match self.mode {
            Mode::Incremental if !self.changes.needs_work() => format!(
                "gave the index's {} passages vectors for semantic ranking in {ms} ms",
                s.passages
            ),
            Mode::UpToDate => format!(
                "index up to date ({} passages; checked in {ms} ms)",
                s.passages
            ),
            Mode::DryRun => match &self.full_reason {
                Some(reason) => format!("would rebuild the whole index ({reason})"),
                None if self.changes.needs_work() => format!(
                    "would update {} {}",
                    self.changes.count(),
                    plural(self.changes.count(), "file", "files")
                ),
                None => "index up to date; nothing would change".to_string(),
            },
            Mode::Incremental => format!(
                "updated the index: {} added, {} changed, {} removed; re-extracted {} {}; \
                 +{} -{} passages ({} in all) in {ms} ms",
                self.changes.added.len(),
                self.changes.changed.len(),
                self.changes.removed.len(),
                self.reextracted,
                plural(self.reextracted, "file", "files"),
                self.passages_added,
                self.passages_removed,
                s.passages,
            ),
            Mode::Full => format!(
                "{}indexed {} {} and {} {}: {} passages, {} citations in {:.2}s",
                self.full_reason
                    .as_ref()
                    .map(|r| format!("full rebuild ({r}): "))
                    .unwrap_or_default(),
                self.guides,
                plural(self.guides, "guide", "guides"),
                s.references,
                plural(s.references, "reference", "references"),
                s.passages,
                s.citations,
                self.elapsed.as_secs_f64()
            ),
        }
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}
