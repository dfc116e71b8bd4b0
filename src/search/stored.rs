//! The passage each index document stores (its `data` field: the [`CitedPassage`] as JSON),
//! decoded in one place, once per hit; a document whose data is missing or does not decode is
//! an error, never a hit silently left out.

use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use super::QueryError;
use crate::index::Fields;
use crate::link::CitedPassage;

/// A stored passage that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum StoredPassageError {
    #[error(
        "the index is damaged (passage {doc} of segment {segment} has no stored data): run \
         `citeseek ingest --full` to rebuild it"
    )]
    Missing { segment: u32, doc: u32 },
    #[error(
        "the index is damaged (the stored data of passage {doc} of segment {segment} does not \
         decode): run `citeseek ingest --full` to rebuild it"
    )]
    Decode {
        segment: u32,
        doc: u32,
        #[source]
        source: serde_json::Error,
    },
}

/// The passage a stored document holds: the one decoding of the `data` field.
pub fn decode_passage(
    doc: &TantivyDocument,
    fields: &Fields,
    addr: DocAddress,
) -> Result<CitedPassage, StoredPassageError> {
    let data =
        doc.get_first(fields.data)
            .and_then(|v| v.as_str())
            .ok_or(StoredPassageError::Missing {
                segment: addr.segment_ord,
                doc: addr.doc_id,
            })?;
    serde_json::from_str(data).map_err(|source| StoredPassageError::Decode {
        segment: addr.segment_ord,
        doc: addr.doc_id,
        source,
    })
}

/// The stored passage at `addr`.
pub fn stored_passage(
    searcher: &Searcher,
    fields: &Fields,
    addr: DocAddress,
) -> Result<CitedPassage, QueryError> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    Ok(decode_passage(&doc, fields, addr)?)
}
