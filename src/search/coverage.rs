//! Query coverage of given passages: the share of the query's terms, weighted by their
//! inverse document frequency, that each passage has in its text, title or headings (a term,
//! or every word of one of its synonyms). `cite` asks it of its candidates; it is read from the
//! postings of the terms the query looked up, not by analysing the passages' text again.

use std::collections::BTreeMap;

use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Searcher, Term, TERMINATED};

use super::plan::BuiltQuery;
use super::QueryError;
use crate::index::Fields;

impl BuiltQuery<'_> {
    /// For each of `addrs`, the share (0–1) of the query's terms its passage has, each term
    /// weighted by its BM25-style inverse document frequency in the body field: rare words
    /// ("herniation") say more about a claim than common ones ("back", "pain"). A term counts
    /// when the passage's text, title or headings have it, or all the words of one of its
    /// synonyms. The alt text does not count, nor does the scorer's own coverage factor's
    /// definition apply (see `score`): this is the measure `cite`'s evidence floor uses.
    pub fn coverage(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        addrs: &[DocAddress],
    ) -> Result<Vec<f32>, QueryError> {
        let n = searcher.num_docs() as f32;
        let mut idf = Vec::with_capacity(self.terms.len());
        for t in &self.terms {
            let df = searcher.doc_freq(&Term::from_field_text(fields.body, t))? as f32;
            idf.push((1.0 + (n - df + 0.5) / (df + 0.5)).ln());
        }
        let total: f32 = idf.iter().sum();
        if total <= 0.0 {
            return Ok(vec![0.0; addrs.len()]);
        }
        // Every token that can count: the terms and the words of their synonyms.
        let mut tokens: Vec<&str> = Vec::new();
        for (t, alternatives) in self.terms.iter().zip(&self.alternatives) {
            for token in std::iter::once(t).chain(alternatives.iter().flatten()) {
                if !tokens.contains(&token.as_str()) {
                    tokens.push(token);
                }
            }
        }
        // `have[i][j]`: whether passage `addrs[i]` has token `tokens[j]`.
        let mut have = vec![vec![false; tokens.len()]; addrs.len()];
        let mut by_segment: BTreeMap<u32, Vec<(DocId, usize)>> = BTreeMap::new();
        for (i, a) in addrs.iter().enumerate() {
            by_segment
                .entry(a.segment_ord)
                .or_default()
                .push((a.doc_id, i));
        }
        for (ord, mut docs) in by_segment {
            docs.sort_unstable();
            let segment = searcher.segment_reader(ord);
            for field in [fields.body, fields.title, fields.section] {
                let Some(index) = self.caches.field_index(segment, field)? else {
                    continue;
                };
                for (j, token) in tokens.iter().enumerate() {
                    let term = Term::from_field_text(field, token);
                    let Some(mut postings) = index
                        .read_postings(&term, IndexRecordOption::Basic)
                        .map_err(tantivy::TantivyError::from)?
                    else {
                        continue;
                    };
                    for &(doc, i) in &docs {
                        let at = if postings.doc() < doc {
                            postings.seek(doc)
                        } else {
                            postings.doc()
                        };
                        if at == TERMINATED {
                            break;
                        }
                        if at == doc {
                            have[i][j] = true;
                        }
                    }
                }
            }
        }
        let position = |token: &str| tokens.iter().position(|t| *t == token);
        Ok(have
            .iter()
            .map(|has| {
                let has = |token: &str| position(token).is_some_and(|j| has[j]);
                let matched: f32 = self
                    .terms
                    .iter()
                    .zip(&self.alternatives)
                    .zip(&idf)
                    .filter(|((t, alternatives), _)| {
                        has(t)
                            || alternatives
                                .iter()
                                .any(|a| a.iter().all(|token| has(token)))
                    })
                    .map(|(_, idf)| *idf)
                    .sum();
                matched / total
            })
            .collect())
    }
}
