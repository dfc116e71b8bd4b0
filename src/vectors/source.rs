//! What the vector stage reads from an index: a searcher over its committed passages, and the
//! passage stored at an address. The index layer implements it (for an opened index and for a
//! generation being published), so vectors never name the index's types: passages flow into
//! vectors, and vectors into the index, one way.

use tantivy::{DocAddress, Searcher};

use crate::link::CitedPassage;

/// Why a passage source could not be read (a tantivy error, or a stored passage that does
/// not decode).
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// Name of the fast field holding each passage's vector key.
pub const KEY_FIELD: &str = "vector_key";

/// An index's passages, as the vector stage reads them. The key of each passage's vector is
/// in the fast field [`KEY_FIELD`] of the searcher's segments.
pub trait PassageSource {
    /// A searcher over the committed passages.
    fn searcher(&self) -> Result<Searcher, SourceError>;
    /// The passage stored at `at`; a passage that does not decode is an error.
    fn passage(&self, searcher: &Searcher, at: DocAddress) -> Result<CitedPassage, SourceError>;
}
