//! Collection frequencies (how often a term occurs in all the passages of a segment's field,
//! which the ranking model weighs and tantivy does not store): counted from the query terms'
//! postings on every query, until one opened index (an `eval` run, `serve`) has spent on that
//! counting what counting every term of the field once costs; then every term's is counted
//! into a table, on a thread of its own, that the later queries read instead. No run spends
//! more than about twice what counting alone would have cost, and a one-shot search never
//! builds a table.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rustc_hash::FxHashMap;
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::InvertedIndexReader;

/// What opening a term's postings costs, in postings read: a term's counting costs its
/// document frequency plus this.
pub const OPEN_COST: u64 = 128;

/// (segment, field) pairs whose state is kept: segments come and go as a reader reloads, and
/// a long `serve` must not hoard them.
const KEPT: usize = 1024;

/// The collection-frequency tables of the segments' fields of one opened index, or what was
/// spent counting without one.
#[derive(Default)]
pub struct Frequencies(Arc<Mutex<FxHashMap<Key, State>>>);

enum State {
    /// Counting cost spent on the segment's field so far.
    Counting(u64),
    /// A thread is building the table; queries count meanwhile.
    Building,
    Table(Arc<FieldFrequencies>),
    /// Terms of the field share where their postings start (no table can tell them apart),
    /// or reading them failed: queries go on counting.
    Unusable,
}

impl Frequencies {
    /// The segment's table of `field`, when it has been built.
    pub fn table(&self, segment: SegmentId, field: Field) -> Option<Arc<FieldFrequencies>> {
        match self.0.lock().ok()?.get(&(segment, field)) {
            Some(State::Table(t)) => Some(t.clone()),
            _ => None,
        }
    }

    /// Count `spent` (postings read, [`OPEN_COST`] a term) against the segment's field
    /// `index`; once the total reaches what a table costs, build it on a thread of its own
    /// (the query that got there does not wait for it, nor does a `serve` request), whose
    /// handle is returned.
    pub fn counted(
        &self,
        segment: SegmentId,
        field: Field,
        index: &Arc<InvertedIndexReader>,
        spent: u64,
    ) -> Option<JoinHandle<()>> {
        let key = (segment, field);
        let table_cost = index.total_num_tokens() + OPEN_COST * index.terms().num_terms() as u64;
        if !self.claim(key, table_cost, spent) {
            return None;
        }
        let (states, index) = (self.0.clone(), index.clone());
        let build = move || {
            let state = match FieldFrequencies::of(&index) {
                Ok(Some(table)) => State::Table(Arc::new(table)),
                Ok(None) | Err(_) => State::Unusable,
            };
            set(&states, key, state);
        };
        match std::thread::Builder::new()
            .name("citeseek-frequencies".into())
            .spawn(build)
        {
            Ok(handle) => Some(handle),
            Err(_) => {
                // No thread to spare now: count on, and try again later.
                set(&self.0, key, State::Counting(0));
                None
            }
        }
    }

    /// Add `spent` to what was spent counting `key`'s frequencies; whether the caller is now
    /// to build its table (marked as being built). One table is built at a time: the others'
    /// turns come with later queries.
    fn claim(&self, key: Key, table_cost: u64, spent: u64) -> bool {
        let Ok(mut states) = self.0.lock() else {
            return false;
        };
        if states.len() >= KEPT && !states.contains_key(&key) {
            states.clear();
        }
        let building = states.values().any(|s| matches!(s, State::Building));
        let state = states.entry(key).or_insert(State::Counting(0));
        let State::Counting(total) = state else {
            return false;
        };
        *total = total.saturating_add(spent);
        if *total < table_cost || building {
            return false;
        }
        *state = State::Building;
        true
    }
}

/// A segment's field.
type Key = (SegmentId, Field);

fn set(states: &Mutex<FxHashMap<Key, State>>, key: Key, state: State) {
    if let Ok(mut states) = states.lock() {
        states.insert(key, state);
    }
}

/// The collection frequency of every term of one segment's field, by where the term's
/// postings start (a term info's key that needs no second dictionary lookup).
pub struct FieldFrequencies(FxHashMap<usize, u64>);

impl FieldFrequencies {
    /// Count every term of the field `index`; `None` when two terms' postings start at the
    /// same place.
    pub fn of(index: &InvertedIndexReader) -> std::io::Result<Option<FieldFrequencies>> {
        let mut by_start = FxHashMap::default();
        by_start.reserve(index.terms().num_terms());
        let mut terms = index.terms().stream()?;
        while terms.advance() {
            let info = terms.value();
            if by_start
                .insert(
                    info.postings_range.start,
                    collection_frequency(index, info)?,
                )
                .is_some()
            {
                return Ok(None);
            }
        }
        Ok(Some(FieldFrequencies(by_start)))
    }

    /// The collection frequency of the term `info` is the term info of.
    pub fn get(&self, info: &TermInfo) -> Option<u64> {
        self.0.get(&info.postings_range.start).copied()
    }
}

/// How often the term `info` occurs in the passages of `index`, from its postings.
pub fn collection_frequency(index: &InvertedIndexReader, info: &TermInfo) -> std::io::Result<u64> {
    let mut postings =
        index.read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
    let mut total = 0u64;
    while !postings.docs().is_empty() {
        total += postings.freqs().iter().map(|&f| u64::from(f)).sum::<u64>();
        postings.advance();
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passage::Kind;
    use crate::search::test_index::index_of;
    use tantivy::Term;

    /// The table's frequencies are those counted from the postings, and it is built only
    /// once the counting has cost as much.
    #[test]
    fn a_table_is_built_after_its_cost_and_agrees_with_counting() {
        let (_tmp, index) = index_of(&[
            (
                "a",
                Kind::Guide,
                "Heat",
                "Heat heat and ice, then heat again.",
            ),
            ("b", Kind::Guide, "Ice", "Ice numbs; ice cools."),
            ("c", Kind::Reference, "Study", "A study of heat and rest."),
        ]);
        let searcher = index.reader.searcher();
        let segment = searcher.segment_reader(0);
        let body = segment.inverted_index(index.fields.body).unwrap();
        let frequencies = Frequencies::default();
        let id = segment.segment_id();
        let cost = body.total_num_tokens() + OPEN_COST * body.terms().num_terms() as u64;
        let (body_key, title) = ((id, index.fields.body), (id, index.fields.title));
        // Not before counting has cost as much as the table.
        assert!(!frequencies.claim(body_key, cost, cost - 1));
        assert!(frequencies.claim(body_key, cost, 1));
        // Another field's table waits for its turn while one is being built.
        assert!(!frequencies.claim(title, 1, 1));
        set(&frequencies.0, body_key, State::Counting(cost));
        frequencies
            .counted(id, index.fields.body, &body, 0)
            .unwrap()
            .join()
            .unwrap();
        let table = frequencies.table(id, index.fields.body).unwrap();
        assert!(frequencies.claim(title, 1, 0));
        // Built once; a field without a table counts on.
        assert!(frequencies
            .counted(id, index.fields.body, &body, cost)
            .is_none());
        set(&frequencies.0, title, State::Unusable);
        assert!(!frequencies.claim(title, 1, 1));
        let mut counted = 0;
        for (word, cf) in [("heat", 4), ("ice", 3), ("studi", 1)] {
            let term = Term::from_field_text(index.fields.body, word);
            let info = body.get_term_info(&term).unwrap().unwrap();
            assert_eq!(collection_frequency(&body, &info).unwrap(), cf, "{word}");
            assert_eq!(table.get(&info), Some(cf), "{word}");
            counted += 1;
        }
        assert_eq!(counted, 3);
        // Another field of the segment has a table of its own.
        assert!(frequencies.table(id, index.fields.section).is_none());
    }
}
