//! The passage text's terms of a segment grouped by first letter and length, for typo
//! correction: built for a segment once its term dictionary has been walked for corrections
//! [`GROUP_AFTER_WALKS`] times through one opened index (an `eval` run, `serve`), after which a
//! correction scans the few short lists its candidates can be in instead of walking the
//! dictionary with a Levenshtein automaton, and finds the same candidates.

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use tantivy::index::SegmentId;
use tantivy::InvertedIndexReader;

/// Dictionary walks of one segment after which its terms are grouped. Grouping reads the
/// whole dictionary once (on SciFact about what 75 walks cost), so a one-shot search,
/// which corrects a word or two, never pays for it.
pub const GROUP_AFTER_WALKS: u32 = 64;

/// The grouped terms of the segments of one opened index, or how often each was walked.
#[derive(Default)]
pub struct Lexicon(Mutex<FxHashMap<SegmentId, State>>);

enum State {
    Walked(u32),
    Grouped(Arc<SegmentTerms>),
}

impl Lexicon {
    /// The segment's grouped terms, when they have been built.
    pub fn grouped(&self, segment: SegmentId) -> Option<Arc<SegmentTerms>> {
        match self.0.lock().ok()?.get(&segment) {
            Some(State::Grouped(terms)) => Some(terms.clone()),
            _ => None,
        }
    }

    /// Count a walk of the segment's dictionary `index` (its passage text's); at the
    /// [`GROUP_AFTER_WALKS`]th, group its terms and return them for this walk to use.
    pub fn walked(
        &self,
        segment: SegmentId,
        index: &InvertedIndexReader,
    ) -> std::io::Result<Option<Arc<SegmentTerms>>> {
        {
            let Ok(mut states) = self.0.lock() else {
                return Ok(None);
            };
            let state = states.entry(segment).or_insert(State::Walked(0));
            match state {
                State::Grouped(terms) => return Ok(Some(terms.clone())),
                State::Walked(n) => {
                    *n += 1;
                    if *n < GROUP_AFTER_WALKS {
                        return Ok(None);
                    }
                }
            }
        }
        let terms = Arc::new(SegmentTerms::of(index)?);
        if let Ok(mut states) = self.0.lock() {
            states.insert(segment, State::Grouped(terms.clone()));
        }
        Ok(Some(terms))
    }
}

/// One segment's terms, by (first character, length in characters).
pub struct SegmentTerms {
    groups: FxHashMap<(char, usize), Group>,
}

/// Terms of one first character and length, in dictionary order.
#[derive(Default)]
struct Group {
    /// The terms, one after another.
    text: String,
    /// Where each term ends in `text`.
    ends: Vec<usize>,
    /// Each term's characters as a set ([`mask`]).
    masks: Vec<u64>,
    doc_freqs: Vec<u32>,
}

impl Group {
    fn term(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..self.ends[i]).unwrap_or_default()
    }
}

impl SegmentTerms {
    /// Group the terms of the dictionary `index` (terms that are not UTF-8 are left out:
    /// no correction is made to one).
    pub fn of(index: &InvertedIndexReader) -> std::io::Result<SegmentTerms> {
        let mut groups: FxHashMap<(char, usize), Group> = FxHashMap::default();
        let mut stream = index.terms().stream()?;
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let Some(first) = term.chars().next() else {
                continue;
            };
            let g = groups.entry((first, term.chars().count())).or_default();
            g.text.push_str(term);
            g.ends.push(g.text.len());
            g.masks.push(mask(term));
            g.doc_freqs.push(stream.value().doc_freq);
        }
        Ok(SegmentTerms { groups })
    }

    /// Whether the segment has the term `token`.
    pub fn contains(&self, token: &str) -> bool {
        let Some(first) = token.chars().next() else {
            return false;
        };
        let Some(g) = self.groups.get(&(first, token.chars().count())) else {
            return false;
        };
        let (mut lo, mut hi) = (0, g.ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match g.term(mid).cmp(token) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    /// Each term that starts with `token`'s first character and is within `max_distance`
    /// edits of it (optimal string alignment: a transposition of neighbours is one edit, as
    /// in tantivy's Levenshtein automaton), with its document frequency.
    pub fn near(&self, token: &str, max_distance: usize, found: &mut impl FnMut(&str, u32)) {
        let Some(first) = token.chars().next() else {
            return;
        };
        let len = token.chars().count();
        let own = mask(token);
        for l in len.saturating_sub(max_distance)..=len + max_distance {
            let Some(g) = self.groups.get(&(first, l)) else {
                continue;
            };
            for (i, &m) in g.masks.iter().enumerate() {
                // An edit adds at most one character to the set and removes at most one.
                if (own & !m).count_ones() as usize > max_distance
                    || (m & !own).count_ones() as usize > max_distance
                {
                    continue;
                }
                let term = g.term(i);
                if strsim::osa_distance(token, term) <= max_distance {
                    found(term, g.doc_freqs[i]);
                }
            }
        }
    }
}

/// The set of a word's characters, one bit each (letters and digits their own, other
/// characters folded onto the rest).
fn mask(word: &str) -> u64 {
    word.chars().fold(0, |m, c| {
        let bit = match c {
            'a'..='z' => c as u32 - 'a' as u32,
            '0'..='9' => 26 + c as u32 - '0' as u32,
            _ => 36 + c as u32 % 28,
        };
        m | 1 << bit
    })
}
