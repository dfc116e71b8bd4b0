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
/// whole dictionary once (on SciFact about what 64 walks cost), so a one-shot search,
/// which corrects a word or two, never builds it, and no run spends more than twice what
/// walking alone would have cost.
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

/// One segment's terms: all of them in dictionary order, and their indices grouped by (first
/// character, length in characters).
pub struct SegmentTerms {
    /// The terms, one after another.
    text: String,
    /// Where each term ends in `text`.
    ends: Vec<usize>,
    doc_freqs: Vec<u32>,
    groups: FxHashMap<(char, usize), Group>,
}

/// The terms of one first character and length.
#[derive(Default)]
struct Group {
    terms: Vec<u32>,
    /// Each term's characters as a set ([`mask`]).
    masks: Vec<u64>,
}

/// Longest term [`osa_within`] compares without allocating; longer ones are left to strsim.
const SHORT: usize = 48;

impl SegmentTerms {
    /// Group the terms of the dictionary `index` (terms that are not UTF-8 are left out:
    /// no correction is made to one, and a query token is UTF-8).
    pub fn of(index: &InvertedIndexReader) -> std::io::Result<SegmentTerms> {
        let mut out = SegmentTerms {
            text: String::new(),
            ends: Vec::new(),
            doc_freqs: Vec::new(),
            groups: FxHashMap::default(),
        };
        let mut stream = index.terms().stream()?;
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let Some(first) = term.chars().next() else {
                continue;
            };
            let Ok(id) = u32::try_from(out.ends.len()) else {
                break;
            };
            let g = out.groups.entry((first, term.chars().count())).or_default();
            g.terms.push(id);
            g.masks.push(mask(term));
            out.text.push_str(term);
            out.ends.push(out.text.len());
            out.doc_freqs.push(stream.value().doc_freq);
        }
        Ok(out)
    }

    fn term(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..self.ends[i]).unwrap_or_default()
    }

    /// Each term that starts with `token`'s first character and is within `max_distance`
    /// edits of it (optimal string alignment: a transposition of neighbours is one edit, as
    /// in tantivy's Levenshtein automaton), with its document frequency.
    pub fn near(&self, token: &str, max_distance: usize, found: &mut impl FnMut(&str, u32)) {
        let Some(first) = token.chars().next() else {
            return;
        };
        let chars: Vec<char> = token.chars().collect();
        let len = chars.len();
        let own = mask(token);
        for l in len.saturating_sub(max_distance)..=len + max_distance {
            let Some(g) = self.groups.get(&(first, l)) else {
                continue;
            };
            for (&id, &m) in g.terms.iter().zip(&g.masks) {
                // An edit adds at most one character to the set and removes at most one.
                if (own & !m).count_ones() as usize > max_distance
                    || (m & !own).count_ones() as usize > max_distance
                {
                    continue;
                }
                let term = self.term(id as usize);
                if osa_within(&chars, term, max_distance) {
                    found(term, self.doc_freqs[id as usize]);
                }
            }
        }
    }
}

/// Whether the optimal string alignment distance of `a` and `b` is at most `max` (the same
/// recurrence as `strsim::osa_distance`, with every value capped at `max + 1`, which keeps
/// the values up to `max` exact, and stopped once a whole row is over `max`).
fn osa_within(a: &[char], b: &str, max: usize) -> bool {
    let mut bc = ['\0'; SHORT];
    let mut m = 0;
    for c in b.chars() {
        if m == SHORT {
            break;
        }
        bc[m] = c;
        m += 1;
    }
    let Ok(cap) = u8::try_from(max + 1) else {
        return strsim::osa_distance(&a.iter().collect::<String>(), b) <= max;
    };
    if a.len() > SHORT || m < b.chars().count() || cap == u8::MAX {
        return strsim::osa_distance(&a.iter().collect::<String>(), b) <= max;
    }
    let b = &bc[..m];
    // Three rows (two ago, the last, this one), used in turn.
    let mut rows = [[0u8; SHORT + 1]; 3];
    for (j, v) in rows[1].iter_mut().enumerate().take(m + 1) {
        *v = u8::try_from(j).unwrap_or(u8::MAX).min(cap);
    }
    let (mut two_ago, mut prev, mut curr) = (0, 1, 2);
    for i in 1..=a.len() {
        let first = u8::try_from(i).unwrap_or(u8::MAX).min(cap);
        rows[curr][0] = first;
        let mut row_min = first;
        for j in 1..=m {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev][j] + 1)
                .min(rows[curr][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[two_ago][j - 2] + 1);
            }
            let v = v.min(cap);
            rows[curr][j] = v;
            row_min = row_min.min(v);
        }
        if usize::from(row_min) > max {
            return false;
        }
        (two_ago, prev, curr) = (prev, curr, two_ago);
    }
    usize::from(rows[prev][m]) <= max
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word over a small alphabet up to 5 letters against every other one: the same
    /// answer as strsim's distance, at each bound.
    #[test]
    fn osa_within_agrees_with_strsim() {
        let mut words = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for w in &frontier {
                for c in ['a', 'b', 'é'] {
                    next.push(format!("{w}{c}"));
                }
            }
            words.extend(next.iter().cloned());
            frontier = next;
        }
        for a in words.iter().step_by(3) {
            let chars: Vec<char> = a.chars().collect();
            for b in &words {
                let d = strsim::osa_distance(a, b);
                for max in 0..4 {
                    assert_eq!(osa_within(&chars, b, max), d <= max, "{a} {b} {max}");
                }
            }
        }
        let long = "a".repeat(60);
        let chars: Vec<char> = long.chars().collect();
        assert!(osa_within(&chars, &"a".repeat(59), 1));
        assert!(!osa_within(&chars, &"a".repeat(57), 2));
    }

    #[test]
    fn masks_bound_the_edits() {
        assert_eq!(mask("abba"), mask("ab"));
        assert_ne!(mask("ab"), mask("ac"));
    }
}
