//! The tantivy index: schema, English analysis (registered on every open), the index directory
//! with its marker and generations, full writes with an atomic swap, and opening for search.
//!
//! Layout of an index directory:
//! ```text
//! index/
//!   citeseek-index.json   marker: schema version, current generation, corpus, stats
//!   gen-<millis>-<pid>/   one tantivy index, the references it was built with, its manifest
//!                         (manifest.tsv: files and hashes; passages.tsv: their passage
//!                         ids) and files.tsv (the sizes and times the freshness check
//!                         compares), and blocks.tsv (the fingerprints of the blocks
//!                         of pages without an explicit article root, for the per-site
//!                         repetition counts: see `extract::repeat`)
//! ```
//! Every write — a full rebuild or an incremental update — builds a new generation beside the
//! current one (an incremental update starts from hard links to the current generation's
//! immutable segment files, then deletes and adds passages in one tantivy commit), syncs it to
//! disk, and only then replaces the marker with an atomic rename. A reader therefore sees the
//! old index or the new one, never a mix, and a writer killed at any moment leaves the old
//! marker pointing at the old, untouched generation.
//!
//! Writers hold an exclusive lock on `index/.lock` (which records their pid) for the whole
//! write, so at most one process writes an index directory; while holding it they remove
//! generations left behind by killed writers. Readers take no lock: a reader that read the old
//! marker just before its generation was removed reads the marker again.
//!
//! One concept a file: `schema` (fields, settings, [`SCHEMA_VERSION`]), `stored` (the
//! stored passage format), `manifest` (the manifest's file formats and stats), `marker`
//! (the marker file), `lock` (the writers' lock), `generation` (creating, publishing and
//! removing generations), `write` (a generation being written, from scratch or from the
//! current one) with `queue` (its back-pressure), `open` (opening for search, through
//! `readonly`), `damage` (checksums and tantivy's panics) and `error`.

mod damage;
mod error;
mod generation;
mod lock;
mod manifest;
mod marker;
mod open;
mod queue;
mod readonly;
mod schema;
mod stored;
mod write;

use std::path::PathBuf;

pub use crate::fsutil::write_atomic;
pub use damage::catch_panic;
pub use error::{write_error, IndexError};
pub use generation::{GENERATION_PROOF, REFERENCES_FILE};
pub use lock::{IndexLock, LOCK_FILE};
pub use manifest::{
    FileEntry, RawIds, StatEntry, Stats, BLOCKS_FILE, MANIFEST_FILE, PASSAGES_FILE, STAT_FILE,
};
pub use marker::{Marker, MARKER};
pub use open::OpenIndex;
pub use schema::{index_settings, schema, Fields, SCHEMA_VERSION};
pub use stored::{stored_passage, to_document, StoredError};
pub use write::{DocKey, FullWrite, Generation, ONE_THREAD_BELOW_BYTES};

/// An index directory on disk.
#[derive(Debug, Clone)]
pub struct IndexDir {
    pub path: PathBuf,
}

impl IndexDir {
    pub fn new(path: impl Into<PathBuf>) -> IndexDir {
        IndexDir { path: path.into() }
    }

    fn marker_path(&self) -> PathBuf {
        self.path.join(MARKER)
    }

    fn io(&self, source: std::io::Error) -> IndexError {
        IndexError::Io {
            dir: self.path.clone(),
            source,
        }
    }
}
