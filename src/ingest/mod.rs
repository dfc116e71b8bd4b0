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
//!
//! One ingest run: `plan` decides what changed, then `full` builds a new generation from
//! scratch or `incremental` builds one from the current generation, each asking the index
//! layer for whole operations (begin a generation, remove and add passages, finish it with its
//! manifest). `source` reads and extracts corpus files, `record` keeps the manifest's
//! passage lists and stats, and `references` holds references.json as the run read it, once.

mod full;
mod incremental;
mod plan;
mod record;
mod references;
mod report;
mod source;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::corpus;
use crate::index::{IndexDir, IndexLock, Marker};
use crate::references::ReferenceError;

pub use plan::{canonical, stale_files, Changes};
pub use report::{IngestReport, Mode};
pub use source::decode;

use plan::Plan;
use references::References;

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

/// Ingest a corpus into an index directory: incrementally when the index can be updated,
/// fully when asked or when it must be. Takes the index lock (waiting up to [`LOCK_WAIT`]).
pub fn ingest(
    corpus_dir: &Path,
    index: &IndexDir,
    opts: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    if opts.dry_run {
        return plan::dry_run(corpus_dir, index, opts);
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
    let references = References::new(&corpus);
    match plan::plan(&corpus, &references, corpus_dir, index, opts.full)? {
        Plan::Full { reason, previous } => {
            let run = Run::new(&corpus, &references, index, lock, start);
            full::full(&run, opts, reason, previous)
        }
        Plan::Update { marker, changes } => {
            if changes.needs_work() {
                // references.json did not change: its ids are the manifest's.
                corpus.reserve_ids(&marker.reference_ids);
                let run = Run::new(&corpus, &references, index, lock, start);
                return incremental::incremental(&run, marker, changes, &opts.vectors);
            }
            let run = Run::new(&corpus, &references, index, lock, start);
            if needs_vectors(&marker, &opts.vectors) {
                return incremental::embed_only(&run, marker, changes, &opts.vectors);
            }
            incremental::up_to_date(&run, marker, changes)
        }
    }
}

/// One ingest run under the index lock: the corpus, its references.json as the run read it,
/// and the index it writes.
struct Run<'a> {
    corpus: &'a corpus::Corpus,
    references: &'a References,
    index: &'a IndexDir,
    lock: &'a IndexLock,
    start: Instant,
}

impl<'a> Run<'a> {
    fn new(
        corpus: &'a corpus::Corpus,
        references: &'a References,
        index: &'a IndexDir,
        lock: &'a IndexLock,
        start: Instant,
    ) -> Run<'a> {
        Run {
            corpus,
            references,
            index,
            lock,
            start,
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
