#!/usr/bin/env python3
"""Benchmark 3: scale. A deterministic corpus of N guide pages (default 100,000, about a million
passages) built from SciFact sentences, with headings and links to generated references.

  benches/scale.py [--pages N] [--work DIR] [--scifact DIR] [--bin target/release/citeseek]

Measures, printing one line a figure and writing target/bench/scale.json:
  * full ingest: wall time, MB of HTML per second, peak RSS (GNU time), CPU use;
  * index size against the extracted passage text;
  * query latency in-process over 1,000 SciFact claims (cargo bench --bench query_latency);
  * whole-process `search` (with and without the corpus freshness check), median of runs;
  * incremental rebuild after editing one page.
The corpus is generated once into --work and reused by later runs.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def du_bytes(path, exclude=()):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            if f in exclude:
                continue
            total += os.path.getsize(os.path.join(dirpath, f))
    return total


def html_bytes(corpus):
    return du_bytes(os.path.join(corpus, "guide"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench", "scale"))
    ap.add_argument("--scifact", default=os.path.join(ROOT, "..", "shared", "bench", "scifact"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/citeseek"))
    ap.add_argument("--queries", type=int, default=1000)
    args = ap.parse_args()
    corpus = os.path.join(args.work, f"corpus-{args.pages}")
    index = os.path.join(args.work, f"index-{args.pages}")
    if not os.path.isdir(os.path.join(corpus, "guide")):
        subprocess.run([sys.executable, os.path.join(ROOT, "benches/gen_corpus.py"), "scale", args.scifact,
                        corpus, "--pages", str(args.pages)], check=True)
    size = html_bytes(corpus)
    results = {"pages": args.pages, "html_bytes": size}

    # Full ingest, with peak memory from GNU time.
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", args.bin, "--corpus", corpus, "--index", index, "ingest", "--full"],
                       capture_output=True, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", p.stderr).group(1)
    marker = json.load(open(os.path.join(index, "citeseek-index.json")))
    stats = marker["stats"]
    gen = os.path.join(index, marker["generation"])
    index_bytes = du_bytes(gen, exclude=("manifest.tsv", "passages.tsv", "files.tsv", "references.json"))
    results.update({
        "ingest_seconds": wall, "ingest_mb_per_s": size / 1e6 / wall, "peak_rss_mb": rss_kb / 1024,
        "cpu_percent": int(cpu), "passages": stats["passages"], "text_bytes": stats["text_bytes"],
        "index_bytes": index_bytes, "index_to_text": index_bytes / max(1, stats["text_bytes"]),
        "manifest_bytes": du_bytes(gen) - index_bytes,
    })
    print(f"pages: {args.pages} ({size / 1e6:.1f} MB of HTML), passages: {stats['passages']}")
    print(f"full ingest: {wall:.1f} s, {results['ingest_mb_per_s']:.1f} MB/s, CPU {cpu}%, peak RSS {rss_kb / 1024:.0f} MB")
    print(f"index: {index_bytes / 1e6:.1f} MB for {stats['text_bytes'] / 1e6:.1f} MB of passage text "
          f"({results['index_to_text']:.2f}x; manifest {results['manifest_bytes'] / 1e6:.1f} MB more)")

    # In-process latency.
    q = subprocess.run(["cargo", "bench", "--quiet", "--bench", "query_latency", "--", "--index", index,
                        "--queries", os.path.join(args.scifact, "queries-train.jsonl"), "--n", str(args.queries),
                        "--out", os.path.join(ROOT, "target/bench/scale_latency.json")],
                       cwd=ROOT, capture_output=True, text=True)
    if q.returncode != 0:
        raise SystemExit(q.stderr)
    lat = json.load(open(os.path.join(ROOT, "target/bench/scale_latency.json")))
    results["query_latency"] = lat
    print(f"in-process query latency over {lat['queries']} claims: p50 {lat['p50_ms']:.2f} ms, "
          f"p95 {lat['p95_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms")

    # Whole-process searches.
    claims = [json.loads(l)["text"] for l in open(os.path.join(args.scifact, "queries-train.jsonl"))][:5]
    for label, extra in (("no_refresh", ["--no-refresh"]), ("with_refresh", [])):
        times = []
        for c in claims:
            for _ in range(3):
                times.append(harness.run_once([args.bin, "--corpus", corpus, "--index", index, *extra, "search", c]))
        results[f"search_process_ms_{label}"] = statistics.median(times) * 1000
        print(f"whole-process search ({label.replace('_', ' ')}): median {statistics.median(times) * 1000:.1f} ms")

    # Incremental rebuild after editing one page.
    page = os.path.join(corpus, "guide", "000", "page000042.html")
    text = open(page, encoding="utf-8").read()
    with open(page, "w", encoding="utf-8") as f:
        f.write(text.replace("</article>", "<p>An edit for the incremental benchmark.</p></article>", 1))
    start = time.perf_counter()
    subprocess.run([args.bin, "--corpus", corpus, "--index", index, "ingest"], check=True, capture_output=True)
    inc = time.perf_counter() - start
    with open(page, "w", encoding="utf-8") as f:
        f.write(text)
    subprocess.run([args.bin, "--corpus", corpus, "--index", index, "ingest"], check=True, capture_output=True)
    results["incremental_seconds"] = inc
    print(f"incremental rebuild after editing one page: {inc * 1000:.0f} ms ({inc / wall * 100:.2f}% of the full ingest)")
    harness.write_summary(os.path.join(ROOT, "target/bench/scale.json"), results)


if __name__ == "__main__":
    main()
