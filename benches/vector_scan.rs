//! Passage vectors at a million passages: disk size, time to open, the per-query cost of the
//! nearest-by-meaning scan hybrid ranking runs, and peak memory, for i8 and f32 encodings.
//!
//! `cargo bench --bench vector_scan [-- PASSAGES]` (default 1,000,000). Random unit vectors of
//! 384 dimensions are written to a temporary directory; each encoding is timed over 10 queries
//! after one warm-up, alternating, and the median and spread are printed with the ratio
//! f32 / i8. Memory is the file-backed resident pages a scan adds (the vectors are mapped,
//! not read), measured with the earlier mappings already dropped.

use std::time::Instant;

use citeseek::vectors::{write_file, Encoding, VectorFile, VECTORS_FILE};

fn rng(seed: &mut u64) -> f32 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
}

fn unit(seed: &mut u64, dim: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..dim).map(|_| rng(seed)).collect();
    citeseek::embed::normalise(&mut v);
    v
}

/// A line of /proc/self/status in MB (`VmRSS`, `RssFile`, …).
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dim = 384;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let dirs: Vec<(Encoding, tempfile::TempDir)> = [Encoding::I8, Encoding::F32]
        .into_iter()
        .map(|e| (e, tempfile::tempdir().expect("temp dir")))
        .collect();
    for (encoding, dir) in &dirs {
        // Rows are made in chunks so the writer's input, not the file, bounds memory.
        let rows: Vec<(u64, Vec<f32>)> = (0..n as u64)
            .map(|k| (k * 2_654_435_761, unit(&mut seed, dim)))
            .collect();
        let start = Instant::now();
        write_file(
            &dir.path().join(VECTORS_FILE),
            "bench",
            dim,
            *encoding,
            rows,
        )
        .expect("write");
        let size = std::fs::metadata(dir.path().join(VECTORS_FILE))
            .expect("size")
            .len();
        println!(
            "{}: {n} vectors, {:.1} MB on disk ({:.0} bytes a passage), written in {:.1} s",
            encoding.as_str(),
            size as f64 / 1e6,
            size as f64 / n as f64,
            start.elapsed().as_secs_f64()
        );
    }
    let queries: Vec<Vec<f32>> = (0..10).map(|_| unit(&mut seed, dim)).collect();
    let mut times: Vec<(Encoding, Vec<f64>)> = Vec::new();
    for (encoding, dir) in &dirs {
        let start = Instant::now();
        let file = VectorFile::open_in(dir.path())
            .expect("open")
            .expect("file");
        let opened = start.elapsed().as_secs_f64() * 1000.0;
        file.nearest(&queries[0], 100);
        println!(
            "{}: opened (and its keys checked) in {opened:.0} ms",
            encoding.as_str()
        );
        times.push((*encoding, Vec::new()));
    }
    for q in &queries {
        for (i, (_, dir)) in dirs.iter().enumerate() {
            let file = VectorFile::open_in(dir.path())
                .expect("open")
                .expect("file");
            let start = Instant::now();
            let top = file.nearest(q, 100);
            times[i].1.push(start.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(top.len(), 100);
        }
    }
    let median = |xs: &[f64]| {
        let mut s = xs.to_vec();
        s.sort_by(f64::total_cmp);
        (s[s.len() / 2], s[0], s[s.len() - 1])
    };
    for (encoding, xs) in &times {
        let (m, lo, hi) = median(xs);
        println!(
            "{}: nearest 100 of {n}: median {m:.0} ms (min {lo:.0}, max {hi:.0}) over {} queries",
            encoding.as_str(),
            xs.len()
        );
    }
    let ratios: Vec<f64> = times[1]
        .1
        .iter()
        .zip(&times[0].1)
        .map(|(f, i)| f / i)
        .collect();
    let (m, lo, hi) = median(&ratios);
    println!("f32 / i8 scan time per query: median {m:.2} (range {lo:.2}-{hi:.2})");
    // What a query process holds for the vectors: the mapped file's pages a scan touches.
    for (encoding, dir) in &dirs {
        let before = status_mb("RssFile:");
        let file = VectorFile::open_in(dir.path())
            .expect("open")
            .expect("file");
        file.nearest(&queries[0], 100);
        println!(
            "{}: resident file pages after one scan: +{:.0} MB (RSS now {:.0} MB)",
            encoding.as_str(),
            status_mb("RssFile:") - before,
            status_mb("VmRSS:")
        );
    }
}
