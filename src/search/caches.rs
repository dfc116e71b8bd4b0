//! What searching one opened index remembers between queries, owned by the index
//! ([`crate::index::OpenIndex::caches`]) and dropped with it: which segments lack which text
//! field, each segment's reference passages, its terms grouped for typo correction
//! ([`Lexicon`]), its fields' collection frequencies ([`Frequencies`]), the length-normalisation tables of the fields' average lengths, and pools
//! of the scorer's per-passage arrays and of query analyzers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, InvertedIndexReader, SegmentReader, Term};

use super::dfr::tf_normalisation;
use super::frequencies::Frequencies;
use super::lexicon::Lexicon;
use super::scratch::Scratch;
use super::words::Analyzer;
use super::QueryError;
use crate::passage::Kind;

/// Average lengths whose normalisation tables are kept (the four text fields, and as many
/// again for a reloaded reader).
const TF_TABLES: usize = 8;
/// Segments whose reference passages are kept: segments come and go as a reader reloads, and
/// a long `watch` or `serve` must not hoard them.
const REFERENCE_SEGMENTS: usize = 256;

/// The caches of one opened index (see the module's documentation).
#[derive(Default)]
pub struct SearchCaches {
    /// Its segments' terms grouped for typo correction, once they have been walked often.
    pub lexicon: Lexicon,
    /// Its segments' fields' collection frequencies, once counting them per query has cost
    /// as much as a table of them.
    pub frequencies: Frequencies,
    /// (segment, field) pairs whose segment has no terms in the field.
    empty: Mutex<HashSet<(SegmentId, Field)>>,
    /// The reference passages of segments that have some, but not only, reference passages.
    references: Mutex<HashMap<SegmentId, Arc<DocBits>>>,
    /// Normalisation tables by average field length (its bits), oldest first.
    tf_tables: Mutex<Vec<(u32, [f32; 256])>>,
    /// Per-passage arrays not in use. A segment being scored takes one set and gives it back,
    /// so the pool holds as many as segments were ever scored at once (one per core at most):
    /// a fresh million-entry allocation per query costs more in page faults than the scoring
    /// itself.
    scratch: Mutex<Vec<Scratch>>,
    /// Query analyzers not in use, likewise one per query being built or spelled at once. A
    /// kept analyzer remembers the stems of the words it has seen: analysing SciFact's 809
    /// training claims took 3.3 µs a claim with a fresh analyzer each and 1.2 µs with a kept
    /// one, and 2 µs is 2% of a query at `eval`'s 10,000 QPS.
    analyzers: Mutex<Vec<Analyzer>>,
}

/// A cache's lock: the data are plain values, whole after any panic, so a poisoned lock is
/// used as it is.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SearchCaches {
    /// A segment's inverted index of `field`, or `None` when the segment has no terms in it.
    ///
    /// tantivy caches the index of a field only when it has terms, and builds a fresh empty
    /// dictionary (a megabyte of allocations) on every lookup of a field without any; which
    /// segments lack which field is remembered here.
    pub(crate) fn field_index(
        &self,
        segment: &SegmentReader,
        field: Field,
    ) -> tantivy::Result<Option<Arc<InvertedIndexReader>>> {
        let key = (segment.segment_id(), field);
        if lock(&self.empty).contains(&key) {
            return Ok(None);
        }
        let reader = segment.inverted_index(field)?;
        if reader.terms().num_terms() == 0 {
            lock(&self.empty).insert(key);
            return Ok(None);
        }
        Ok(Some(reader))
    }

    /// [`tf_normalisation`] of a field of average length `avg_len`, computed once.
    pub(crate) fn tf_normalisation(&self, avg_len: f32) -> [f32; 256] {
        let key = avg_len.to_bits();
        if let Some((_, t)) = lock(&self.tf_tables).iter().find(|(k, _)| *k == key) {
            return *t;
        }
        let t = tf_normalisation(avg_len);
        let mut tables = lock(&self.tf_tables);
        if tables.len() >= TF_TABLES {
            tables.remove(0);
        }
        tables.push((key, t));
        t
    }

    /// A set of per-passage arrays for scoring one segment; give it back with
    /// [`SearchCaches::put_scratch`].
    pub(crate) fn take_scratch(&self) -> Scratch {
        lock(&self.scratch).pop().unwrap_or_default()
    }

    pub(crate) fn put_scratch(&self, scratch: Scratch) {
        lock(&self.scratch).push(scratch);
    }

    /// An analyzer for a query's texts; give it back with [`SearchCaches::put_analyzer`].
    pub(crate) fn take_analyzer(&self) -> Analyzer {
        lock(&self.analyzers).pop().unwrap_or_default()
    }

    pub(crate) fn put_analyzer(&self, analyzer: Analyzer) {
        lock(&self.analyzers).push(analyzer);
    }

    /// The reference passages of a segment, read from its `kind` postings once.
    pub fn reference_bits(
        &self,
        segment: &SegmentReader,
        kind: Field,
    ) -> Result<ReferenceBits, QueryError> {
        let kinds = segment.inverted_index(kind)?;
        let term = Term::from_field_text(kind, Kind::Reference.as_str());
        let Some(info) = kinds
            .get_term_info(&term)
            .map_err(tantivy::TantivyError::from)?
        else {
            return Ok(ReferenceBits::None);
        };
        if info.doc_freq >= segment.max_doc() {
            return Ok(ReferenceBits::All);
        }
        let id = segment.segment_id();
        if let Some(bits) = lock(&self.references).get(&id).cloned() {
            return Ok(ReferenceBits::Some(bits));
        }
        let mut bits = vec![0u64; (segment.max_doc() as usize).div_ceil(64)];
        let mut postings = kinds
            .read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)
            .map_err(tantivy::TantivyError::from)?;
        while !postings.docs().is_empty() {
            for &doc in postings.docs() {
                if let Some(w) = bits.get_mut(doc as usize / 64) {
                    *w |= 1u64 << (doc % 64);
                }
            }
            postings.advance();
        }
        let bits = Arc::new(DocBits(bits));
        let mut references = lock(&self.references);
        if references.len() >= REFERENCE_SEGMENTS {
            references.clear();
        }
        references.insert(id, bits.clone());
        Ok(ReferenceBits::Some(bits))
    }
}

/// Which passages of a segment are reference passages.
pub enum ReferenceBits {
    None,
    All,
    Some(Arc<DocBits>),
}

impl ReferenceBits {
    /// Whether passage `d` of the segment is a reference passage.
    pub fn contains(&self, d: DocId) -> bool {
        match self {
            ReferenceBits::None => false,
            ReferenceBits::All => true,
            ReferenceBits::Some(bits) => bits.contains(d),
        }
    }
}

/// A set of passages of one segment, one bit each.
pub struct DocBits(Vec<u64>);

impl DocBits {
    pub(crate) fn contains(&self, d: DocId) -> bool {
        self.0
            .get(d as usize / 64)
            .is_some_and(|w| w & (1u64 << (d % 64)) != 0)
    }
}
