//! `citeseek watch`: follow the corpus's edits, one incremental update per burst of changes.
//!
//! File events (the `notify` crate) are debounced: after the first event, more events are
//! collected until the corpus has been quiet for [`QUIET`], so an editor's save burst (write a
//! temporary file, rename it over the original, touch it) is one update; a corpus that never
//! goes quiet is still updated every [`MAX_DELAY`]. Ctrl-C, SIGTERM and SIGHUP exit cleanly.
//! [`follow`] is the loop itself, which `serve` runs too.

use crate::vectors::build::Job;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};

use crate::config::{OutputStyle, Paths};
use crate::index::IndexDir;
use crate::ingest::{self, IngestOptions, Mode};
use crate::render;

/// How long the corpus must be quiet before an update runs.
pub const QUIET: Duration = Duration::from_millis(250);
/// The longest a burst of changes waits for its update, however busy the corpus.
pub const MAX_DELAY: Duration = Duration::from_secs(1);
/// How often the loop checks for Ctrl-C while waiting for events.
pub const TICK: Duration = Duration::from_millis(100);

/// Update the index now, then after every burst of corpus changes, until Ctrl-C.
pub fn watch<W: Write>(
    paths: &Paths,
    vectors: &Job,
    out: &mut W,
    style: OutputStyle,
) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C and SIGTERM handler")?;
    }
    let index = IndexDir::new(&paths.index);
    follow(
        paths,
        &stop,
        |first| update(paths, &index, vectors, &mut *out, style, first),
        || {},
    )?;
    render::note("stopped watching");
    Ok(())
}

/// The watch loop: `on_burst(true)` now, then `on_burst(false)` after every burst of corpus
/// changes (debounced by [`QUIET`], at most [`MAX_DELAY`] late), and `on_tick()` every
/// [`TICK`] while waiting, until `stop` is set. An error from a callback ends the loop.
pub fn follow(
    paths: &Paths,
    stop: &AtomicBool,
    mut on_burst: impl FnMut(bool) -> Result<()>,
    mut on_tick: impl FnMut(),
) -> Result<()> {
    let index_abs = std::fs::canonicalize(&paths.index).ok();

    // Catch up with edits made while nobody was watching.
    on_burst(true)?;

    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let _ = tx.send(event);
    })
    .with_context(|| format!("cannot watch {}", paths.corpus.display()))?;
    // Absolute, so event paths compare with the (absolute) index directory.
    let corpus_abs = std::fs::canonicalize(&paths.corpus).unwrap_or_else(|_| paths.corpus.clone());
    watcher
        .watch(&corpus_abs, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", paths.corpus.display()))?;
    render::note(&format!(
        "watching {} (Ctrl-C to stop)",
        paths.corpus.display()
    ));

    let relevant = |event: &notify::Result<notify::Event>| match event {
        // An index inside the corpus must not trigger itself.
        Ok(e) => e.paths.iter().any(|p| !is_inside(p, index_abs.as_deref())),
        Err(_) => true,
    };
    while !stop.load(Ordering::SeqCst) {
        on_tick();
        match rx.recv_timeout(TICK) {
            Ok(event) if relevant(&event) => {}
            Ok(_) | Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // Debounce: wait until nothing relevant happened for QUIET (or MAX_DELAY passed).
        let burst = Instant::now();
        let mut quiet_since = Instant::now();
        while quiet_since.elapsed() < QUIET
            && burst.elapsed() < MAX_DELAY
            && !stop.load(Ordering::SeqCst)
        {
            match rx.recv_timeout(TICK.min(QUIET)) {
                Ok(event) if relevant(&event) => quiet_since = Instant::now(),
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            on_tick();
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        on_burst(false)?;
    }
    Ok(())
}

/// One incremental update; an error (a half-saved file, the lock held by an `ingest`) is
/// reported and the watch goes on.
pub fn update<W: Write>(
    paths: &Paths,
    index: &IndexDir,
    vectors: &Job,
    out: &mut W,
    style: OutputStyle,
    first: bool,
) -> Result<()> {
    let opts = IngestOptions {
        vectors: vectors.clone(),
        ..IngestOptions::default()
    };
    match ingest::ingest(&paths.corpus, index, &opts) {
        Ok(report) => {
            for w in &report.warnings {
                render::warning(w);
            }
            if report.mode == Mode::UpToDate {
                if first {
                    render::note(&report.summary());
                }
                return Ok(());
            }
            render::watch_update(out, &report, style).context("cannot write the update line")
        }
        Err(e) => {
            render::warning(&format!("update failed: {:#}", anyhow::Error::new(e)));
            Ok(())
        }
    }
}

fn is_inside(path: &Path, dir: Option<&Path>) -> bool {
    dir.is_some_and(|d| path.starts_with(d))
}
