//! Reading a hit's passage: the document at an address, decoded by the index's stored format
//! ([`crate::index::stored_passage`]) once per hit; a passage that cannot be read is an error
//! naming where it is, never a hit silently left out.

use tantivy::{DocAddress, Searcher, TantivyDocument};

use super::QueryError;
use crate::index::{Fields, StoredError};
use crate::link::CitedPassage;

/// A stored passage that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error(
    "the index is damaged (passage {doc} of segment {segment} cannot be read): run \
     `citeseek ingest --full` to rebuild it"
)]
pub struct StoredPassageError {
    pub segment: u32,
    pub doc: u32,
    #[source]
    pub source: StoredError,
}

/// The stored passage at `addr`.
pub fn stored_passage(
    searcher: &Searcher,
    fields: &Fields,
    addr: DocAddress,
) -> Result<CitedPassage, QueryError> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    crate::index::stored_passage(fields, &doc).map_err(|source| {
        QueryError::Stored(StoredPassageError {
            segment: addr.segment_ord,
            doc: addr.doc_id,
            source,
        })
    })
}
