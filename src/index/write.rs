//! Writing a generation: begun from scratch ([`IndexDir::begin_full`]) or from the current
//! one ([`IndexDir::begin_update`]), passages removed and added, then committed and published
//! as a whole ([`Generation::finish`]).

use std::path::PathBuf;
use std::sync::Arc;

use tantivy::indexer::UserOperation;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, Term};

use super::generation::copy_generation;
use super::queue::{Gate, Queued, ADD_BATCH};
use super::stored::to_document;
use super::{index_settings, schema, Fields, IndexDir, IndexError, IndexLock, Marker};
use crate::analysis::register_analyzers;
use crate::link::CitedPassage;
use crate::passage::Kind;
use crate::references::ReferenceList;
use crate::vectors::build as vector_stage;

/// Passages to delete in an incremental update: every passage of kind `kind` and doc `doc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocKey {
    pub kind: Kind,
    pub doc: String,
}

impl IndexDir {
    /// Start a complete new index in a new generation. Passages are added with
    /// [`Generation::add_all`] (from any number of threads); [`Generation::finish`] commits
    /// and makes it current with an atomic rename of the marker. Dropped unfinished, the
    /// generation is never used and the next writer removes it.
    ///
    /// With `force`, a directory holding files citeseek did not write (or a damaged index) is
    /// used anyway (foreign files are left alone); without it such a directory is refused.
    /// `source_bytes` is about how much the build will read (it sets the indexing threads).
    pub fn begin_full(
        &self,
        lock: &IndexLock,
        force: bool,
        source_bytes: u64,
    ) -> Result<Generation, IndexError> {
        match self.read_marker() {
            Ok(_) => {}
            Err(IndexError::Foreign { .. } | IndexError::Corrupt { .. }) if force => {}
            Err(e) => return Err(e),
        }
        let (generation, dir) = self.new_generation(lock)?;
        let tantivy_err = |source| IndexError::Tantivy {
            dir: dir.clone(),
            source,
        };
        let (schema, fields) = schema();
        let index = Index::builder()
            .schema(schema)
            .settings(index_settings())
            .create_in_dir(&dir)
            .map_err(tantivy_err)?;
        register_analyzers(&index);
        // Indexing threads beside the extraction threads; a budget that keeps peak memory
        // well under 1 GiB however large the corpus. A small build is merged into one segment
        // when it is finished: one thread writing one segment is quicker than two threads
        // writing two and merging them (5,183 pages: 0.70 vs 0.76 s; 20,000 pages: 7.7 vs
        // 8.9 s), while a large build keeps its segments and needs every core.
        let threads = if source_bytes < ONE_THREAD_BELOW_BYTES {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
        };
        let writer = index
            .writer_with_num_threads::<Queued>(threads, WRITER_BUDGET)
            .map_err(tantivy_err)?;
        Ok(Generation::new(generation, dir, writer, fields, true))
    }

    /// Start a new generation from the current one, `current_generation`: passages are
    /// removed with [`Generation::remove`] and added with [`Generation::add_all`], and
    /// [`Generation::finish`] commits them at once and swaps the generation in like a full
    /// write.
    ///
    /// The new generation starts as hard links to the current one's segment files (tantivy
    /// never modifies a segment file, and its own metadata files are copied), so the current
    /// generation is never written to and readers of it are undisturbed.
    pub fn begin_update(
        &self,
        lock: &IndexLock,
        current_generation: &str,
    ) -> Result<Generation, IndexError> {
        let from = self.path.join(current_generation);
        let (generation, dir) = self.new_generation(lock)?;
        copy_generation(&from, &dir).map_err(|e| self.io(e))?;
        let corrupt = |detail: String| IndexError::Corrupt {
            dir: self.path.clone(),
            detail,
        };
        let index = Index::open_in_dir(&dir)
            .map_err(|e| corrupt(format!("cannot open {}: {e}", from.display())))?;
        register_analyzers(&index);
        let fields = match schema() {
            (expected, fields) if index.schema() == expected => fields,
            _ => {
                return Err(corrupt(
                    "the tantivy schema differs from this version's".into(),
                ))
            }
        };
        // One indexing thread with tantivy's smallest budget: an update adds few passages.
        let writer = index
            .writer_with_num_threads::<Queued>(1, 15_000_000)
            .map_err(|source| IndexError::Tantivy {
                dir: dir.clone(),
                source,
            })?;
        Ok(Generation::new(generation, dir, writer, fields, false))
    }
}

/// A generation being written (see [`IndexDir::begin_full`] and [`IndexDir::begin_update`]).
pub struct Generation {
    generation: String,
    dir: PathBuf,
    writer: tantivy::IndexWriter<Queued>,
    fields: Fields,
    gate: Arc<Gate>,
    /// Merge a small index into one segment when finishing (full builds).
    merge_small: bool,
}

/// The name the full builds of benchmarks and tests know a generation by.
pub type FullWrite = Generation;

impl Generation {
    fn new(
        generation: String,
        dir: PathBuf,
        writer: tantivy::IndexWriter<Queued>,
        fields: Fields,
        merge_small: bool,
    ) -> Generation {
        Generation {
            generation,
            dir,
            writer,
            fields,
            gate: Arc::default(),
            merge_small,
        }
    }

    /// Remove every passage of each key (the passages of a changed or removed file), before
    /// the passages added after it.
    pub fn remove(&self, keys: &[DocKey]) -> Result<(), IndexError> {
        for key in keys {
            let query = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.kind, key.kind.as_str()),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                ),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.doc, &key.doc),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]);
            self.writer
                .delete_query(Box::new(query))
                .map_err(|e| self.tantivy(e))?;
        }
        Ok(())
    }

    /// Add passages, handed to the indexing threads in batches of up to [`ADD_BATCH`] rather
    /// than one at a time (each hand-over may wake a thread). Safe to call from several threads
    /// at once.
    pub fn add_all(&self, passages: &[CitedPassage]) -> Result<(), IndexError> {
        for batch in passages.chunks(ADD_BATCH) {
            self.gate.enter(batch.len());
            let docs = batch.iter().map(|p| {
                UserOperation::Add(Queued {
                    doc: to_document(&self.fields, p),
                    gate: Arc::clone(&self.gate),
                })
            });
            self.writer.run(docs).map_err(|e| self.tantivy(e))?;
        }
        Ok(())
    }

    /// Commit everything removed and added, give the generation its vectors, its references
    /// and `marker`'s manifest, and make it current (see [`IndexDir::publish`]).
    pub fn finish(
        mut self,
        index: &IndexDir,
        lock: &IndexLock,
        refs: &ReferenceList,
        marker: Marker,
        vectors: &vector_stage::Job,
    ) -> Result<Marker, IndexError> {
        let dir = self.dir.clone();
        let tantivy_err = |source| IndexError::Tantivy {
            dir: dir.clone(),
            source,
        };
        self.writer.commit().map_err(tantivy_err)?;
        // One segment per indexing thread is what a bulk build leaves. A query looks each of
        // its words up in every segment, and a CLI query runs once per process: for indexes
        // small enough to merge in moments, one segment answers faster.
        if self.merge_small && marker.stats.passages < MERGE_BELOW_PASSAGES {
            let segments = self
                .writer
                .index()
                .searchable_segment_ids()
                .map_err(tantivy_err)?;
            if segments.len() > 1 {
                self.writer.merge(&segments).wait().map_err(tantivy_err)?;
            }
        }
        let committed = self.writer.index().clone();
        self.writer.wait_merging_threads().map_err(tantivy_err)?;
        index.publish(
            lock,
            &self.generation,
            &self.dir,
            (&committed, &self.fields),
            refs,
            marker,
            vectors,
        )
    }

    fn tantivy(&self, source: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy {
            dir: self.dir.clone(),
            source,
        }
    }
}

/// Full builds of fewer passages than this are merged into one segment.
const MERGE_BELOW_PASSAGES: usize = 200_000;

/// Full builds reading less than this are indexed by one thread: about
/// [`MERGE_BELOW_PASSAGES`] passages of HTML (the 100,000-page benchmark site has 942,226
/// passages in 598 MB).
pub const ONE_THREAD_BELOW_BYTES: u64 = 128 << 20;

/// Memory the index writer of a full build may use, all its threads together.
const WRITER_BUDGET: usize = 192_000_000;
