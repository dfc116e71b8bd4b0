//! Typo correction: a query word no passage has is searched as the nearest word of the
//! passage text (by edit distance, then by how many passages have it), found in each segment's
//! term dictionary or, once it has been walked often, in its grouped terms ([`super::lexicon`]).

use std::sync::Arc;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{InvertedIndexReader, Searcher, Term};

use super::caches::SearchCaches;
use super::lexicon::SegmentTerms;
use super::lookup::TermLookups;
use super::plan::BuiltQuery;
use super::QueryError;
use crate::index::Fields;

/// Weight of an index word standing in for a query word with no exact match (a typo's
/// correction): below the word itself, had it been typed right.
const CORRECTION_WEIGHT: f32 = 0.5;

impl BuiltQuery<'_> {
    /// Search the index word `fix` instead of `typo` in plan clause `clause`, at
    /// [`CORRECTION_WEIGHT`], and count it for coverage in the typo's place.
    pub(crate) fn correct(&mut self, clause: usize, typo: &str, fix: &str) {
        if let Some(pc) = self.plan.clauses.get_mut(clause) {
            for t in pc.tokens.iter_mut().filter(|t| t.text == typo) {
                t.text = fix.to_string();
                t.weight *= CORRECTION_WEIGHT;
            }
        }
        if let Some(k) = self.terms.iter().position(|t| t == typo) {
            if self.terms.iter().any(|t| t == fix) {
                self.terms.remove(k);
                self.alternatives.remove(k);
            } else {
                self.terms[k] = fix.to_string();
            }
        }
    }
}

/// The index term to search instead of `token` when no passage has it in any text field: the
/// term of the passage text within edit distance 1 (tokens of 5 to 8 characters) or 2 (9 or
/// more) that starts with the same letter, nearer first, then the one most passages have,
/// found with tantivy's Levenshtein automaton over each segment's term dictionary (an FST).
/// `None` for numbers, tokens of 4 characters or fewer, and tokens the index has.
pub(crate) fn correction(
    dictionaries: &mut Dictionaries,
    lookups: &mut TermLookups,
    f: &Fields,
    token: &str,
) -> Result<Option<String>, QueryError> {
    if !correctable(token) {
        return Ok(None);
    }
    // The scorer reads these term infos again, from `lookups`.
    let infos = lookups.look_up(dictionaries, token)?;
    if infos.iter().flatten().any(Option::is_some) {
        return Ok(None);
    }
    let len = token.chars().count();
    let max_distance = if len >= 9 { 2 } else { 1 };
    // The first letter is taken to be right, as spelling correctors usually do: the search
    // then walks one letter's part of the dictionary, not all of it.
    let first = token.chars().next().map_or(0, char::len_utf8);
    let from = token.as_bytes()[..first].to_vec();
    let mut to = from.clone();
    if let Some(last) = to.last_mut() {
        *last = last.saturating_add(1);
    }
    // One walk at the largest distance, of the passage text's dictionary (headings and titles
    // seldom have a word the text lacks); each candidate's own distance ranks it.
    let mut automaton = None;
    let mut found: std::collections::BTreeMap<String, u64> = Default::default();
    let lexicon = &dictionaries.caches.lexicon;
    for segment in &mut dictionaries.segments {
        // The passage text is the first text field.
        let Some(index) = &segment.fields[0].1 else {
            continue;
        };
        if segment.grouped.is_none() {
            segment.grouped = lexicon
                .walked(segment.id, index)
                .map_err(tantivy::TantivyError::from)?;
        }
        // The same candidates, from the segment's terms grouped by first letter and length.
        if let Some(grouped) = &segment.grouped {
            grouped.near(token, usize::from(max_distance), &mut |term, df| {
                *found.entry(term.to_string()).or_default() += u64::from(df);
            });
            continue;
        }
        let automaton = match &automaton {
            Some(a) => a,
            None => automaton.insert(
                FuzzyTermQuery::new(Term::from_field_text(f.body, token), max_distance, true)
                    .automaton()?,
            ),
        };
        let mut terms = index
            .terms()
            .search(automaton)
            .ge(&from)
            .lt(&to)
            .into_stream()
            .map_err(tantivy::TantivyError::from)?;
        while terms.advance() {
            if let Ok(t) = std::str::from_utf8(terms.key()) {
                *found.entry(t.to_string()).or_default() += u64::from(terms.value().doc_freq);
            }
        }
    }
    // The nearest (transpositions count one edit, as in the automaton), then the one most
    // passages have, then the first in order.
    let best = found
        .into_iter()
        .map(|(term, df)| {
            (
                strsim::osa_distance(token, &term),
                std::cmp::Reverse(df),
                term,
            )
        })
        .min();
    Ok(best.map(|(_, _, term)| term))
}

/// Whether a query token may be corrected: more than 4 characters, no digit.
pub(crate) fn correctable(token: &str) -> bool {
    token.chars().nth(4).is_some() && !token.chars().any(char::is_numeric)
}

/// The text fields' term dictionaries of each segment, looked up once per query, with the
/// segment's grouped passage text terms when the index has built them.
pub(crate) struct Dictionaries<'a> {
    segments: Vec<SegmentDictionaries>,
    caches: &'a SearchCaches,
}

struct SegmentDictionaries {
    id: tantivy::index::SegmentId,
    /// The text fields in [`Fields::text`] order; `None` where the segment has no terms.
    fields: [(Field, Option<Arc<InvertedIndexReader>>); 4],
    grouped: Option<Arc<SegmentTerms>>,
}

impl<'a> Dictionaries<'a> {
    pub(crate) fn of(
        searcher: &Searcher,
        f: &Fields,
        caches: &'a SearchCaches,
    ) -> Result<Dictionaries<'a>, QueryError> {
        let mut segments = Vec::new();
        for segment in searcher.segment_readers() {
            let mut fields = f.text().map(|field| (field, None));
            for (field, index) in &mut fields {
                *index = caches.field_index(segment, *field)?;
            }
            segments.push(SegmentDictionaries {
                id: segment.segment_id(),
                fields,
                grouped: caches.lexicon.grouped(segment.segment_id()),
            });
        }
        Ok(Dictionaries { segments, caches })
    }

    /// The segments, in the searcher's order.
    pub(crate) fn segment_ids(&self) -> impl Iterator<Item = tantivy::index::SegmentId> + '_ {
        self.segments.iter().map(|s| s.id)
    }

    /// Each segment's text fields and their dictionaries, in [`Fields::text`] order.
    pub(crate) fn text_fields(
        &self,
    ) -> impl Iterator<Item = &[(Field, Option<Arc<InvertedIndexReader>>); 4]> + '_ {
        self.segments.iter().map(|s| &s.fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passage::Kind;
    use crate::search::test_index::index_of;

    #[test]
    fn corrections_follow_the_length_and_distance_rules() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Cream", "Menthol cream, chiropractors."),
            ("b", Kind::Guide, "Menthol", "Menthol again, and menthols."),
            ("c", Kind::Guide, "Numbers", "Code 12345 and the word spam."),
        ]);
        let searcher = index.reader.searcher();
        let caches = SearchCaches::default();
        // Walking the dictionaries, then (after as many walks) with the grouped terms.
        for _ in 0..2 {
            let mut dictionaries = Dictionaries::of(&searcher, &index.fields, &caches).unwrap();
            let mut lookups = TermLookups::default();
            let mut fix =
                |t: &str| correction(&mut dictionaries, &mut lookups, &index.fields, t).unwrap();
            // One edit for 5 to 8 characters, two for 9 or more; the nearer wins.
            assert_eq!(fix("menthl").as_deref(), Some("menthol"));
            assert_eq!(fix("mentho").as_deref(), Some("menthol"));
            assert_eq!(fix("mnthl"), None);
            assert_eq!(fix("chiropract").as_deref(), Some("chiropractor"));
            // Words the index has, numbers and short words are never corrected.
            assert_eq!(fix("menthol"), None);
            assert_eq!(fix("12346"), None);
            assert_eq!(fix("spum"), None);
            assert_eq!(fix("walrus"), None);
            for _ in 0..crate::lexicon::GROUP_AFTER_WALKS {
                assert_eq!(fix("walrus"), None);
            }
        }
        let segment = searcher.segment_reader(0).segment_id();
        assert!(caches.lexicon.grouped(segment).is_some());
    }
}
