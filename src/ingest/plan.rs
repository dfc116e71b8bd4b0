//! What an ingest has to do: the corpus compared with the manifest (by size and time first,
//! then by content hash), and whether that can be an update or must be a full rebuild.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Instant, UNIX_EPOCH};

use rayon::prelude::*;

use super::record::reference_ids;
use super::{IngestError, IngestOptions, IngestReport, Mode, References};
use crate::corpus::{self, Corpus};
use crate::index::{IndexDir, IndexError, Marker, StatEntry};

/// Corpus-relative path of the reference list.
const REFERENCES_JSON: &str = "references.json";

/// Corpus files that differ from the manifest, by corpus-relative path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    /// Content changed (or, for a guide, its document id changed).
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// Modification time changed, content did not: no reindexing.
    pub touched: Vec<String>,
}

impl Changes {
    /// Whether any file needs indexing work.
    pub fn needs_work(&self) -> bool {
        !(self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty())
    }

    /// Number of files that need indexing work.
    pub fn count(&self) -> usize {
        self.added.len() + self.changed.len() + self.removed.len()
    }
}

/// What an ingest would do, writing nothing (`--dry-run`).
pub(super) fn dry_run(
    corpus_dir: &Path,
    index: &IndexDir,
    opts: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    let start = Instant::now();
    let corpus = corpus::discover(corpus_dir)?;
    let references = References::new(&corpus);
    let plan = plan(&corpus, &references, corpus_dir, index, opts.full)?;
    let (full_reason, changes, stats) = match plan {
        Plan::Full { reason, previous } => {
            let reason = reason.unwrap_or_else(|| "--full".to_string());
            let changes = match &previous {
                Some(m) => {
                    let known: Vec<StatEntry> = m.files.iter().map(StatEntry::from).collect();
                    let diff = stat_diff(&corpus, &known, &m.reference_ids);
                    confirm(&corpus, &references, m, diff)
                }
                None => Changes {
                    added: current_files(
                        &corpus,
                        &reference_ids(&references.list().unwrap_or_default()),
                    )
                    .into_iter()
                    .map(|f| f.rel)
                    .collect(),
                    ..Changes::default()
                },
            };
            (Some(reason), changes, previous.map(|m| m.stats))
        }
        Plan::Update { marker, changes } => (None, changes, Some(marker.stats)),
    };
    Ok(IngestReport {
        mode: Mode::DryRun,
        full_reason,
        changes,
        reextracted: 0,
        passages_added: 0,
        passages_removed: 0,
        stats: stats.unwrap_or_default(),
        guides: 0,
        elapsed: start.elapsed(),
        warnings: Vec::new(),
        embedded: 0,
    })
}

/// What an ingest has to do.
pub(super) enum Plan {
    /// Rebuild everything; `reason` when not asked for; the previous marker when readable.
    Full {
        reason: Option<String>,
        previous: Option<Marker>,
    },
    /// Update the current index with these changes (maybe none).
    Update { marker: Marker, changes: Changes },
}

pub(super) fn plan(
    corpus: &Corpus,
    references: &References,
    corpus_dir: &Path,
    index: &IndexDir,
    full: bool,
) -> Result<Plan, IngestError> {
    let marker = match index.read_marker() {
        Ok(m) => m,
        Err(IndexError::Corrupt { .. } | IndexError::Foreign { .. }) if full => None,
        Err(e) => return Err(e.into()),
    };
    let Some(mut marker) = marker else {
        let reason = (!full).then(|| "no index yet".to_string());
        return Ok(Plan::Full {
            reason,
            previous: None,
        });
    };
    let reason = if full {
        None
    } else if marker.schema_version != crate::index::SCHEMA_VERSION {
        Some(format!(
            "the index has schema {}, this version uses {}",
            marker.schema_version,
            crate::index::SCHEMA_VERSION
        ))
    } else if marker.corpus != canonical(corpus_dir) {
        Some(format!(
            "the index was built from {}",
            marker.corpus.display()
        ))
    } else {
        // An update starts from the current generation, and "up to date" must not be said of
        // a damaged index: it must open.
        index.check_generation(&marker.generation)?;
        // Stat-only first: an unchanged corpus needs neither the manifest nor any hashing.
        let diff = index
            .stat_entries(&marker.generation)
            .ok()
            .map(|entries| stat_diff(corpus, &entries, &marker.reference_ids));
        if diff.as_ref().is_some_and(StatDiff::is_empty) {
            return Ok(Plan::Update {
                marker,
                changes: Changes::default(),
            });
        }
        index.load_manifest(&mut marker)?;
        let diff = diff.unwrap_or_else(|| {
            let known: Vec<StatEntry> = marker.files.iter().map(StatEntry::from).collect();
            stat_diff(corpus, &known, &marker.reference_ids)
        });
        let changes = confirm(corpus, references, &marker, diff);
        let refs_changed = [&changes.added, &changes.changed, &changes.removed]
            .iter()
            .any(|l| l.iter().any(|p| p == REFERENCES_JSON));
        if !refs_changed {
            return Ok(Plan::Update { marker, changes });
        }
        Some("references.json changed".to_string())
    };
    Ok(Plan::Full {
        reason,
        previous: Some(marker),
    })
}

/// A directory's canonical path (as the marker records the corpus), or the path as given.
pub fn canonical(dir: &Path) -> PathBuf {
    fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// A corpus file that is indexed.
struct CurrentFile {
    rel: String,
    path: PathBuf,
    /// Document id of its passages (none for references.json).
    doc: String,
}

/// The indexed files of a corpus: guides, references.json, and the snapshots of the references
/// in `ids` (the manifest's list, or references.json's).
fn current_files(corpus: &Corpus, ids: &[String]) -> Vec<CurrentFile> {
    // The ids ingest gives guides (see `Corpus::reserve_ids`), without copying the corpus.
    let taken: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut out: Vec<CurrentFile> = corpus
        .guides
        .iter()
        .map(|g| CurrentFile {
            rel: g.rel.clone(),
            path: g.path.clone(),
            doc: if taken.contains(g.doc_id.as_str()) {
                format!("guide/{}", g.doc_id)
            } else {
                g.doc_id.clone()
            },
        })
        .collect();
    if let Some(path) = &corpus.references {
        out.push(CurrentFile {
            rel: corpus::rel_path(&corpus.root, path),
            path: path.clone(),
            doc: String::new(),
        });
    }
    for id in ids {
        if let Some(path) = corpus.snapshot(id) {
            out.push(CurrentFile {
                rel: corpus::rel_path(&corpus.root, &path),
                path,
                doc: id.to_string(),
            });
        }
    }
    out
}

/// Stat-only comparison of the corpus with a manifest.
#[derive(Debug, Default)]
pub(super) struct StatDiff {
    added: Vec<String>,
    removed: Vec<String>,
    /// Size or modification time differ: maybe changed.
    modified: Vec<String>,
    /// Same file, but its document id changed (a file with the same stem came or went).
    renamed: Vec<String>,
}

impl StatDiff {
    fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.modified.is_empty()
            && self.renamed.is_empty()
    }
}

pub(super) fn stat_diff(
    corpus: &Corpus,
    entries: &[StatEntry],
    reference_ids: &[String],
) -> StatDiff {
    let known: BTreeMap<&str, &StatEntry> = entries.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut seen = BTreeSet::new();
    let mut diff = StatDiff::default();
    let files = current_files(corpus, reference_ids);
    // Thousands of stat calls: spread them over the cores.
    // (A small corpus is quicker done here than by starting the thread pool.)
    let stats: Vec<Option<(u64, u128)>> = if files.len() < 2000 {
        files.iter().map(|f| stat(&f.path)).collect()
    } else {
        files.par_iter().map(|f| stat(&f.path)).collect()
    };
    for (f, now) in files.into_iter().zip(stats) {
        let Some(entry) = known.get(f.rel.as_str()) else {
            diff.added.push(f.rel.clone());
            seen.insert(f.rel);
            continue;
        };
        match now {
            Some((size, mtime)) if size == entry.size && mtime == entry.mtime_ns => {
                if entry.doc != f.doc {
                    diff.renamed.push(f.rel.clone());
                }
            }
            _ => diff.modified.push(f.rel.clone()),
        }
        seen.insert(f.rel);
    }
    diff.removed = entries
        .iter()
        .filter(|f| !seen.contains(&f.path))
        .map(|f| f.path.clone())
        .collect();
    diff
}

pub(super) fn stat(path: &Path) -> Option<(u64, u128)> {
    let meta = fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Some((meta.len(), mtime))
}

/// Confirm the stat differences with content hashes.
pub(super) fn confirm(
    corpus: &Corpus,
    references: &References,
    marker: &Marker,
    diff: StatDiff,
) -> Changes {
    let hashes: BTreeMap<&str, &str> = marker
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.hash.as_str()))
        .collect();
    let mut changes = Changes {
        added: diff.added,
        removed: diff.removed,
        changed: diff.renamed,
        touched: Vec::new(),
    };
    let references_rel = references.rel();
    for rel in diff.modified {
        // references.json is hashed from the run's one read of it.
        let hash = if references_rel.as_deref() == Some(rel.as_str()) {
            references.hash()
        } else {
            fs::read(corpus.root.join(&rel))
                .ok()
                .map(|bytes| blake3::hash(&bytes).to_hex().to_string())
        };
        let same = hash.is_some_and(|h| hashes.get(rel.as_str()) == Some(&h.as_str()));
        if same {
            changes.touched.push(rel);
        } else {
            changes.changed.push(rel);
        }
    }
    changes.changed.sort();
    changes
}

/// Record the new size and time of files whose content did not change.
pub(super) fn refresh_times(corpus: &Corpus, marker: &mut Marker, touched: &[String]) {
    for f in &mut marker.files {
        if touched.contains(&f.path) {
            if let Some((size, mtime)) = stat(&corpus.root.join(&f.path)) {
                f.size = size;
                f.mtime_ns = mtime;
            }
        }
    }
}

/// Whether the index is current, by stat only: the corpus files that differ from the manifest
/// (added, changed, removed; a touched file counts), or the corpus directory that differs.
/// Reads no file content.
pub fn stale_files(
    corpus_dir: &Path,
    index: &IndexDir,
    marker: &Marker,
) -> Result<Vec<String>, IngestError> {
    if marker.corpus != canonical(corpus_dir) {
        return Ok(vec![format!(
            "{} (the index was built from {})",
            corpus_dir.display(),
            marker.corpus.display()
        )]);
    }
    let corpus = corpus::discover(corpus_dir)?;
    let entries = index.stat_entries(&marker.generation)?;
    let diff = stat_diff(&corpus, &entries, &marker.reference_ids);
    if diff.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<String> = Vec::new();
    out.extend(diff.added.into_iter().map(|p| format!("{p} (added)")));
    out.extend(diff.modified.into_iter().map(|p| format!("{p} (modified)")));
    out.extend(diff.renamed.into_iter().map(|p| format!("{p} (renamed)")));
    out.extend(diff.removed.into_iter().map(|p| format!("{p} (removed)")));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::FileEntry;

    /// A corpus of two guides, a references.json listing `r1` and `r2`, and `r1`'s snapshot;
    /// the guide `r2.md` shares its stem with a reference.
    fn corpus() -> (tempfile::TempDir, Corpus) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir_all(root.join("guide")).unwrap();
        fs::create_dir_all(root.join("references")).unwrap();
        fs::write(root.join("guide/a.md"), "# A\n\nHeat.\n").unwrap();
        fs::write(root.join("guide/r2.md"), "# R2\n\nIce.\n").unwrap();
        fs::write(
            root.join("references.json"),
            r#"[{"id": "r1"}, {"id": "r2"}]"#,
        )
        .unwrap();
        fs::write(root.join("references/r1.html"), "<p>r1</p>").unwrap();
        let corpus = corpus::discover(root).unwrap();
        (tmp, corpus)
    }

    fn ids() -> Vec<String> {
        vec!["r1".into(), "r2".into()]
    }

    /// The stat lines a manifest written now would hold.
    fn entries_now(corpus: &Corpus) -> Vec<StatEntry> {
        current_files(corpus, &ids())
            .into_iter()
            .map(|f| {
                let (size, mtime_ns) = stat(&f.path).unwrap();
                StatEntry {
                    path: f.rel,
                    size,
                    mtime_ns,
                    doc: f.doc,
                }
            })
            .collect()
    }

    fn marker_of(files: Vec<FileEntry>) -> Marker {
        Marker {
            generation: "gen-1-1".into(),
            files,
            reference_ids: ids(),
            ..Marker::new(PathBuf::from("/c"))
        }
    }

    fn entry(path: &str, hash: String) -> FileEntry {
        FileEntry {
            path: path.into(),
            hash,
            ..FileEntry::default()
        }
    }

    #[test]
    fn the_indexed_files_are_guides_references_json_and_listed_snapshots() {
        let (_tmp, corpus) = corpus();
        let files: Vec<(String, String)> = current_files(&corpus, &ids())
            .into_iter()
            .map(|f| (f.rel, f.doc))
            .collect();
        assert_eq!(
            files,
            [
                ("guide/a.md", "a"),
                // Its stem is a reference's id: the guide gets its path as id.
                ("guide/r2.md", "guide/r2"),
                ("references.json", ""),
                ("references/r1.html", "r1"),
            ]
            .map(|(rel, doc)| (rel.to_string(), doc.to_string()))
        );
        // A snapshot of a reference the list does not name is not indexed.
        let only_r2 = current_files(&corpus, &["r2".to_string()]);
        assert!(only_r2.iter().all(|f| f.rel != "references/r1.html"));
    }

    #[test]
    fn stat_diff_sorts_files_into_added_removed_modified_and_renamed() {
        let (tmp, corpus) = corpus();
        let mut entries = entries_now(&corpus);
        assert!(stat_diff(&corpus, &entries, &ids()).is_empty());

        fs::write(tmp.path().join("guide/c.md"), "# C\n").unwrap();
        fs::write(tmp.path().join("guide/a.md"), "# A\n\nHeat, longer now.\n").unwrap();
        fs::remove_file(tmp.path().join("references/r1.html")).unwrap();
        // The manifest knew r2.md by another id, and a file that is gone.
        entries[1].doc = "r2".into();
        entries.push(StatEntry {
            path: "guide/gone.md".into(),
            size: 1,
            mtime_ns: 1,
            doc: "gone".into(),
        });
        let corpus = corpus::discover(tmp.path()).unwrap();
        let diff = stat_diff(&corpus, &entries, &ids());
        assert_eq!(diff.added, ["guide/c.md"]);
        assert_eq!(diff.modified, ["guide/a.md"]);
        assert_eq!(diff.renamed, ["guide/r2.md"]);
        assert_eq!(diff.removed, ["references/r1.html", "guide/gone.md"]);
    }

    #[test]
    fn confirm_tells_touched_files_from_changed_ones_by_their_hash() {
        let (tmp, corpus) = corpus();
        let hash = |rel: &str| {
            let bytes = fs::read(tmp.path().join(rel)).unwrap();
            blake3::hash(&bytes).to_hex().to_string()
        };
        let marker = marker_of(vec![
            entry("guide/a.md", hash("guide/a.md")),
            entry("guide/r2.md", "an older hash".into()),
            entry("references.json", hash("references.json")),
        ]);
        let references = References::new(&corpus);
        let diff = StatDiff {
            added: vec!["guide/new.md".into()],
            removed: vec!["guide/old.md".into()],
            modified: vec![
                "references.json".into(),
                "guide/r2.md".into(),
                "guide/a.md".into(),
            ],
            renamed: vec!["guide/b.md".into()],
        };
        let changes = confirm(&corpus, &references, &marker, diff);
        assert_eq!(changes.added, ["guide/new.md"]);
        assert_eq!(changes.removed, ["guide/old.md"]);
        // Renamed files are changed; the list is sorted.
        assert_eq!(changes.changed, ["guide/b.md", "guide/r2.md"]);
        assert_eq!(changes.touched, ["references.json", "guide/a.md"]);
        assert!(changes.needs_work());
        assert_eq!(changes.count(), 4);
        assert!(!Changes::default().needs_work());
    }

    #[test]
    fn refresh_times_records_the_new_times_of_touched_files_only() {
        let (_tmp, corpus) = corpus();
        let mut marker = marker_of(vec![
            entry("guide/a.md", String::new()),
            entry("guide/r2.md", String::new()),
        ]);
        refresh_times(&corpus, &mut marker, &["guide/a.md".to_string()]);
        let (size, mtime) = stat(&corpus.root.join("guide/a.md")).unwrap();
        assert_eq!(
            (marker.files[0].size, marker.files[0].mtime_ns),
            (size, mtime)
        );
        assert_eq!((marker.files[1].size, marker.files[1].mtime_ns), (0, 0));
    }
}
