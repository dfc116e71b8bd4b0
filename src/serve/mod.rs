//! `citeseek serve`: the HTTP JSON API and the search page, over the same library calls as the
//! CLI. The server follows the corpus like `watch` (the same loop, [`crate::watch::follow`]),
//! and every request answers from one whole index generation: a generation is served only
//! after its writer published it, and a request holds the one it started with.

mod api;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use anyhow::{Context, Result};

use crate::config::{OutputStyle, Paths, ServeOptions};
use crate::embed::Embedder;
use crate::index::{IndexDir, OpenIndex};
use crate::refs::{Catalog, RefsError};
use crate::render;
use crate::vectors::build::Job;

pub use api::{router, Limits};

/// One index generation being served, with its reference catalogue (read on first use).
pub struct Generation {
    pub index: OpenIndex,
    catalog: Mutex<Option<Arc<Catalog>>>,
}

impl Generation {
    pub fn new(index: OpenIndex) -> Generation {
        Generation {
            index,
            catalog: Mutex::new(None),
        }
    }

    /// Every passage and reference of this generation (`refs`, `passages`, `audit`).
    pub fn catalog(&self) -> Result<Arc<Catalog>, RefsError> {
        let mut slot = self.catalog.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = &*slot {
            return Ok(Arc::clone(c));
        }
        let c = Arc::new(Catalog::load(&self.index)?);
        *slot = Some(Arc::clone(&c));
        Ok(c)
    }
}

/// What the server answers from: the current generation, swapped whole when a newer one is
/// published.
pub struct Served {
    current: RwLock<Arc<Generation>>,
    dir: IndexDir,
    /// The corpus directory as the user named it (source paths in answers).
    pub corpus: PathBuf,
    /// The embedding model, when installed: hybrid ranking by default, `mode=` to choose.
    pub embedder: Option<Arc<Embedder>>,
}

impl Served {
    pub fn new(paths: &Paths, index: OpenIndex, embedder: Option<Arc<Embedder>>) -> Served {
        Served {
            current: RwLock::new(Arc::new(Generation::new(index))),
            dir: IndexDir::new(&paths.index),
            corpus: paths.corpus.clone(),
            embedder,
        }
    }

    /// The generation a request answers from; it stays usable for as long as it is held.
    pub fn current(&self) -> Arc<Generation> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Serve the index directory's published generation if it is not the one being served.
    /// Returns whether it swapped.
    pub fn refresh(&self) -> Result<bool> {
        let served = self.current().index.marker.generation.clone();
        match self.dir.read_marker()? {
            Some(m) if m.generation != served => {}
            _ => return Ok(false),
        }
        let index = self.dir.open()?;
        let next = Arc::new(Generation::new(index));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = next;
        Ok(true)
    }

    /// [`Served::refresh`], a failure reported as a warning (the old generation stays).
    fn refresh_or_warn(&self) {
        if let Err(e) = self.refresh() {
            render::warning(&format!(
                "cannot open the new index generation, serving the previous one: {}",
                crate::failure::describe(&e).message
            ));
        }
    }
}

/// Run the server until Ctrl-C (or SIGTERM): build or update the index, listen, follow the
/// corpus in a background thread.
pub fn serve<W: Write>(
    paths: &Paths,
    opts: &ServeOptions,
    embedder: Option<Arc<Embedder>>,
    out: &mut W,
    style: OutputStyle,
) -> Result<()> {
    let vectors = Job {
        embedder: embedder.clone(),
        progress: true,
        ..Job::default()
    };
    let index = crate::fresh::open_fresh_with(paths, &vectors)?;
    let served = Arc::new(Served::new(paths, index, embedder));
    let cors = opts
        .cors_origin
        .as_deref()
        .map(|o| {
            axum::http::HeaderValue::from_str(o)
                .with_context(|| format!("--cors-origin {o:?} is not a valid header value"))
        })
        .transpose()?;
    let app = router(Arc::clone(&served), Limits::default(), cors);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(opts.addr))
        .with_context(|| {
            format!(
                "cannot listen on {}: pass another --addr HOST:PORT (port 0 picks a free one)",
                opts.addr
            )
        })?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let url = format!("http://{addr}/");
    render::note(&format!(
        "serving {} on {url} (API under {url}api/v1/; Ctrl-C to stop)",
        paths.corpus.display()
    ));
    if opts.open {
        open_browser(&url);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let follower = {
        let (paths, served, stop) = (paths.clone(), Arc::clone(&served), Arc::clone(&stop));
        let vectors = Job {
            progress: false,
            ..vectors
        };
        std::thread::Builder::new()
            .name("citeseek-follow".into())
            .spawn(move || {
                let dir = IndexDir::new(&paths.index);
                // stdout is locked by the command's writer for the whole run: update lines
                // go to stderr with the other notes.
                let mut log = std::io::stderr();
                crate::watch::follow(
                    &paths,
                    &stop,
                    |first| {
                        crate::watch::update(&paths, &dir, &vectors, &mut log, style, first)?;
                        served.refresh_or_warn();
                        Ok(())
                    },
                    || served.refresh_or_warn(),
                )
            })
            .context("cannot start the corpus watcher")?
    };

    let result = runtime.block_on(async {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
    });
    stop.store(true, Ordering::SeqCst);
    match follower.join() {
        Ok(Err(e)) => render::warning(&format!("the corpus watcher stopped: {e:#}")),
        Err(_) => render::warning("the corpus watcher stopped unexpectedly"),
        Ok(Ok(())) => {}
    }
    result.context("the server stopped with an error")?;
    render::note("stopped serving");
    out.flush().context("cannot write the output")?;
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Open `url` in the desktop's browser; a failure is a warning, the server goes on.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        render::warning(&format!(
            "cannot open a browser ({opener}: {e}); open {url} yourself"
        ));
    }
}
