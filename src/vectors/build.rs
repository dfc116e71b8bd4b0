//! The vector stage of a write: after a generation's passages are committed and before it is
//! published, give every live passage key a vector — reused from the previous generation or
//! from imported vectors when the model matches, embedded otherwise — and write the
//! generation's vector file.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::DocAddress;

use super::exchange::Imported;
use super::source::{PassageSource, SourceError, KEY_FIELD};
use super::{embedding_text, write_file, Encoding, VectorError, VectorFile, DEFAULT_ENCODING};
use crate::embed::{Embedder, ModelError};

/// Texts handed to the model at once (the progress bar moves after each).
const CHUNK: usize = 32;

/// How to give a generation its vectors.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// The model to embed with; without one, vectors of unchanged passages are carried over
    /// and the others are left missing.
    pub embedder: Option<Arc<Embedder>>,
    /// Vectors computed elsewhere (`ingest --vectors`), used before embedding.
    pub imported: Option<Arc<Imported>>,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
    pub encoding: Option<Encoding>,
}

/// What the vector file of a generation holds (kept in the marker, so a search knows without
/// opening it whether the index has vectors of its model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorsInfo {
    pub model: String,
    pub dim: usize,
    pub encoding: Encoding,
    /// Distinct passage texts with a vector.
    pub count: usize,
    /// Distinct passage texts without one (written without a model).
    pub missing: usize,
    /// Texts embedded by the write that made this generation.
    #[serde(default)]
    pub embedded: usize,
}

/// Why the vector stage failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    File(#[from] VectorError),
    #[error("cannot read the new index to embed its passages")]
    Index(#[source] SourceError),
    #[error("cannot write the passage vectors {}", .path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<tantivy::TantivyError> for BuildError {
    fn from(e: tantivy::TantivyError) -> BuildError {
        BuildError::Index(Box::new(e))
    }
}

/// Give the generation in `dir` (its committed passages, `index`) a vector file. `previous` is the
/// directory of the generation it replaces, whose vectors are reused. Returns what the file
/// holds, or `None` when there is no model and nothing to carry over.
pub fn update(
    index: &dyn PassageSource,
    dir: &Path,
    previous: Option<&Path>,
    job: &Job,
) -> Result<Option<VectorsInfo>, BuildError> {
    let old = match previous {
        Some(p) => VectorFile::open_in(p).unwrap_or(None),
        None => None,
    };
    // Which model the file is for: the job's, else the previous file's (carried over).
    let (model, dim) = match (&job.embedder, &job.imported, &old) {
        (Some(e), _, _) => (e.info().identity.clone(), e.info().dim),
        (None, Some(i), _) => (i.model.clone(), i.dim),
        (None, None, Some(old)) => (old.header.model.clone(), old.header.dim),
        (None, None, None) => return Ok(None),
    };
    let old = old.filter(|o| o.header.model == model && o.header.dim == dim);
    let imported = job
        .imported
        .as_deref()
        .filter(|i| i.model == model && i.dim == dim);

    // Every live passage's key, with one address to read its text from if it must be embedded.
    let searcher = index.searcher().map_err(BuildError::Index)?;
    let mut live: HashMap<u64, DocAddress> = HashMap::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let column = segment.fast_fields().u64(KEY_FIELD)?;
        for doc in segment.doc_ids_alive() {
            if let Some(key) = column.first(doc) {
                live.entry(key).or_insert(DocAddress::new(ord as u32, doc));
            }
        }
    }
    let mut rows: Vec<(u64, Vec<f32>)> = Vec::with_capacity(live.len());
    let mut todo: Vec<(u64, DocAddress)> = Vec::new();
    for (&key, &addr) in &live {
        if let Some(v) = old.as_ref().and_then(|o| o.row(key).map(|r| o.vector(r))) {
            rows.push((key, v));
        } else if let Some(v) = imported.and_then(|i| i.get(key)) {
            rows.push((key, v.to_vec()));
        } else {
            todo.push((key, addr));
        }
    }
    let mut embedded = 0;
    if let Some(embedder) = &job.embedder {
        todo.sort_by_key(|t| t.1);
        let texts: Vec<(u64, String)> = todo
            .iter()
            .map(|&(key, addr)| -> Result<(u64, String), BuildError> {
                let passage = index.passage(&searcher, addr).map_err(BuildError::Index)?;
                Ok((key, embedding_text(&passage)))
            })
            .collect::<Result<_, _>>()?;
        let bar = progress_bar(job.progress, texts.len());
        // Chunks run side by side on all cores: the model's matrix products use every core,
        // but the element-wise steps between them (GELU, softmax, layer norm) use one.
        let done = std::sync::atomic::AtomicUsize::new(0);
        let vectors: Vec<Vec<Vec<f32>>> = texts
            .par_chunks(CHUNK)
            .map(|chunk| {
                let strs: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
                let vectors = embedder.embed(&strs, &mut |_| {})?;
                let n = done.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
                if let Some(bar) = &bar {
                    bar.set_position((n + chunk.len()) as u64);
                }
                Ok(vectors)
            })
            .collect::<Result<_, ModelError>>()?;
        for ((key, _), v) in texts.iter().zip(vectors.into_iter().flatten()) {
            rows.push((*key, v));
        }
        embedded = texts.len();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        todo.clear();
    }
    let encoding = job
        .encoding
        .or_else(Encoding::from_env)
        .unwrap_or(DEFAULT_ENCODING);
    let count = rows.len();
    let path = dir.join(super::VECTORS_FILE);
    write_file(&path, &model, dim, encoding, rows)
        .map_err(|source| BuildError::Write { path, source })?;
    Ok(Some(VectorsInfo {
        model,
        dim,
        encoding,
        count,
        missing: todo.len(),
        embedded,
    }))
}

/// A bar counting embedded passages, on a terminal only.
fn progress_bar(wanted: bool, total: usize) -> Option<ProgressBar> {
    if !wanted || total == 0 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "embedding {bar:30} {pos}/{len} passages ({elapsed}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}
