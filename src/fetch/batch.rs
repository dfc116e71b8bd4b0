//! Batch fetching of many references: bounded parallelism, per-host politeness, snapshots,
//! validator cache updates, offline fallback and the progress bar.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::cache::{CacheEntry, FetchCache};
use super::http::{build_client, check_url, fetch_page};
use super::meta::{parse_meta, PageMeta};
use super::page::FetchResult;
use super::snapshot::{write_snapshot, SnapshotDecision};
use super::{Client, FetchConfig, FetchError};
use crate::sanitize::clean_line;

/// One reference to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Citation id; the snapshot is `<snapshots_dir>/<id>.html`. Must be a plain file name
    /// (ASCII letters, digits, `.`, `_`, `-`; not starting with `.`).
    pub id: String,
    /// URL to fetch (the record's URL or `https://doi.org/<DOI>`), computed by the caller.
    pub url: String,
}

/// What happened to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A page was fetched; `decision` says whether the snapshot was written.
    Fetched {
        /// The snapshot decision.
        decision: SnapshotDecision,
        /// Metadata of the fetched page (`url` falls back to the final URL).
        meta: Box<PageMeta>,
    },
    /// The server answered 304 Not Modified: the snapshot is current.
    Unchanged,
    /// The fetch failed; existing snapshots are untouched.
    Failed {
        /// Why.
        error: FetchError,
    },
    /// Not attempted (offline mode, network down, unsafe or duplicate id).
    Skipped {
        /// Why, e.g. "offline".
        reason: String,
    },
}

/// The result of [`fetch_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// One row per target, in the order of the targets: (id, outcome).
    pub rows: Vec<(String, Outcome)>,
    /// True when the network looked down (the first network error came before any server
    /// answered): the remaining targets were skipped with reason "offline". The caller should
    /// print a single warning.
    pub offline_fallback: bool,
}

/// Fetches every target into `<snapshots_dir>/<id>.html`.
///
/// Runs at most [`FetchConfig::parallel`] fetches at once and waits
/// [`FetchConfig::host_delay`] between requests to one host. Conditional requests use the
/// validators in `cache` (only when the snapshot file exists); the cache is updated for pages
/// whose snapshot was written or confirmed. With [`FetchConfig::offline`] nothing is fetched.
/// A progress bar is drawn on stderr when [`FetchConfig::progress`] is set and there are more
/// than 3 targets. Never panics on server behaviour.
pub fn fetch_all(
    targets: &[Target],
    snapshots_dir: &Path,
    cache: &mut FetchCache,
    cfg: &FetchConfig,
) -> Report {
    if cfg.offline {
        return Report {
            rows: targets
                .iter()
                .map(|t| (t.id.clone(), skipped("offline")))
                .collect(),
            offline_fallback: false,
        };
    }
    let client = match build_client(cfg) {
        Ok(c) => c,
        Err(e) => {
            return Report {
                rows: targets
                    .iter()
                    .map(|t| (t.id.clone(), Outcome::Failed { error: e.clone() }))
                    .collect(),
                offline_fallback: false,
            }
        }
    };

    let mut seen = HashSet::new();
    let duplicate: Vec<bool> = targets
        .iter()
        .map(|t| !seen.insert(t.id.as_str()))
        .collect();

    let progress = (cfg.progress && targets.len() > 3).then(|| {
        let pb = indicatif::ProgressBar::with_draw_target(
            Some(targets.len() as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("fetching {bar:30} {pos}/{len} {wide_msg}")
        {
            pb.set_style(style);
        }
        pb
    });

    let shared = Shared {
        client: &client,
        cfg,
        cache,
        dir: snapshots_dir,
        hosts: Mutex::new(HashMap::new()),
        offline: AtomicBool::new(false),
        any_answer: AtomicBool::new(false),
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Row>>> = Mutex::new(vec![None; targets.len()]);
    let workers = cfg.parallel.max(1).min(targets.len().max(1));

    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(target) = targets.get(i) else { break };
                if let Some(pb) = &progress {
                    pb.set_message(clean_line(&target.id));
                }
                let result = if duplicate.get(i).copied().unwrap_or(false) {
                    (skipped("duplicate id: fetched once already"), None)
                } else {
                    shared.process(target)
                };
                if let Ok(mut r) = results.lock() {
                    if let Some(slot) = r.get_mut(i) {
                        *slot = Some(result);
                    }
                }
                if let Some(pb) = &progress {
                    pb.inc(1);
                }
            });
        }
    });
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }

    let offline_fallback = shared.offline.load(Ordering::SeqCst);
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut rows = Vec::with_capacity(targets.len());
    for (t, r) in targets.iter().zip(results) {
        let (outcome, entry) = r.unwrap_or_else(|| (skipped("not processed"), None));
        if let Some(entry) = entry {
            cache.insert(t.url.clone(), entry);
        }
        rows.push((t.id.clone(), outcome));
    }
    Report {
        rows,
        offline_fallback,
    }
}

/// A processed target: its outcome and the validators to store for it.
type Row = (Outcome, Option<CacheEntry>);

fn skipped(reason: &str) -> Outcome {
    Outcome::Skipped {
        reason: reason.to_string(),
    }
}

/// True when `id` is safe to use as a file name inside the snapshots directory.
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// State shared by the worker threads.
struct Shared<'a> {
    client: &'a Client,
    cfg: &'a FetchConfig,
    cache: &'a FetchCache,
    dir: &'a Path,
    /// Earliest time the next request to each host may start.
    hosts: Mutex<HashMap<String, Instant>>,
    /// Set once the network looks down.
    offline: AtomicBool,
    /// Set once any server answered (then single failures do not mean "offline").
    any_answer: AtomicBool,
}

impl Shared<'_> {
    fn process(&self, t: &Target) -> Row {
        if !safe_id(&t.id) {
            return (
                skipped("id is not a plain file name (letters, digits, '.', '_', '-')"),
                None,
            );
        }
        let parsed = match check_url(&t.url) {
            Ok(u) => u,
            Err(error) => return (Outcome::Failed { error }, None),
        };
        if self.offline.load(Ordering::SeqCst) {
            return (skipped("offline"), None);
        }
        let host = format!(
            "{}:{}",
            parsed.host_str().unwrap_or(""),
            parsed.port_or_known_default().unwrap_or(0)
        );
        self.wait_for_host(&host);
        if self.offline.load(Ordering::SeqCst) {
            return (skipped("offline"), None);
        }

        let path = self.dir.join(format!("{}.html", t.id));
        let validators = if path.is_file() {
            self.cache.get(&t.url)
        } else {
            None
        };
        match fetch_page(self.client, &t.url, validators, self.cfg) {
            Ok(FetchResult::NotModified) => {
                self.any_answer.store(true, Ordering::SeqCst);
                let entry = validators.map(|v| CacheEntry {
                    fetched_at: super::cache::now_secs(),
                    ..v.clone()
                });
                (Outcome::Unchanged, entry)
            }
            Ok(FetchResult::Fetched(page)) => {
                self.any_answer.store(true, Ordering::SeqCst);
                let mut meta = parse_meta(&page.html);
                if meta.url.is_none() {
                    meta.url = Some(clean_line(&page.url));
                }
                match write_snapshot(&path, &page, self.cfg.force) {
                    Ok(decision) => {
                        let entry = match decision {
                            SnapshotDecision::Written { .. } | SnapshotDecision::Unchanged => {
                                Some(CacheEntry::from_page(&page))
                            }
                            // Keep old validators so a later good page is not hidden by a 304.
                            SnapshotDecision::KeptExisting { .. } => None,
                        };
                        (
                            Outcome::Fetched {
                                decision,
                                meta: Box::new(meta),
                            },
                            entry,
                        )
                    }
                    Err(e) => (
                        Outcome::Failed {
                            error: FetchError::Snapshot {
                                path: path.display().to_string(),
                                message: e.to_string(),
                            },
                        },
                        None,
                    ),
                }
            }
            Err(error) => {
                if error.is_network_down() {
                    if !self.any_answer.load(Ordering::SeqCst) {
                        self.offline.store(true, Ordering::SeqCst);
                    }
                } else if !matches!(
                    error,
                    FetchError::Timeout { .. } | FetchError::ConnectionBroken { .. }
                ) {
                    self.any_answer.store(true, Ordering::SeqCst);
                }
                (Outcome::Failed { error }, None)
            }
        }
    }

    /// Sleeps until this host may be contacted again and reserves the next slot.
    fn wait_for_host(&self, host: &str) {
        let now = Instant::now();
        let start = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let start = hosts.get(host).map_or(now, |&t| t.max(now));
            hosts.insert(host.to_string(), start + self.cfg.host_delay);
            start
        };
        let wait = start.saturating_duration_since(now);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::testserver::{closed_port, respond, test_config, TestServer};
    use std::sync::Arc;
    use std::time::Duration;

    const MALANGA: &str = include_str!("../../corpus/references/malanga2015.html");
    const CLEVELAND: &str = include_str!("../../corpus/references/clevelandclinic2022.html");

    fn tempdir() -> tempfile::TempDir {
        match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        }
    }

    fn target(id: &str, url: String) -> Target {
        Target { id: id.into(), url }
    }

    #[test]
    fn mixed_batch_then_conditional_refetch() {
        let srv = TestServer::start(|_, head, s| {
            let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
            match path.as_str() {
                "/malanga" if head.contains("if-none-match: \"m1\"") => {
                    respond(s, "304 Not Modified", &[], b"")
                }
                "/malanga" => respond(
                    s,
                    "200 OK",
                    &[
                        ("Content-Type", "text/html; charset=utf-8"),
                        ("ETag", "\"m1\""),
                    ],
                    MALANGA.as_bytes(),
                ),
                "/pdf" => respond(s, "200 OK", &[("Content-Type", "application/pdf")], b"%PDF"),
                "/empty" => respond(s, "200 OK", &[("Content-Type", "text/html")], b""),
                _ => respond(
                    s,
                    "404 Not Found",
                    &[("Content-Type", "text/html")],
                    b"<p>no</p>",
                ),
            }
        });
        let dir = tempdir();
        let kept = dir.path().join("cleveland.html");
        if let Err(e) = std::fs::write(&kept, CLEVELAND) {
            panic!("{e}");
        }
        let targets = vec![
            target("malanga2015", srv.url("/malanga")),
            target("missing", srv.url("/missing")),
            target("pdf", srv.url("/pdf")),
            target("cleveland", srv.url("/empty")),
            target("local", "file:///etc/passwd".into()),
            target("../escape", srv.url("/malanga")),
        ];
        let mut cache = FetchCache::new();
        let cfg = FetchConfig {
            parallel: 3,
            ..test_config()
        };
        let report = fetch_all(&targets, dir.path(), &mut cache, &cfg);
        assert!(!report.offline_fallback);
        let ids: Vec<&str> = report.rows.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "malanga2015",
                "missing",
                "pdf",
                "cleveland",
                "local",
                "../escape"
            ]
        );
        let o = |i: usize| &report.rows[i].1;
        match o(0) {
            Outcome::Fetched { decision, meta } => {
                assert_eq!(
                    decision,
                    &SnapshotDecision::Written {
                        bytes: MALANGA.len() as u64
                    }
                );
                assert_eq!(meta.pmid.as_deref(), Some("25526231"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            o(1),
            Outcome::Failed {
                error: FetchError::Http { status: 404, .. }
            }
        ));
        assert!(matches!(
            o(2),
            Outcome::Failed {
                error: FetchError::NotHtml { .. }
            }
        ));
        assert!(matches!(
            o(3),
            Outcome::Failed {
                error: FetchError::EmptyBody { .. }
            }
        ));
        assert!(matches!(
            o(4),
            Outcome::Failed {
                error: FetchError::UnsupportedScheme { .. }
            }
        ));
        assert!(matches!(o(5), Outcome::Skipped { .. }));
        assert_eq!(
            std::fs::read(&kept).unwrap_or_default(),
            CLEVELAND.as_bytes()
        );
        assert_eq!(
            std::fs::read(dir.path().join("malanga2015.html")).unwrap_or_default(),
            MALANGA.as_bytes()
        );
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.get(&srv.url("/malanga")).and_then(|e| e.etag.clone()),
            Some("\"m1\"".into())
        );
        let hits = srv.hits();
        assert_eq!(hits, 4, "file: and the unsafe id must cause no request");

        // Second run: the ETag goes back and the server's 304 gives Unchanged.
        let report = fetch_all(&targets[..1], dir.path(), &mut cache, &cfg);
        assert_eq!(report.rows[0].1, Outcome::Unchanged);
        assert!(srv.request(hits).contains("if-none-match: \"m1\""));
    }

    #[test]
    fn network_down_falls_back_to_offline_after_first_error() {
        let port = closed_port();
        let targets: Vec<Target> = (0..6)
            .map(|i| target(&format!("r{i}"), format!("http://127.0.0.1:{port}/{i}")))
            .collect();
        for parallel in [1, 4] {
            let cfg = FetchConfig {
                parallel,
                ..test_config()
            };
            let report = fetch_all(&targets, tempdir().path(), &mut FetchCache::new(), &cfg);
            assert!(report.offline_fallback);
            assert_eq!(report.rows.len(), 6);
            let failed = report
                .rows
                .iter()
                .filter(|(_, o)| matches!(o, Outcome::Failed { error } if error.is_network_down()))
                .count();
            let skipped = report
                .rows
                .iter()
                .filter(|(_, o)| matches!(o, Outcome::Skipped { reason } if reason == "offline"))
                .count();
            assert!(
                failed >= 1 && failed <= parallel,
                "{parallel}: {failed} failed"
            );
            assert_eq!(failed + skipped, 6);
            if parallel == 1 {
                assert!(matches!(report.rows[0].1, Outcome::Failed { .. }));
            }
        }
    }

    #[test]
    fn offline_mode_touches_nothing() {
        let srv = TestServer::start(|_, _, s| respond(s, "200 OK", &[], MALANGA.as_bytes()));
        let cfg = FetchConfig {
            offline: true,
            ..test_config()
        };
        let report = fetch_all(
            &[target("a", srv.url("/"))],
            tempdir().path(),
            &mut FetchCache::new(),
            &cfg,
        );
        assert_eq!(
            report.rows[0].1,
            Outcome::Skipped {
                reason: "offline".into()
            }
        );
        assert_eq!(srv.hits(), 0);
    }

    #[test]
    fn parallelism_is_bounded_and_hosts_are_spaced() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let (f, m) = (in_flight.clone(), max_seen.clone());
        let srv = TestServer::start(move |_, _, s| {
            let now = f.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            f.fetch_sub(1, Ordering::SeqCst);
            respond(
                s,
                "200 OK",
                &[("Content-Type", "text/html")],
                MALANGA.as_bytes(),
            )
        });
        let targets: Vec<Target> = (0..6)
            .map(|i| target(&format!("p{i}"), srv.url(&format!("/{i}"))))
            .collect();
        let cfg = FetchConfig {
            parallel: 2,
            ..test_config()
        };
        let report = fetch_all(&targets, tempdir().path(), &mut FetchCache::new(), &cfg);
        assert!(report
            .rows
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Fetched { .. })));
        assert!(max_seen.load(Ordering::SeqCst) <= 2);

        // Same host with a politeness delay: 3 requests need at least 2 delays.
        let cfg = FetchConfig {
            parallel: 3,
            host_delay: Duration::from_millis(200),
            ..test_config()
        };
        let start = Instant::now();
        fetch_all(
            &targets[..3],
            tempdir().path(),
            &mut FetchCache::new(),
            &cfg,
        );
        assert!(
            start.elapsed() >= Duration::from_millis(400),
            "{:?}",
            start.elapsed()
        );
    }
}
