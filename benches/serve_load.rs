//! Load on `citeseek serve` over loopback: N requests (default 10,000) to `/api/v1/search` at C
//! concurrent keep-alive connections (default 64) on a copy of the bundled corpus, then the
//! same while the guide is edited and re-indexed every 200 ms. Prints requests/s, p50, p90,
//! p99, max and failed requests for both runs, and writes target/bench/serve_load.json.
//!
//! A request fails when it is not a 200, not JSON, or its `total` is neither the total the
//! query has on the original guide nor the one it has on the edited guide (both measured
//! before the load): any other count would be an answer from a partial index.
//!
//! ```sh
//! cargo build --release
//! cargo bench --bench serve_load -- [--bin target/release/citeseek] [--requests 10000] [--connections 64]
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const QUERIES: &[&str] = &[
    "heat vs ice",
    "back spasm relief",
    "magnesium cramps",
    "\"blood flow\"",
    "stretch +hamstring",
    "electrolytes dehydration",
    "disc herniation",
    "sleep posture mattress",
];

/// The paragraph the editor adds and removes (queries matching its section's heading match
/// it too).
const EDIT: &str = "<p>Benchmark edit number NUMBER: the quokka paragraph.</p>";

struct Args {
    bin: PathBuf,
    requests: usize,
    connections: usize,
    edit_every: Duration,
}

fn args() -> Args {
    let mut a = Args {
        bin: PathBuf::from("target/release/citeseek"),
        requests: 10_000,
        connections: 64,
        edit_every: Duration::from_millis(200),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--bin" => a.bin = PathBuf::from(value()),
            "--requests" => a.requests = value().parse().expect("--requests N"),
            "--connections" => a.connections = value().parse().expect("--connections N"),
            "--edit-ms" => a.edit_every = Duration::from_millis(value().parse().expect("ms")),
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

fn url_for(base: &str, query: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    format!("{base}/api/v1/search?q={q}&limit=10")
}

struct Run {
    latencies_us: Vec<u64>,
    failed: usize,
    wall: Duration,
    first_failures: Vec<String>,
}

/// `requests` searches over `connections` keep-alive connections, each checked against the
/// expected totals.
fn load(base: &str, expected: &Arc<Vec<[u64; 2]>>, requests: usize, connections: usize) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (next, failures, expected) = (
                Arc::clone(&next),
                Arc::clone(&failures),
                Arc::clone(expected),
            );
            let base = base.to_string();
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .pool_max_idle_per_host(1)
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("client");
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        break;
                    }
                    let q = i % QUERIES.len();
                    let t = Instant::now();
                    let outcome = http
                        .get(url_for(&base, QUERIES[q]))
                        .send()
                        .map_err(|e| e.to_string())
                        .and_then(|r| {
                            let status = r.status().as_u16();
                            let body = r.text().map_err(|e| e.to_string())?;
                            if status != 200 {
                                return Err(format!("{status}: {body}"));
                            }
                            let v: Value =
                                serde_json::from_str(&body).map_err(|e| e.to_string())?;
                            let total = v["total"].as_u64().unwrap_or(u64::MAX);
                            if !expected[q].contains(&total) {
                                return Err(format!(
                                    "{:?}: total {total}, a whole generation has {:?}",
                                    QUERIES[q], expected[q]
                                ));
                            }
                            Ok(())
                        });
                    lat.push(t.elapsed().as_micros() as u64);
                    if let Err(e) = outcome {
                        failures.lock().expect("lock").push(e);
                    }
                }
                lat
            })
        })
        .collect();
    let mut latencies_us: Vec<u64> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("worker"))
        .collect();
    let wall = started.elapsed();
    latencies_us.sort_unstable();
    let failures = failures.lock().expect("lock");
    Run {
        latencies_us,
        failed: failures.len(),
        wall,
        first_failures: failures.iter().take(5).cloned().collect(),
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn report(name: &str, run: &Run) -> Value {
    let n = run.latencies_us.len();
    let rps = n as f64 / run.wall.as_secs_f64();
    let (p50, p90, p99) = (
        pct(&run.latencies_us, 0.50),
        pct(&run.latencies_us, 0.90),
        pct(&run.latencies_us, 0.99),
    );
    let max = pct(&run.latencies_us, 1.0);
    println!(
        "{name}: {n} requests in {:.2} s: {rps:.0} requests/s, p50 {p50:.2} ms, p90 {p90:.2} ms, p99 {p99:.2} ms, max {max:.2} ms, failed {}",
        run.wall.as_secs_f64(),
        run.failed
    );
    for f in &run.first_failures {
        println!("  failure: {f}");
    }
    json!({"requests": n, "seconds": run.wall.as_secs_f64(), "requests_per_s": rps,
           "p50_ms": p50, "p90_ms": p90, "p99_ms": p99, "max_ms": max, "failed": run.failed})
}

/// The guide with the benchmark's paragraph after its first section heading.
fn edited(original: &str, number: usize) -> String {
    original.replacen(
        "</h2>",
        &format!("</h2>\n{}", EDIT.replace("NUMBER", &number.to_string())),
        1,
    )
}

/// `citeseek ingest`, as a separate process would run it; whether it succeeded.
fn ingest(bin: &Path, corpus: &Path, index: &Path) -> bool {
    Command::new(bin)
        .args(["ingest", "--corpus"])
        .arg(corpus)
        .arg("--index")
        .arg(index)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run citeseek ingest")
        .success()
}

/// Save the way editors save: a temporary file renamed over the guide.
fn save(corpus: &Path, guide: &Path, text: &str) {
    let tmp = corpus.join("guide/.back-spasm-relief.html.tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, guide).expect("rename");
}

/// CPU time the process has used, in ms (Linux: /proc/PID/stat; `None` elsewhere).
fn cpu_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    let hz = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    Some(ticks * 1000.0 / hz)
}

fn main() {
    let a = args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join(&a.bin);
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --release` first (or pass --bin)",
        bin.display()
    );
    let work = tempfile::tempdir().expect("temp dir");
    let corpus = work.path().join("corpus");
    let index = work.path().join("index");
    copy_dir(&root.join("corpus"), &corpus);
    let guide = corpus.join("guide/back-spasm-relief.html");
    let original = std::fs::read_to_string(&guide).expect("guide");
    assert!(
        original.contains("</h2>"),
        "the guide has no section heading to edit under"
    );

    let mut server = Command::new(&bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--corpus"])
        .arg(&corpus)
        .arg("--index")
        .arg(&index)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start citeseek serve");
    let stderr = server.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find(" on http://") {
                let url = line[at + 4..].split_whitespace().next().unwrap_or("");
                let _ = tx.send(url.trim_end_matches('/').to_string());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the server did not start");
    let http = reqwest::blocking::Client::new();
    let get = |url: &str| -> Value {
        serde_json::from_str(&http.get(url).send().expect("GET").text().expect("body"))
            .expect("JSON")
    };
    let totals = || -> Vec<u64> {
        QUERIES
            .iter()
            .map(|q| get(&url_for(&base, q))["total"].as_u64().expect("total"))
            .collect()
    };
    // Each query's total on the original guide and on the edited one.
    let generation = || get(&format!("{base}/api/v1/health"))["generation"].clone();
    let swap_to = |text: &str| {
        let before = generation();
        save(&corpus, &guide, text);
        assert!(ingest(&bin, &corpus, &index), "ingest failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        while generation() == before {
            assert!(Instant::now() < deadline, "the server did not swap");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let original_totals = totals();
    swap_to(&edited(&original, 1));
    let edited_totals = totals();
    swap_to(&original);
    let expected: Arc<Vec<[u64; 2]>> = Arc::new(
        original_totals
            .into_iter()
            .zip(edited_totals)
            .map(|(a, b)| [a, b])
            .collect(),
    );
    println!(
        "citeseek serve on {base}: {} requests at {} connections, queries {:?}",
        a.requests, a.connections, QUERIES
    );
    let _ = load(&base, &expected, 500.min(a.requests), a.connections); // warm-up
    let cpu_before = cpu_ms(server.id());
    let quiet = report("steady", &load(&base, &expected, a.requests, a.connections));
    let server_cpu_per_request = cpu_before
        .zip(cpu_ms(server.id()))
        .map(|(b, e)| (e - b) / a.requests as f64);
    if let Some(ms) = server_cpu_per_request {
        println!("  the server used {ms:.3} ms of CPU a request");
    }

    // The same while the guide is edited and re-indexed every 200 ms.
    let stop = Arc::new(AtomicBool::new(false));
    let editor = {
        let (stop, bin, corpus, index, base, guide, original) = (
            Arc::clone(&stop),
            bin.clone(),
            corpus.clone(),
            index.clone(),
            base.clone(),
            guide.clone(),
            original.clone(),
        );
        let every = a.edit_every;
        std::thread::spawn(move || {
            let http = reqwest::blocking::Client::new();
            let (mut edits, mut ingests) = (0usize, 0usize);
            let mut generations = std::collections::BTreeSet::new();
            while !stop.load(Ordering::SeqCst) {
                let t = Instant::now();
                edits += 1;
                let text = if edits % 2 == 1 {
                    edited(&original, edits)
                } else {
                    original.clone()
                };
                save(&corpus, &guide, &text);
                if ingest(&bin, &corpus, &index) {
                    ingests += 1;
                }
                if let Ok(r) = http.get(format!("{base}/api/v1/health")).send() {
                    if let Ok(v) = r.text().map(|t| serde_json::from_str::<Value>(&t)) {
                        if let Some(g) = v
                            .ok()
                            .and_then(|v| v["generation"].as_str().map(String::from))
                        {
                            generations.insert(g);
                        }
                    }
                }
                if let Some(rest) = every.checked_sub(t.elapsed()) {
                    std::thread::sleep(rest);
                }
            }
            (edits, ingests, generations.len())
        })
    };
    let busy_run = load(&base, &expected, a.requests, a.connections);
    stop.store(true, Ordering::SeqCst);
    let (edits, ingests, served) = editor.join().expect("editor");
    let busy = report("while editing", &busy_run);
    println!(
        "  during it: {edits} edits, {ingests} successful ingests, {served} generations seen served"
    );
    let _ = server.kill();
    let _ = server.wait();

    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).expect("mkdir");
    let summary = json!({"requests": a.requests, "connections": a.connections,
        "queries": QUERIES, "steady": quiet, "editing": busy,
        "server_cpu_ms_per_request": server_cpu_per_request,
        "edits": edits, "ingests": ingests, "generations_served": served});
    std::fs::write(out.join("serve_load.json"), format!("{summary:#}\n")).expect("write");
}
