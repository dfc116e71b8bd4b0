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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::passage::Kind;
    use crate::search::synonyms::Synonyms;
    use crate::search::test_index::{index_of, request};
    use crate::search::words::analyze;
    use crate::search::{build_query, stored_passage};

    /// The coverage as `cite` computed it from each passage's analysed text, title and headings.
    fn from_text(built: &BuiltQuery, searcher: &Searcher, fields: &Fields, a: DocAddress) -> f32 {
        let n = searcher.num_docs() as f32;
        let idf: Vec<f32> = built
            .terms
            .iter()
            .map(|t| {
                let df = searcher
                    .doc_freq(&Term::from_field_text(fields.body, t))
                    .unwrap() as f32;
                (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
            })
            .collect();
        let total: f32 = idf.iter().sum();
        if total <= 0.0 {
            return 0.0;
        }
        let p = stored_passage(searcher, fields, a).unwrap().passage;
        let mut have: HashSet<String> = HashSet::new();
        for text in [&p.text, &p.title].into_iter().chain(p.section.iter()) {
            have.extend(analyze(text).into_iter().map(|(_, t)| t));
        }
        let matched: f32 = built
            .terms
            .iter()
            .zip(&built.alternatives)
            .zip(&idf)
            .filter(|((t, alternatives), _)| {
                have.contains(*t)
                    || alternatives
                        .iter()
                        .any(|a| a.iter().all(|t| have.contains(t)))
            })
            .map(|(_, idf)| *idf)
            .sum();
        matched / total
    }

    #[test]
    fn coverage_from_the_postings_equals_coverage_from_the_text() {
        let (_tmp, index) = index_of(&[
            (
                "a",
                Kind::Guide,
                "Chiropractic",
                "Spinal manipulation for the back.",
            ),
            ("b", Kind::Guide, "Back", "Back, back and lower back MRIs."),
            (
                "c",
                Kind::Reference,
                "Care",
                "A chiropractor eases herniation pain.",
            ),
            ("d", Kind::Guide, "Other", "Nothing relevant here."),
            (
                "e",
                Kind::Guide,
                "Heat",
                "Heat and ice for a herniated disc in the back.",
            ),
        ]);
        let synonyms =
            Synonyms::parse("chiropractor, chiropractic, spinal manipulation\nMRI, scan");
        let searcher = index.reader.searcher();
        let all: Vec<DocAddress> = (0..searcher.segment_reader(0).max_doc())
            .map(|d| DocAddress::new(0, d))
            .collect();
        let mut seen = Vec::new();
        for q in [
            "chiropractor back",
            "chiropractic herniation pain",
            "MRI of the back",
            "heat",
            "walrus back",
        ] {
            for s in [&synonyms, &Synonyms::default()] {
                let built =
                    build_query(&searcher, &index.fields, &request(q, 10), s, &index.caches)
                        .unwrap();
                let got = built.coverage(&searcher, &index.fields, &all).unwrap();
                let want: Vec<f32> = all
                    .iter()
                    .map(|&a| from_text(&built, &searcher, &index.fields, a))
                    .collect();
                assert_eq!(got, want, "{q}");
                seen.extend(got);
            }
        }
        // None, some and all of a query's words were met.
        assert!(seen.contains(&0.0) && seen.contains(&1.0), "{seen:?}");
        assert!(seen.iter().any(|&c| c > 0.0 && c < 1.0), "{seen:?}");
    }
}
