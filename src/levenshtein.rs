//! Typo correction's automaton: a word's optimal string alignment distance (Levenshtein with
//! a swap of two adjacent characters as one edit) to each term of a term dictionary (an FST),
//! computed one dynamic-programming row per character as the dictionary is walked.
//!
//! tantivy's `FuzzyTermQuery` builds a whole Levenshtein DFA for each word before the walk
//! (hundreds of thousands of instructions at distance 2); this automaton costs one row update
//! per dictionary node the walk visits (only the cells of Ukkonen's band, 3 at distance 1 and
//! 5 at distance 2), and its state is a few bytes on the stack. It accepts exactly
//! the terms that DFA does (tested against it): those within `max` edits of the word,
//! counted on characters, with transpositions as one edit.

use tantivy_fst::Automaton;

/// The largest distance [`Osa`] counts to (typo correction needs 1 and 2).
pub const MAX_DISTANCE: u8 = 2;
/// Cells of a row that can be within [`MAX_DISTANCE`]: after `i` characters only the
/// prefixes of the word `i - max ..= i + max` characters long can be (Ukkonen's band).
const BAND: usize = 2 * MAX_DISTANCE as usize + 1;

/// Accepts the terms within `max` edits of a word (see the module's documentation).
#[derive(Debug, Clone)]
pub struct Osa {
    word: Vec<char>,
    max: u8,
}

/// Where the walk is: how many characters were read, the band of their distances to the
/// word's prefixes (capped at `max + 1`, "too far"), the band one character before (for
/// transpositions), the last character, and the part of a multi-byte character read so far.
#[derive(Debug, Clone, Copy)]
pub struct OsaState {
    depth: u32,
    /// `band[k]`: the distance to the word's prefix of `depth - max + k` characters.
    band: [u8; BAND],
    before: [u8; BAND],
    last: Option<char>,
    /// The bits of a UTF-8 sequence read so far and how many of its bytes are still to come.
    partial: u32,
    pending: u8,
}

impl Osa {
    /// The automaton for `word` at distance `max` (at most [`MAX_DISTANCE`]; more is taken
    /// as that).
    pub fn new(word: &str, max: u8) -> Osa {
        Osa {
            word: word.chars().collect(),
            max: max.min(MAX_DISTANCE),
        }
    }

    fn too_far(&self) -> u8 {
        self.max + 1
    }

    fn width(&self) -> usize {
        2 * usize::from(self.max) + 1
    }

    /// A state no term can leave within the distance (an invalid UTF-8 byte).
    fn dead(&self) -> OsaState {
        let far = self.too_far();
        OsaState {
            depth: 0,
            band: [far; BAND],
            before: [far; BAND],
            last: None,
            partial: 0,
            pending: 0,
        }
    }

    /// The (capped) distance of what was read to the whole word.
    fn distance(&self, s: &OsaState) -> u8 {
        let max = usize::from(self.max);
        match (self.word.len() + max).checked_sub(s.depth as usize) {
            Some(k) if k < self.width() => s.band[k],
            _ => self.too_far(),
        }
    }

    /// The state after the character `c`: one row of the optimal string alignment recurrence
    /// (as in `strsim::osa_distance`, with the term's characters as rows), within the band.
    fn step(&self, s: &OsaState, c: char) -> OsaState {
        let far = self.too_far();
        let (max, n, i) = (usize::from(self.max), self.word.len(), s.depth as usize);
        let mut band = [far; BAND];
        for k in 0..self.width() {
            // Cell `j` of the new row is `band[k]`; of the row before, `s.band[k]` is cell
            // `j - 1` and `s.band[k + 1]` cell `j`; of the one before that, `s.before[k]` is
            // cell `j - 2`.
            let Some(j) = (i + 1 + k).checked_sub(max) else {
                continue;
            };
            if j > n {
                break;
            }
            if j == 0 {
                band[k] = u8::try_from(i + 1).unwrap_or(far).min(far);
                continue;
            }
            let w = self.word[j - 1];
            let up = s.band.get(k + 1).copied().unwrap_or(far).min(far);
            let left = if k > 0 { band[k - 1] } else { far };
            let mut d = (s.band[k] + u8::from(w != c)).min(up + 1).min(left + 1);
            if w != c && j > 1 && s.last == Some(w) && self.word[j - 2] == c {
                d = d.min(s.before[k] + 1);
            }
            band[k] = d.min(far);
        }
        OsaState {
            depth: s.depth.saturating_add(1),
            band,
            before: s.band,
            last: Some(c),
            partial: 0,
            pending: 0,
        }
    }
}

impl Automaton for Osa {
    type State = OsaState;

    fn start(&self) -> OsaState {
        let far = self.too_far();
        let mut band = [far; BAND];
        // Before any character, the distance to the prefix of `j` characters is `j`.
        for (k, cell) in band.iter_mut().enumerate().skip(usize::from(self.max)) {
            let j = k - usize::from(self.max);
            if j <= self.word.len() {
                *cell = u8::try_from(j).unwrap_or(far).min(far);
            }
        }
        OsaState {
            depth: 0,
            band,
            before: [far; BAND],
            last: None,
            partial: 0,
            pending: 0,
        }
    }

    fn is_match(&self, s: &OsaState) -> bool {
        s.pending == 0 && self.distance(s) <= self.max
    }

    /// No cell of a later row is smaller than the smallest of this one, so a walk whose band
    /// has none within the distance is over.
    fn can_match(&self, s: &OsaState) -> bool {
        s.band.iter().any(|&d| d <= self.max)
    }

    fn accept(&self, s: &OsaState, byte: u8) -> OsaState {
        if s.pending > 0 {
            if byte & 0xC0 != 0x80 {
                return self.dead();
            }
            let partial = (s.partial << 6) | u32::from(byte & 0x3F);
            if s.pending > 1 {
                return OsaState {
                    partial,
                    pending: s.pending - 1,
                    ..*s
                };
            }
            return match char::from_u32(partial) {
                Some(c) => self.step(s, c),
                None => self.dead(),
            };
        }
        let (bits, pending) = match byte {
            0x00..=0x7F => return self.step(s, char::from(byte)),
            0xC0..=0xDF => (byte & 0x1F, 1),
            0xE0..=0xEF => (byte & 0x0F, 2),
            0xF0..=0xF7 => (byte & 0x07, 3),
            _ => return self.dead(),
        };
        OsaState {
            partial: u32::from(bits),
            pending,
            ..*s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::query::FuzzyTermQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::Term;

    /// The state after reading all of `term`.
    fn run<A: Automaton>(a: &A, term: &str) -> A::State {
        term.bytes().fold(a.start(), |s, b| a.accept(&s, b))
    }

    /// A deterministic generator (xorshift), so a failure can be replayed.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        /// A word from a small alphabet (with multi-byte letters), so that near pairs abound.
        fn word(&mut self, max_len: usize) -> String {
            const LETTERS: [char; 6] = ['a', 'b', 'c', 'é', 'β', '𝔸'];
            let len = self.below(max_len + 1);
            (0..len)
                .map(|_| LETTERS[self.below(LETTERS.len())])
                .collect()
        }

        /// `word` after up to three random edits (insertions, deletions, substitutions and
        /// swaps of neighbours).
        fn edited(&mut self, word: &str) -> String {
            let mut chars: Vec<char> = word.chars().collect();
            for _ in 0..self.below(4) {
                let other = self.word(1).chars().next().unwrap_or('a');
                let at = self.below(chars.len() + 1);
                match self.below(4) {
                    0 => chars.insert(at, other),
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    2 if at < chars.len() => chars[at] = other,
                    3 if at + 1 < chars.len() => chars.swap(at, at + 1),
                    _ => {}
                }
            }
            chars.into_iter().collect()
        }
    }

    fn tantivy_dfa(word: &str, max: u8) -> tantivy::query::DfaWrapper {
        let field = Schema::builder().add_text_field("body", TEXT);
        FuzzyTermQuery::new(Term::from_field_text(field, word), max, true)
            .automaton()
            .unwrap()
    }

    #[test]
    fn distances_are_strsims_optimal_string_alignment() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let word = rng.word(10);
            let term = if rng.below(2) == 0 {
                rng.edited(&word)
            } else {
                rng.word(10)
            };
            let distance = strsim::osa_distance(&word, &term);
            for max in 0..=MAX_DISTANCE {
                let a = Osa::new(&word, max);
                let s = run(&a, &term);
                assert_eq!(
                    a.is_match(&s),
                    distance <= usize::from(max),
                    "{word:?} {term:?} at {max}: distance {distance}"
                );
                // The capped cell is the distance itself.
                assert_eq!(
                    usize::from(a.distance(&s)),
                    distance.min(usize::from(max) + 1)
                );
            }
        }
    }

    #[test]
    fn the_walk_stops_where_tantivys_dfa_does_and_matches_what_it_matches() {
        let mut rng = Rng(15);
        for _ in 0..3_000 {
            let word = rng.word(9);
            // A near term and a few characters more, so that walks also end past a match.
            let term = rng.edited(&word) + &rng.word(3);
            for max in 1..=2u8 {
                let ours = Osa::new(&word, max);
                let dfa = tantivy_dfa(&word, max);
                let (mut s, mut t) = (ours.start(), dfa.start());
                // Compared after each character: within one, the DFA may know sooner that
                // no character starting with the bytes read so far is near enough.
                for c in term.chars() {
                    for b in c.to_string().bytes() {
                        s = ours.accept(&s, b);
                        t = dfa.accept(&t, b);
                    }
                    assert_eq!(
                        ours.is_match(&s),
                        dfa.is_match(&t),
                        "{word:?} {term:?} {max}"
                    );
                    assert_eq!(
                        ours.can_match(&s),
                        dfa.can_match(&t),
                        "{word:?} {term:?} {max}"
                    );
                }
            }
        }
    }

    #[test]
    fn counts_typical_typos_as_one_or_two_edits() {
        let within = |word: &str, term: &str, max: u8| {
            let a = Osa::new(word, max);
            a.is_match(&run(&a, term))
        };
        assert!(within("menthl", "menthol", 1));
        assert!(within("strech", "stretch", 1));
        // A swap of neighbours is one edit, not two.
        assert!(within("mentohl", "menthol", 1));
        assert!(!within("mnthl", "menthol", 1));
        assert!(within("chiropract", "chiropractor", 2));
        assert!(!within("chiropract", "chiropractors", 2));
        // Characters, not bytes: "é" for "e" is one substitution.
        assert!(within("cafe", "café", 1));
        assert!(!within("cafe", "café", 0));
    }

    #[test]
    fn long_words_and_bad_utf8() {
        // Words of any length: the state holds only the band.
        let long = "pneumonoultramicroscopicsilicovolcanoconiosis";
        let typo = long
            .replacen("volcano", "volacno", 1)
            .replacen("silico", "silco", 1);
        let a = Osa::new(long, 2);
        assert!(a.is_match(&run(&a, &typo)));
        assert!(!a.is_match(&run(&a, &typo.replacen("micro", "mcro", 1))));
        let a = Osa::new("abc", 1);
        let s = a.accept(&a.start(), 0xFF);
        assert!(!a.can_match(&s) && !a.is_match(&s));
        // A lead byte followed by an ASCII byte is not a character either.
        let s = a.accept(&a.accept(&a.start(), 0xC3), b'a');
        assert!(!a.can_match(&s));
    }
}
