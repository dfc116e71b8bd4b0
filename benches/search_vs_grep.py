#!/usr/bin/env python3
"""Benchmark 1: one search, whole process, on the bundled corpus, against grep.

  benches/search_vs_grep.py [--runs N] [--bin target/release/citeseek]

Alternates `citeseek search "heat vs ice"` (process start, index open, query, snippets,
output) with `grep -rio "heat\\|ice" corpus/` and reports the median of each and their ratio.
The index is built once beforehand; the search must not re-read the corpus.
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/citeseek"))
    args = ap.parse_args()
    os.chdir(ROOT)
    index = tempfile.mkdtemp(prefix="citeseek-bench-")
    subprocess.run([args.bin, "--index", index, "ingest"], check=True, stderr=subprocess.DEVNULL)
    cmds = {
        "citeseek": [args.bin, "--index", index, "search", "heat vs ice"],
        "grep": ["grep", "-rio", "heat\\|ice", "corpus/"],
    }
    s = harness.summarize(harness.alternate(cmds, args.runs))
    ratio = s["citeseek"]["median_ms"] / s["grep"]["median_ms"]
    print(f"citeseek search median: {s['citeseek']['median_ms']:.2f} ms")
    print(f"grep median: {s['grep']['median_ms']:.2f} ms")
    print(f"ratio citeseek/grep: {ratio:.2f} (target <= 2.0)")
    harness.write_summary(os.path.join(ROOT, "target/bench/search_vs_grep.json"),
                          {"runs": args.runs, "results": s, "ratio": ratio})


if __name__ == "__main__":
    main()
