//! In-process query latency: opens an index once and times `search` (query parsing, ranking,
//! stored passages, snippets) for each claim of a BEIR query file; prints p50/p95/p99 and
//! writes a JSON summary. Run with
//! `cargo bench --bench query_latency -- --index DIR --queries queries.jsonl [--n 1000]`.

use std::path::PathBuf;
use std::time::Instant;

use citeseek::index::IndexDir;
use citeseek::search::{search, SearchRequest};
use citeseek::synonyms::Synonyms;

fn main() {
    if let Err(e) = run() {
        eprintln!("query_latency: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut index = None;
    let mut queries = None;
    let mut n = 1000usize;
    let mut limit = 10usize;
    let mut out = PathBuf::from("target/bench/query_latency.json");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--index" => index = args.next().map(PathBuf::from),
            "--queries" => queries = args.next().map(PathBuf::from),
            "--n" => {
                n = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--n takes a number")?
            }
            "--limit" => {
                limit = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--limit takes a number")?
            }
            "--out" => out = args.next().map(PathBuf::from).ok_or("--out takes a path")?,
            "--bench" => {} // passed by `cargo bench`
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let index = index.ok_or("--index DIR is required")?;
    let queries = queries.ok_or("--queries FILE is required")?;
    let text =
        std::fs::read_to_string(&queries).map_err(|e| format!("{}: {e}", queries.display()))?;
    let claims: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
        .take(n)
        .collect();
    if claims.is_empty() {
        return Err(format!("no queries in {}", queries.display()));
    }
    let open_start = Instant::now();
    let opened = IndexDir::new(&index).open().map_err(|e| e.to_string())?;
    let open_ms = open_start.elapsed().as_secs_f64() * 1000.0;
    // SciFact-style claims over a generated corpus: no synonym file.
    let no_synonyms = Synonyms::default();
    // One warm-up pass so the page cache holds the index, as on a machine in use.
    for q in claims.iter().take(50) {
        let _ = search(&opened, &request(q, limit), &no_synonyms);
    }
    let mut times = Vec::with_capacity(claims.len());
    let mut hits = 0usize;
    for q in &claims {
        let start = Instant::now();
        let result =
            search(&opened, &request(q, limit), &no_synonyms).map_err(|e| e.to_string())?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        hits += result.hits.len();
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let (p50, p95, p99) = (pct(0.50), pct(0.95), pct(0.99));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let passages = opened.marker.stats.passages;
    println!(
        "index: {} ({passages} passages), opened in {open_ms:.1} ms",
        index.display()
    );
    println!("queries: {}", times.len());
    println!("p50: {p50:.2} ms");
    println!("p95: {p95:.2} ms");
    println!("p99: {p99:.2} ms");
    println!("mean: {mean:.2} ms");
    let summary = serde_json::json!({
        "index": index, "passages": passages, "queries": times.len(), "limit": limit,
        "open_ms": open_ms, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "mean_ms": mean,
        "hits": hits,
    });
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(&out, summary.to_string()).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("summary: {}", out.display());
    Ok(())
}

fn request(q: &str, limit: usize) -> SearchRequest {
    SearchRequest {
        query: q.to_string(),
        limit,
        kind: None,
        cites: None,
        semantic: None,
    }
}
