//! The ingest pipeline: corpus files → documents → passages → cited passages → index.
//!
//! Reads only the corpus and writes only the index directory.
//!
//! Incremental by default: the corpus is compared with the manifest kept in the index
//! (size and modification time first, then the content hash to confirm), only added or changed
//! files are extracted again, the passages of changed and removed files are deleted, and the
//! result is committed once into a new generation (see [`crate::index`]). Citations cross files
//! only through references.json, so a change to it (or to the corpus directory, or the index
//! schema) rebuilds everything; a reference snapshot only affects that reference's passages,
//! and a guide's citations depend only on that guide.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, UNIX_EPOCH};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

use crate::corpus::{self, Corpus, SourceFile};
use crate::extract::repeat::{self, SiteCounts, SitePages};
use crate::extract::{self, Document, Format};
use crate::index::{
    DocKey, FileEntry, FullWrite, IndexDir, IndexError, IndexLock, Marker, StatEntry, Stats,
};
use crate::link::{self, CitedPassage, Linker};
use crate::passage::{self, DocInfo, Kind, Passage};
use crate::references::{Reference, ReferenceError, ReferenceList};

/// Errors that stop an ingest.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Corpus(#[from] corpus::CorpusError),
    #[error(transparent)]
    References(#[from] ReferenceError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
}

/// How long a second `ingest` waits for a running one before giving up.
pub const LOCK_WAIT: Duration = Duration::from_millis(2500);
/// Corpus-relative path of the reference list.
const REFERENCES_JSON: &str = "references.json";

/// How to ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Rebuild everything, even over a damaged or foreign index directory (leaving foreign
    /// files alone).
    pub full: bool,
    /// Only say what would change; write nothing.
    pub dry_run: bool,
    /// The passage vectors: the model to embed with, vectors computed elsewhere.
    pub vectors: crate::vectors::build::Job,
    /// `--vectors FILE.npy`: where the vectors computed elsewhere are (read into `vectors`).
    pub vectors_from: Option<PathBuf>,
}

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

/// The ids of a reference list.
fn reference_ids(refs: &ReferenceList) -> Vec<String> {
    refs.refs.iter().map(|r| r.id.clone()).collect()
}

fn load_references(corpus: &Corpus) -> Result<ReferenceList, IngestError> {
    Ok(match &corpus.references {
        Some(path) => ReferenceList::load(path)?,
        None => ReferenceList { refs: Vec::new() },
    })
}

/// What one reference contributes: its snapshot's page, or the passage made from its record.
enum RefContent {
    Page(Box<Page>),
    Record(Vec<Passage>),
}

/// The content of one reference: its snapshot's page, or one passage made from its record.
/// Also a warning when the snapshot cannot be read, and the snapshot's manifest entry.
fn reference_file_content(
    corpus: &Corpus,
    r: &Reference,
) -> (RefContent, Option<String>, Option<FileEntry>) {
    let record = || RefContent::Record(record_passage(r, corpus).into_iter().collect());
    let Some(path) = corpus.snapshot(&r.id) else {
        return (record(), None, None);
    };
    match read_file(&corpus.root, &path) {
        Ok((text, mut entry)) => {
            entry.doc = r.id.clone();
            let page = reference_page(r, &entry.path, &text);
            (RefContent::Page(Box::new(page)), None, Some(entry))
        }
        Err((reason, entry)) => (
            record(),
            Some(format!("skipped {}: {reason}", path.display())),
            entry.map(|e| FileEntry {
                doc: r.id.clone(),
                ..*e
            }),
        ),
    }
}

/// Add each passage's id (and direct citations) to the manifest entry of its file.
fn record_passages(files: &mut [FileEntry], cited: &[CitedPassage]) {
    // Index only the files that have new passages: an update of one page in a 100,000-file
    // corpus should not map every path.
    let wanted: FxHashSet<&str> = cited.iter().map(|p| p.passage.path.as_str()).collect();
    let by_path: FxHashMap<&str, usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted.contains(f.path.as_str()))
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let mut updates: Vec<(usize, String, usize, usize)> = Vec::new();
    for p in cited {
        if let Some(&i) = by_path.get(p.passage.path.as_str()) {
            let citations = if p.passage.kind == Kind::Guide {
                p.direct_ids().count()
            } else {
                0
            };
            updates.push((i, p.passage.id.clone(), citations, p.passage.text.len()));
        }
    }
    for (i, id, citations, bytes) in updates {
        files[i].passages_mut().push(id);
        files[i].citations += citations;
        files[i].text_bytes += bytes as u64;
    }
}

/// About how many bytes a full build reads, to size its index writer: guide files are stat'ed
/// only until the total passes [`crate::index::ONE_THREAD_BELOW_BYTES`].
fn source_bytes(corpus: &Corpus) -> u64 {
    let size = |path: &Path| fs::metadata(path).map_or(0, |m| m.len());
    let mut bytes = corpus.references.as_deref().map_or(0, size);
    for guide in &corpus.guides {
        if bytes >= crate::index::ONE_THREAD_BELOW_BYTES {
            break;
        }
        bytes += size(&guide.path);
    }
    bytes
}

/// Stats of an index, from its manifest.
fn stats_of(files: &[FileEntry], references: usize) -> (Stats, usize) {
    // A guide that could not be read or decoded is in the manifest, but not indexed.
    let guides = files
        .iter()
        .filter(|f| f.path.starts_with("guide/") && !f.skipped)
        .count();
    (
        Stats {
            documents: guides + references,
            passages: files.iter().map(FileEntry::passage_count).sum(),
            references,
            citations: files.iter().map(|f| f.citations).sum(),
            text_bytes: files.iter().map(|f| f.text_bytes).sum(),
        },
        guides,
    )
}

/// Ingest a corpus into an index directory: incrementally when the index can be updated,
/// fully when asked or when it must be. Takes the index lock (waiting up to [`LOCK_WAIT`]).
pub fn ingest(
    corpus_dir: &Path,
    index: &IndexDir,
    opts: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    if opts.dry_run {
        return dry_run(corpus_dir, index, opts);
    }
    // A missing corpus stops the run before the index directory (or its lock) is made.
    corpus::check_root(corpus_dir)?;
    let lock = index.lock(LOCK_WAIT)?;
    ingest_locked(corpus_dir, index, opts, &lock)
}

/// [`ingest`] for a caller that already holds the index lock.
pub fn ingest_locked(
    corpus_dir: &Path,
    index: &IndexDir,
    opts: &IngestOptions,
    lock: &IndexLock,
) -> Result<IngestReport, IngestError> {
    ingest_with_lock(corpus_dir, index, opts, lock).map_err(|e| match e {
        // A full disk says so, rather than "an index writer was killed".
        IngestError::Index(e) => IngestError::Index(crate::index::write_error(e, &index.path)),
        e => e,
    })
}

fn ingest_with_lock(
    corpus_dir: &Path,
    index: &IndexDir,
    opts: &IngestOptions,
    lock: &IndexLock,
) -> Result<IngestReport, IngestError> {
    let start = Instant::now();
    let mut corpus = corpus::discover(corpus_dir)?;
    match plan(&corpus, corpus_dir, index, opts.full)? {
        Plan::Full { reason, previous } => {
            full(&corpus, index, opts, lock, reason, previous, start)
        }
        Plan::Update { marker, changes } => {
            if changes.needs_work() {
                // references.json did not change: its ids are the manifest's.
                corpus.reserve_ids(&marker.reference_ids);
                return incremental(&corpus, index, lock, marker, changes, &opts.vectors, start);
            }
            let mut marker = marker;
            if needs_vectors(&marker, &opts.vectors) {
                return embed_only(index, lock, marker, changes, &opts.vectors, start);
            }
            if !changes.touched.is_empty() {
                // Same content, new times: remember them so the next check is stat-only.
                refresh_times(&corpus, &mut marker, &changes.touched);
                index.write_marker(lock, &marker)?;
            }
            Ok(IngestReport {
                mode: Mode::UpToDate,
                full_reason: None,
                changes,
                reextracted: 0,
                passages_added: 0,
                passages_removed: 0,
                guides: stats_of(&marker.files, marker.stats.references).1,
                stats: marker.stats,
                elapsed: start.elapsed(),
                warnings: Vec::new(),
                embedded: 0,
            })
        }
    }
}

/// Whether the current index lacks vectors that `job` can give it: its model's vectors for
/// every passage, or the imported ones.
pub fn needs_vectors(marker: &Marker, job: &crate::vectors::build::Job) -> bool {
    if job.imported.is_some() {
        return true;
    }
    let Some(embedder) = &job.embedder else {
        return false;
    };
    match &marker.vectors {
        Some(v) => v.model != embedder.info().identity || v.missing > 0,
        None => marker.stats.passages > 0,
    }
}

/// Give an up-to-date index the vectors it lacks: a new generation with the same passages.
fn embed_only(
    index: &IndexDir,
    lock: &IndexLock,
    mut marker: Marker,
    changes: Changes,
    vectors: &crate::vectors::build::Job,
    start: Instant,
) -> Result<IngestReport, IngestError> {
    index.load_manifest(&mut marker)?;
    let refs = index.open()?.references()?;
    let from = marker.generation.clone();
    let marker = index.write_incremental(lock, &from, &[], &[], &refs, marker, vectors)?;
    Ok(IngestReport {
        mode: Mode::Incremental,
        full_reason: None,
        changes,
        reextracted: 0,
        passages_added: 0,
        passages_removed: 0,
        guides: stats_of(&marker.files, marker.stats.references).1,
        embedded: marker.vectors.as_ref().map_or(0, |v| v.embedded),
        stats: marker.stats,
        elapsed: start.elapsed(),
        warnings: Vec::new(),
    })
}

fn dry_run(
    corpus_dir: &Path,
    index: &IndexDir,
    opts: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    let start = Instant::now();
    let corpus = corpus::discover(corpus_dir)?;
    let (full_reason, changes, stats) = match plan(&corpus, corpus_dir, index, opts.full)? {
        Plan::Full { reason, previous } => {
            let reason = reason.unwrap_or_else(|| "--full".to_string());
            let changes = match &previous {
                Some(m) => {
                    let known: Vec<StatEntry> = m.files.iter().map(StatEntry::from).collect();
                    confirm(&corpus, m, stat_diff(&corpus, &known, &m.reference_ids))
                }
                None => Changes {
                    added: current_files(&corpus, None)
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
enum Plan {
    /// Rebuild everything; `reason` when not asked for; the previous marker when readable.
    Full {
        reason: Option<String>,
        previous: Option<Marker>,
    },
    /// Update the current index with these changes (maybe none).
    Update { marker: Marker, changes: Changes },
}

fn plan(
    corpus: &Corpus,
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
        let changes = confirm(corpus, &marker, diff);
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
/// in `known_ids` (the manifest's list; `None` reads references.json for it).
fn current_files(corpus: &Corpus, known_ids: Option<&[String]>) -> Vec<CurrentFile> {
    let loaded;
    let ids: Vec<String> = match known_ids {
        Some(ids) => ids.to_vec(),
        None => {
            loaded = load_references(corpus).unwrap_or(ReferenceList { refs: Vec::new() });
            reference_ids(&loaded)
        }
    };
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
    for id in &ids {
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
struct StatDiff {
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

fn stat_diff(corpus: &Corpus, entries: &[StatEntry], reference_ids: &[String]) -> StatDiff {
    let known: BTreeMap<&str, &StatEntry> = entries.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut seen = BTreeSet::new();
    let mut diff = StatDiff::default();
    let files = current_files(corpus, Some(reference_ids));
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

fn stat(path: &Path) -> Option<(u64, u128)> {
    let meta = fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Some((meta.len(), mtime))
}

/// Confirm the stat differences with content hashes.
fn confirm(corpus: &Corpus, marker: &Marker, diff: StatDiff) -> Changes {
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
    for rel in diff.modified {
        let same = fs::read(corpus.root.join(&rel)).ok().is_some_and(|bytes| {
            hashes.get(rel.as_str()) == Some(&blake3::hash(&bytes).to_hex().as_str())
        });
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
fn refresh_times(corpus: &Corpus, marker: &mut Marker, touched: &[String]) {
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

fn full(
    corpus: &Corpus,
    index: &IndexDir,
    opts: &IngestOptions,
    lock: &IndexLock,
    reason: Option<String>,
    previous: Option<Marker>,
    start: Instant,
) -> Result<IngestReport, IngestError> {
    let references = load_references(corpus)?;
    let mut corpus = corpus.clone();
    corpus.reserve_ids(&reference_ids(&references));
    let corpus = &corpus;
    let linker = Linker::new(&references);
    let changes = match &previous {
        Some(m) if m.corpus == canonical(&corpus.root) => {
            let known: Vec<StatEntry> = m.files.iter().map(StatEntry::from).collect();
            confirm(corpus, m, stat_diff(corpus, &known, &m.reference_ids))
        }
        _ => Changes::default(),
    };
    // A full rebuild over a damaged index must not be refused for the damage.
    let force = opts.full || previous.is_none();
    let write = index.begin_full(lock, force, source_bytes(corpus))?;

    // Guides stream through the pipeline in parallel, each file read, extracted, split, linked
    // and handed to the index writer on its own: memory holds a few documents, not the corpus.
    let guides: Vec<Result<GuideResult, IndexError>> = corpus
        .guides
        .par_iter()
        .map(|file| index_guide(corpus, file, &linker, &write))
        .collect();
    let mut files = Vec::with_capacity(corpus.guides.len() + references.refs.len() + 1);
    let mut warnings = corpus.skipped.clone();
    if corpus.guides.is_empty() {
        warnings.push(format!(
            "no guide files (.html, .md, .txt) under {}",
            corpus.root.join("guide").display()
        ));
    }
    if corpus.references.is_none() {
        warnings.push(format!(
            "no references.json in {}: nothing can be cited",
            corpus.root.display()
        ));
    }
    let mut indexed_guides = 0;
    let mut added = 0;
    // Pages whose blocks count for their site wait for all the counts (see `extract::repeat`).
    let mut blocks = SitePages::default();
    let mut held: Vec<Page> = Vec::new();
    let mut hold = |page: Page, blocks: &mut SitePages| match repeat::page_blocks(&page.doc) {
        Some(counted) => {
            blocks.pages.insert(page.path.clone(), counted);
            held.push(page);
            None
        }
        None => Some(page),
    };
    for g in guides {
        let g = g?;
        indexed_guides += usize::from(g.indexed);
        added += g.entry.as_ref().map_or(0, FileEntry::passage_count);
        files.extend(g.entry);
        warnings.extend(g.warning);
        if let Some(page) = g.held {
            hold(page, &mut blocks);
        }
    }

    // References: each snapshot's passages, or one from the record; the record passages are
    // listed under references.json in the manifest.
    let mut reference_files = Vec::new();
    if let Some(path) = &corpus.references {
        if let Ok((_, entry)) = read_file(&corpus.root, path) {
            reference_files.push(entry);
        }
    }
    let per_reference: Vec<(RefContent, Option<String>, Option<FileEntry>)> = references
        .refs
        .par_iter()
        .map(|r| reference_file_content(corpus, r))
        .collect();
    let mut passages = Vec::new();
    for (content, warning, entry) in per_reference {
        match content {
            RefContent::Record(new) => passages.extend(new),
            RefContent::Page(page) => passages.extend(
                hold(*page, &mut blocks)
                    .map(Page::split)
                    .into_iter()
                    .flatten(),
            ),
        }
        warnings.extend(warning);
        reference_files.extend(entry);
    }
    // The held pages, now that every site's counts are known.
    let counts = SiteCounts::of(&blocks);
    let (held_refs, held_guides): (Vec<Page>, Vec<Page>) =
        held.into_iter().partition(|p| p.kind == Kind::Reference);
    let split_all = |pages: Vec<Page>| -> Vec<Passage> {
        pages
            .into_par_iter()
            .flat_map_iter(|p| p.passages(&counts))
            .collect()
    };
    passages.extend(split_all(held_refs));
    let cited = linker.link(passages);
    write.add_all(&cited)?;
    added += cited.len();
    record_passages(&mut reference_files, &cited);
    files.extend(reference_files);
    let cited = linker.link(split_all(held_guides));
    write.add_all(&cited)?;
    added += cited.len();
    record_passages(&mut files, &cited);

    let (stats, guides) = stats_of(&files, references.refs.len());
    let marker = Marker {
        tool: "citeseek".into(),
        schema_version: crate::index::SCHEMA_VERSION,
        generation: String::new(),
        corpus: canonical(&corpus.root),
        built_unix_ms: 0,
        stats: stats.clone(),
        reference_ids: references.refs.iter().map(|r| r.id.clone()).collect(),
        files,
        vectors: None,
        blocks,
    };
    let marker = write.finish(index, lock, &references, marker, &opts.vectors)?;
    let embedded = marker.vectors.as_ref().map_or(0, |v| v.embedded);
    Ok(IngestReport {
        mode: Mode::Full,
        full_reason: reason,
        changes,
        reextracted: indexed_guides + corpus_snapshot_count(&references, corpus),
        passages_added: added,
        passages_removed: previous.map_or(0, |m| m.stats.passages),
        stats,
        guides,
        elapsed: start.elapsed(),
        warnings,
        embedded,
    })
}

/// What indexing one guide file left for the manifest and the report.
struct GuideResult {
    entry: Option<FileEntry>,
    warning: Option<String>,
    indexed: bool,
    /// A page whose blocks count for its site: split (and its entry given its passages) once
    /// every page is counted.
    held: Option<Page>,
}

/// Read, extract, split and link one guide, and add its passages to the index.
fn index_guide(
    corpus: &Corpus,
    file: &SourceFile,
    linker: &Linker,
    write: &FullWrite,
) -> Result<GuideResult, IndexError> {
    match read_file(&corpus.root, &file.path) {
        Ok((text, mut entry)) => {
            let (page, unsure) = guide_page(file, &text);
            entry.doc = file.doc_id.clone();
            if repeat::page_blocks(&page.doc).is_some() {
                return Ok(GuideResult {
                    entry: Some(entry),
                    warning: unsure,
                    indexed: true,
                    held: Some(page),
                });
            }
            let cited = linker.link(page.split());
            write.add_all(&cited)?;
            entry.citations = cited.iter().map(|p| p.direct_ids().count()).sum();
            entry.text_bytes = cited.iter().map(|p| p.passage.text.len() as u64).sum();
            entry.passages = cited.into_iter().map(|p| p.passage.id).collect();
            Ok(GuideResult {
                entry: Some(entry),
                warning: unsure,
                indexed: true,
                held: None,
            })
        }
        Err((reason, entry)) => Ok(GuideResult {
            entry: entry.map(|e| FileEntry {
                doc: file.doc_id.clone(),
                ..*e
            }),
            warning: Some(format!("skipped {}: {reason}", file.path.display())),
            indexed: false,
            held: None,
        }),
    }
}

fn corpus_snapshot_count(refs: &ReferenceList, corpus: &Corpus) -> usize {
    refs.refs
        .iter()
        .filter(|r| corpus.snapshot(&r.id).is_some())
        .count()
}

/// Apply `changes` to the current generation: delete the passages of changed and removed
/// files, extract changed and added files, commit once into a new generation.
fn incremental(
    corpus: &Corpus,
    index: &IndexDir,
    lock: &IndexLock,
    mut current: Marker,
    changes: Changes,
    vectors: &crate::vectors::build::Job,
    start: Instant,
) -> Result<IngestReport, IngestError> {
    let refs = load_references(corpus)?;
    let mut files: BTreeMap<String, FileEntry> = std::mem::take(&mut current.files)
        .into_iter()
        .map(|f| (f.path.clone(), f))
        .collect();
    let records_of = corpus
        .references
        .as_ref()
        .map(|p| corpus::rel_path(&corpus.root, p));
    let mut deletes: Vec<DocKey> = Vec::new();
    let mut passages: Vec<Passage> = Vec::new();
    let mut warnings = corpus.skipped.clone();
    let mut removed = 0;
    let mut reextracted = 0;
    // The site counts before the update, and the sites whose counts it changes.
    let mut blocks = std::mem::take(&mut current.blocks);
    let counts_before = SiteCounts::of(&blocks);
    let mut sites: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<Page> = Vec::new();

    for rel in &changes.removed {
        sites.extend(blocks.pages.remove(rel).map(|b| b.site));
        let Some(old) = files.remove(rel) else {
            continue;
        };
        let kind = kind_of(rel);
        let doc = old.doc.clone();
        let key = DocKey {
            kind,
            doc: doc.clone(),
        };
        removed += forget(&mut files, records_of.as_deref(), &key, Some(old));
        deletes.push(key);
        if kind == Kind::Reference {
            // The reference is still listed (references.json did not change): back to its record.
            if let Some(r) = refs.get(&doc) {
                passages.extend(record_passage(r, corpus));
            }
        }
    }
    let mut todo: Vec<String> = changes
        .changed
        .iter()
        .chain(&changes.added)
        .cloned()
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    // Once for the changed and added files, then for the unchanged ones that crossed.
    loop {
        for rel in &todo {
            done.insert(rel.clone());
            sites.extend(blocks.pages.remove(rel).map(|b| b.site));
            let old = files.remove(rel);
            if let Some(old) = old {
                let key = DocKey {
                    kind: kind_of(rel),
                    doc: old.doc.clone(),
                };
                removed += forget(&mut files, records_of.as_deref(), &key, Some(old));
                deletes.push(key);
            }
            reextracted += 1;
            match kind_of(rel) {
                Kind::Guide => {
                    let Some(file) = corpus.guides.iter().find(|g| &g.rel == rel) else {
                        continue;
                    };
                    // Passages a previous, interrupted run may have left under the new id.
                    deletes.push(DocKey {
                        kind: Kind::Guide,
                        doc: file.doc_id.clone(),
                    });
                    match read_file(&corpus.root, &file.path) {
                        Ok((text, mut entry)) => {
                            let (page, unsure) = guide_page(file, &text);
                            pending.push(page);
                            warnings.extend(unsure);
                            entry.doc = file.doc_id.clone();
                            files.insert(rel.clone(), entry);
                        }
                        Err((reason, entry)) => {
                            warnings.push(format!("skipped {}: {reason}", file.path.display()));
                            if let Some(e) = entry {
                                files.insert(
                                    rel.clone(),
                                    FileEntry {
                                        doc: file.doc_id.clone(),
                                        ..*e
                                    },
                                );
                            }
                        }
                    }
                }
                Kind::Reference => {
                    let id = snapshot_id(rel);
                    let Some(r) = refs.get(id) else {
                        continue;
                    };
                    let key = DocKey {
                        kind: Kind::Reference,
                        doc: r.id.clone(),
                    };
                    removed += forget(&mut files, records_of.as_deref(), &key, None);
                    deletes.push(key);
                    let (content, warning, entry) = reference_file_content(corpus, r);
                    match content {
                        RefContent::Page(page) => pending.push(*page),
                        RefContent::Record(new) => passages.extend(new),
                    }
                    warnings.extend(warning);
                    if let Some(e) = entry {
                        files.insert(rel.clone(), e);
                    }
                }
            }
        }
        // The pages just extracted count for their sites; unchanged pages of those sites that hold
        // a block now over the threshold, or no longer over it, are extracted again.
        for page in &pending {
            if !blocks.pages.contains_key(&page.path) {
                if let Some(counted) = repeat::page_blocks(&page.doc) {
                    sites.insert(counted.site.clone());
                    blocks.pages.insert(page.path.clone(), counted);
                }
            }
        }
        todo = crossed(&counts_before, &blocks, &sites, &done);
        if todo.is_empty() {
            break;
        }
    }
    deletes.dedup();
    let counts = SiteCounts::of(&blocks);
    passages.extend(
        pending
            .into_par_iter()
            .flat_map_iter(|p| p.passages(&counts))
            .collect::<Vec<_>>(),
    );

    let cited = link::link_passages(passages, &refs);
    let mut files: Vec<FileEntry> = files.into_values().collect();
    let before: usize = files.iter().map(FileEntry::passage_count).sum();
    record_passages(&mut files, &cited);
    let added = files.iter().map(FileEntry::passage_count).sum::<usize>() - before;
    let (stats, guides) = stats_of(&files, refs.refs.len());
    let from = current.generation.clone();
    let marker = Marker {
        stats: stats.clone(),
        files,
        blocks,
        ..current
    };
    let marker = index.write_incremental(lock, &from, &deletes, &cited, &refs, marker, vectors)?;
    let embedded = marker.vectors.as_ref().map_or(0, |v| v.embedded);
    Ok(IngestReport {
        mode: Mode::Incremental,
        full_reason: None,
        changes,
        reextracted,
        passages_added: added,
        passages_removed: removed,
        stats,
        guides,
        elapsed: start.elapsed(),
        warnings,
        embedded,
    })
}

/// The pages of `sites` not yet `done` that hold a block repeated before but not with
/// `blocks`' counts, or the other way round: they extract differently now.
fn crossed(
    before: &SiteCounts,
    blocks: &SitePages,
    sites: &BTreeSet<String>,
    done: &BTreeSet<String>,
) -> Vec<String> {
    let after = SiteCounts::of(blocks);
    let flipped: FxHashMap<&str, FxHashSet<u64>> = sites
        .iter()
        .map(|s| (s.as_str(), before.flipped(&after, s)))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    if flipped.is_empty() {
        return Vec::new();
    }
    blocks
        .pages
        .iter()
        .filter(|(path, page)| {
            !done.contains(*path)
                && flipped
                    .get(page.site.as_str())
                    .is_some_and(|f| page.prints.iter().any(|p| f.contains(p)))
        })
        .map(|(path, _)| path.clone())
        .collect()
}

/// Forget what a file contributed to the manifest: its passages, and for a reference its
/// record passage (listed under references.json). Returns how many passages that was.
fn forget(
    files: &mut BTreeMap<String, FileEntry>,
    records_of: Option<&str>,
    key: &DocKey,
    old: Option<FileEntry>,
) -> usize {
    let mut removed = old.map_or(0, |e| e.passage_count());
    if key.kind == Kind::Reference {
        let record = format!("{}#record/1", key.doc);
        if let Some(entry) = records_of.and_then(|r| files.get_mut(r)) {
            let ids = entry.passages_mut();
            let before = ids.len();
            ids.retain(|p| p != &record);
            removed += before - ids.len();
        }
    }
    removed
}

/// The kind of passages a corpus file holds, by where it lives.
fn kind_of(rel: &str) -> Kind {
    if rel.starts_with("guide/") {
        Kind::Guide
    } else {
        Kind::Reference
    }
}

/// `references/<id>.html` → `<id>`.
fn snapshot_id(rel: &str) -> &str {
    let name = rel.strip_prefix("references/").unwrap_or(rel);
    name.strip_suffix(".html").unwrap_or(name)
}

/// Why a file could not be read, and its manifest entry when its bytes could be.
type Unread = (String, Option<Box<FileEntry>>);

/// Read a corpus file as text, with its manifest entry. On failure, the reason and, when the
/// file could be stat'ed, its entry marked skipped: an unreadable or undecodable file is
/// recorded (without a hash when it could not be read) and not retried until it changes.
fn read_file(root: &Path, path: &Path) -> Result<(String, FileEntry), Unread> {
    let entry = |hash: String| {
        stat(path).map(|(size, mtime_ns)| FileEntry {
            path: corpus::rel_path(root, path),
            size,
            mtime_ns,
            hash,
            passages: Vec::new(),
            passages_raw: None,
            doc: String::new(),
            citations: 0,
            text_bytes: 0,
            skipped: true,
        })
    };
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Err((
                format!("cannot read it ({e})"),
                entry(String::new()).map(Box::new),
            ))
        }
    };
    let Some(mut entry) = entry(blake3::hash(&bytes).to_hex().to_string()) else {
        return Err(("cannot stat it".to_string(), None));
    };
    match decode(path, bytes) {
        Ok(text) => {
            entry.skipped = false;
            Ok((text, entry))
        }
        Err(reason) => Err((reason, Some(Box::new(entry)))),
    }
}

/// A corpus file's text: UTF-8, or for an HTML page the encoding its `<meta charset>` (or
/// `http-equiv` Content-Type) declares.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, String> {
    let e = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e,
    };
    let bytes = e.as_bytes();
    if Format::from_path(path) == Some(Format::Html) {
        if let Some(encoding) = crate::fetch::http::declared_charset(bytes) {
            if encoding != encoding_rs::UTF_8 {
                return Ok(encoding.decode(bytes).0.into_owned());
            }
        }
    }
    Err(format!(
        "not valid UTF-8 (byte {}); save it as UTF-8",
        e.utf8_error().valid_up_to()
    ))
}

/// A page extracted and not yet split into passages: a page whose blocks count for its site
/// is split only once the site's counts are known ([`Page::passages`]).
struct Page {
    doc: Document,
    id: String,
    kind: Kind,
    /// Corpus-relative path.
    path: String,
}

impl Page {
    /// The passages, the blocks repeated on the page's site (by `counts`) left out.
    fn passages(mut self, counts: &SiteCounts) -> Vec<Passage> {
        repeat::remove_repeated(&mut self.doc, counts, false);
        self.split()
    }

    /// The passages of a page no counts can change.
    fn split(self) -> Vec<Passage> {
        passage::split(
            &self.doc,
            &DocInfo {
                id: &self.id,
                kind: self.kind,
                path: &self.path,
            },
        )
    }
}

/// One guide file extracted, and the warning naming the file when main-content detection
/// was unsure (and kept more of the page).
fn guide_page(file: &SourceFile, text: &str) -> (Page, Option<String>) {
    let base = url::Url::from_file_path(&file.path)
        .ok()
        .map(|u| u.to_string());
    let stem = file
        .path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let doc = extract::extract(file.format, text, base.as_deref(), &stem);
    let unsure = doc
        .unsure
        .as_ref()
        .map(|why| format!("{}: {why}", file.path.display()));
    let page = Page {
        doc,
        id: file.doc_id.clone(),
        kind: Kind::Guide,
        path: file.rel.clone(),
    };
    (page, unsure)
}

/// A reference's page snapshot extracted.
fn reference_page(r: &Reference, rel: &str, html: &str) -> Page {
    let base = r.link();
    let mut doc = extract::extract(Format::Html, html, base.as_deref(), &r.title);
    if doc.url.is_none() {
        doc.url = r.url.clone().or_else(|| r.link());
    }
    Page {
        doc,
        id: r.id.clone(),
        kind: Kind::Reference,
        path: rel.to_string(),
    }
}

/// A single passage made from the reference record itself, for references with no snapshot.
fn record_passage(r: &Reference, corpus: &Corpus) -> Option<Passage> {
    let mut parts = vec![r.title.clone()];
    parts.extend(r.container.clone());
    parts.extend(r.abstract_text.clone());
    parts.extend(r.note.clone());
    let text = extract::clean_text(&parts.join(". "));
    if text.is_empty() {
        return None;
    }
    let (path, line) = match &corpus.references {
        Some(p) => (
            corpus::rel_path(&corpus.root, p),
            record_line(&reference_lines(p), &r.id).unwrap_or(1),
        ),
        None => ("references.json".to_string(), 1),
    };
    Some(Passage {
        id: format!("{}#record/1", r.id),
        kind: Kind::Reference,
        doc: r.id.clone(),
        title: r.title.clone(),
        section: Vec::new(),
        text,
        alt: String::new(),
        path,
        line,
        url: r.url.clone().or_else(|| r.link()),
        links: Vec::new(),
    })
}

/// The line of each record id in references.json, read once per file version (a corpus with
/// thousands of references asks for every one of them).
fn reference_lines(path: &Path) -> std::sync::Arc<HashMap<String, usize>> {
    type Cache = Mutex<Option<(PathBuf, Option<(u64, u128)>, Arc<HashMap<String, usize>>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(None));
    let version = stat(path);
    let mut guard = match cache.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some((p, v, lines)) = guard.as_ref() {
        if p == path && *v == version {
            return lines.clone();
        }
    }
    let mut lines = HashMap::new();
    if let Ok(text) = fs::read_to_string(path) {
        for (i, line) in text.lines().enumerate() {
            if let Some(id) = id_on_line(line) {
                lines.entry(id).or_insert(i + 1);
            }
        }
    }
    let lines = Arc::new(lines);
    *guard = Some((path.to_path_buf(), version, lines.clone()));
    lines
}

/// The id of a record whose `"id": "…"` member is on this line.
fn id_on_line(line: &str) -> Option<String> {
    let at = line.find("\"id\"")?;
    let rest = line[at + 4..].trim_start().strip_prefix(':')?.trim_start();
    let mut de = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
    match de.next() {
        Some(Ok(Value::String(id))) => Some(id),
        _ => None,
    }
}

/// Line of the `"id": "<id>"` member of a record in references.json.
fn record_line(lines: &HashMap<String, usize>, id: &str) -> Option<usize> {
    lines.get(id).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latin1_page_declaring_its_charset_is_decoded() {
        let page = b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\xe9 au lait</p>\
            </body></html>"
            .to_vec();
        let text = decode(Path::new("guide/a.html"), page.clone()).unwrap();
        assert!(text.contains("Café au lait"), "{text}");
        // Only HTML declares an encoding; an undeclared one is still refused, by byte.
        let md = decode(Path::new("guide/a.md"), page).unwrap_err();
        assert!(md.contains("not valid UTF-8 (byte 58)"), "{md}");
        assert!(decode(Path::new("guide/b.html"), b"<p>Caf\xe9</p>".to_vec()).is_err());
    }

    #[test]
    fn skipped_guides_are_not_counted_as_indexed() {
        let entry = |path: &str, skipped| FileEntry {
            path: path.into(),
            size: 1,
            mtime_ns: 1,
            hash: String::new(),
            passages: vec!["p#a/1".into()],
            passages_raw: None,
            doc: "d".into(),
            citations: 0,
            text_bytes: 0,
            skipped,
        };
        let files = [
            entry("guide/a.md", false),
            entry("guide/b.md", true),
            entry("references.json", false),
        ];
        let (stats, guides) = stats_of(&files, 2);
        assert_eq!((guides, stats.documents), (1, 3));
    }
}
