//! The term-dictionary entries of a query's tokens, looked up once per query: typo correction
//! asks whether the index has a word, and the scorer then reads the same entries for its
//! postings instead of searching the dictionaries again.

use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::correct::Dictionaries;
use super::QueryError;

/// A token's term infos: `[segment][text field]` (fields in [`crate::index::Fields::text`]
/// order), `None` where the segment lacks the term or the field.
pub(crate) type TokenInfos = Vec<[Option<TermInfo>; 4]>;

/// The term infos of some of a query's tokens in each segment of one searcher.
#[derive(Default)]
pub(crate) struct TermLookups {
    /// The segments looked up in, in the searcher's order.
    segments: Vec<SegmentId>,
    entries: Vec<(String, TokenInfos)>,
}

impl TermLookups {
    /// `token`'s term infos in each segment and text field of `dictionaries`, looked up once.
    pub fn look_up(
        &mut self,
        dictionaries: &Dictionaries,
        token: &str,
    ) -> Result<&TokenInfos, QueryError> {
        if self.segments.is_empty() {
            self.segments = dictionaries.segment_ids().collect();
        }
        let k = match self.entries.iter().position(|(t, _)| t == token) {
            Some(k) => k,
            None => {
                let mut infos = Vec::with_capacity(self.segments.len());
                for fields in dictionaries.text_fields() {
                    let mut per_field: [Option<TermInfo>; 4] = Default::default();
                    for (slot, (field, index)) in per_field.iter_mut().zip(fields) {
                        if let Some(index) = index {
                            *slot = index
                                .get_term_info(&Term::from_field_text(*field, token))
                                .map_err(tantivy::TantivyError::from)?;
                        }
                    }
                    infos.push(per_field);
                }
                self.entries.push((token.to_string(), infos));
                self.entries.len() - 1
            }
        };
        Ok(&self.entries[k].1)
    }

    /// `token`'s term infos, when they were looked up in `searcher`'s segments.
    pub fn get(&self, searcher: &Searcher, token: &str) -> Option<&TokenInfos> {
        let (_, infos) = self.entries.iter().find(|(t, _)| t == token)?;
        let segments = searcher.segment_readers();
        (segments.len() == self.segments.len()
            && segments
                .iter()
                .zip(&self.segments)
                .all(|(s, id)| s.segment_id() == *id))
        .then_some(infos)
    }
}

/// Where `field` is in [`crate::index::Fields::text`] order.
pub(crate) fn text_field_slot(text: &[Field; 4], field: Field) -> Option<usize> {
    text.iter().position(|f| *f == field)
}
