//! Back-pressure for the index writer: how many passages may wait for tantivy's indexing
//! threads, and the document wrapper that lets them out of the queue once indexed.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use tantivy::TantivyDocument;

/// Passages handed to tantivy's indexing threads at once: a guide page's worth.
pub(super) const ADD_BATCH: usize = 16;

/// Passages that may wait for the indexing threads at once. tantivy's own queue bound counts
/// batches, not passages; this one keeps the memory of a build that extracts faster than it
/// indexes to a few tens of MB.
const QUEUED_PASSAGES: usize = 16_384;

/// How long an add waits for the queue to drain before going ahead anyway; draining half of it
/// takes well under a second.
const GATE_PATIENCE: Duration = Duration::from_secs(2);

/// Counts the passages handed to tantivy and not yet indexed; producers wait while it is full.
#[derive(Default)]
pub(super) struct Gate {
    queued: Mutex<usize>,
    drained: Condvar,
}

impl Gate {
    /// Wait until `n` more passages fit, then count them in. A wait is given up after
    /// [`GATE_PATIENCE`]: indexing threads that stopped on an error never drain the queue, and
    /// the add that follows reports their error instead of hanging.
    pub(super) fn enter(&self, n: usize) {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        while *queued > 0 && *queued + n > QUEUED_PASSAGES {
            let (guard, wait) = self
                .drained
                .wait_timeout(queued, GATE_PATIENCE)
                .unwrap_or_else(PoisonError::into_inner);
            queued = guard;
            if wait.timed_out() {
                break;
            }
        }
        *queued += n;
    }

    /// One passage was indexed. Waiting producers are woken when the queue is half drained,
    /// not for every passage.
    fn leave(&self) {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        *queued = queued.saturating_sub(1);
        if *queued == QUEUED_PASSAGES / 2 {
            self.drained.notify_all();
        }
    }
}

/// A passage's document on its way through tantivy's queue; dropping it once indexed lets it
/// out of the [`Gate`].
pub(super) struct Queued {
    pub(super) doc: TantivyDocument,
    pub(super) gate: Arc<Gate>,
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.gate.leave();
    }
}

impl tantivy::Document for Queued {
    type Value<'a> = <TantivyDocument as tantivy::Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as tantivy::Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_holds_producers_until_half_the_queue_is_indexed() {
        let gate = Arc::new(Gate::default());
        gate.enter(QUEUED_PASSAGES);
        let (tx, rx) = std::sync::mpsc::channel();
        let waiting = Arc::clone(&gate);
        let producer = std::thread::spawn(move || {
            waiting.enter(ADD_BATCH);
            tx.send(()).unwrap();
        });
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
        for _ in 0..QUEUED_PASSAGES / 2 - 1 {
            gate.leave();
        }
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
        gate.leave();
        rx.recv_timeout(GATE_PATIENCE / 2).unwrap();
        producer.join().unwrap();
        assert_eq!(
            *gate.queued.lock().unwrap(),
            QUEUED_PASSAGES / 2 + ADD_BATCH
        );
    }
}
