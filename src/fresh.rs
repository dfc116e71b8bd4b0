//! An index to answer from, for the CLI and `serve` alike: opened, built when there is none
//! (or it has another schema version), and brought up to date first when the corpus changed
//! since the last ingest — or, when it cannot be updated, answered from as it is with a
//! warning, never from another corpus's index.

use anyhow::{Context, Result};

use crate::config::Paths;
use crate::index::{IndexDir, IndexError, OpenIndex};
use crate::ingest::{self, IngestOptions, IngestReport, Mode};
use crate::render;
use crate::vectors::build::Job;

/// The index in `paths.index` for answering, up to date with `paths.corpus`: the freshness
/// check is stat-only (sizes, modification times and directory listings against the
/// manifest), so an unchanged corpus costs no reading or parsing.
pub fn open_fresh(paths: &Paths) -> Result<OpenIndex> {
    open_fresh_with(paths, &Job::default())
}

/// [`open_fresh`], embedding what the index lacks with `vectors`' model.
pub fn open_fresh_with(paths: &Paths, vectors: &Job) -> Result<OpenIndex> {
    let dir = IndexDir::new(&paths.index);
    let mut index = open_or_build_with(paths, vectors)?;
    let mut attempt = 0;
    let stale = loop {
        match ingest::stale_files(&paths.corpus, &dir, &index.marker) {
            Ok(stale) => break stale,
            // A writer swapped in a new generation (and removed ours) after we opened it:
            // open the new one and compare with that.
            Err(_) if attempt < 5 && generation_moved(&dir, &index) => {
                attempt += 1;
                index = dir.open()?;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "cannot check whether {} changed",
                    paths.corpus.display()
                )))
            }
        }
    };
    if stale.is_empty() && !ingest::needs_vectors(&index.marker, vectors) {
        return Ok(index);
    }
    let answer_from_old = |index: OpenIndex, why: String| -> Result<OpenIndex> {
        // Another corpus's index is never answered from with this corpus's paths.
        refuse_other_corpus(paths, &index, &why)?;
        render::warning(&format!(
            "the index in {} is out of date ({why}); answering from it as it is. Changed since \
             the last ingest: {}",
            paths.index.display(),
            stale.join(", ")
        ));
        Ok(index)
    };
    match dir.try_lock() {
        Ok(Some(lock)) => {
            let opts = IngestOptions {
                vectors: vectors.clone(),
                ..IngestOptions::default()
            };
            let update = ingest::ingest_locked(&paths.corpus, &dir, &opts, &lock);
            drop(lock);
            match update {
                Ok(report) => {
                    if report.mode != Mode::UpToDate {
                        report_notes(&report);
                    }
                    Ok(dir.open()?)
                }
                Err(e) => {
                    // A corpus mid-edit (say, references.json half saved) must not stop
                    // searching: answer from the index as it is, and say why it is old.
                    let why = format!("updating it failed: {:#}", anyhow::Error::new(e));
                    answer_from_old(index, why)
                }
            }
        }
        Ok(None) => {
            let pid = dir
                .lock_holder()
                .map(|p| format!(" (pid {p})"))
                .unwrap_or_default();
            answer_from_old(index, format!("another ingest is running{pid}"))
        }
        Err(IndexError::NotWritable { .. }) => answer_from_old(
            index,
            format!(
                "{} is not writable; run `citeseek ingest` where it is",
                paths.index.display()
            ),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Whether the index directory's current generation is no longer the one `index` opened.
fn generation_moved(dir: &IndexDir, index: &OpenIndex) -> bool {
    matches!(dir.read_marker(), Ok(Some(m)) if m.generation != index.marker.generation)
}

/// Open the index, building it first when there is none yet or when it was built by another
/// schema version. A damaged or foreign index is an error that says how to fix it.
pub fn open_or_build(paths: &Paths) -> Result<OpenIndex> {
    open_or_build_with(paths, &Job::default())
}

/// [`open_or_build`], embedding the passages of a new index with `vectors`' model.
pub fn open_or_build_with(paths: &Paths, vectors: &Job) -> Result<OpenIndex> {
    let dir = IndexDir::new(&paths.index);
    match dir.open() {
        Ok(index) => return Ok(index),
        Err(IndexError::Missing { .. }) => render::note(&format!(
            "no index in {} yet; building it from {}",
            paths.index.display(),
            paths.corpus.display()
        )),
        Err(IndexError::SchemaMismatch {
            found, expected, ..
        }) => render::note(&format!(
            "the index in {} has schema {found}, this version uses {expected}; rebuilding it",
            paths.index.display()
        )),
        Err(e) => return Err(e.into()),
    }
    let opts = IngestOptions {
        vectors: vectors.clone(),
        ..IngestOptions::default()
    };
    run_ingest(paths, &opts)?;
    Ok(dir.open()?)
}

/// An error when `index` was built from another corpus directory than `paths.corpus`.
pub fn refuse_other_corpus(paths: &Paths, index: &OpenIndex, why: &str) -> Result<()> {
    let built_from = &index.marker.corpus;
    if *built_from == ingest::canonical(&paths.corpus) {
        return Ok(());
    }
    anyhow::bail!(
        "the index in {} was built from {}, not from {}, and cannot be rebuilt now ({why}): run `citeseek ingest` for {}, or pass --index with another directory",
        paths.index.display(),
        built_from.display(),
        paths.corpus.display(),
        paths.corpus.display()
    )
}

/// Ingest `paths.corpus` into `paths.index`, with its warnings and summary on stderr.
pub fn run_ingest(paths: &Paths, opts: &IngestOptions) -> Result<IngestReport> {
    let index = IndexDir::new(&paths.index);
    let report = ingest::ingest(&paths.corpus, &index, opts).with_context(|| {
        format!(
            "cannot index {} into {}",
            paths.corpus.display(),
            paths.index.display()
        )
    })?;
    report_notes(&report);
    Ok(report)
}

/// The warnings and the one-line summary of an ingest, on stderr.
fn report_notes(report: &IngestReport) {
    for w in &report.warnings {
        render::warning(w);
    }
    render::note(&report.summary());
}
