#!/usr/bin/env python3
"""Ingest speed of two citeseek builds on the SciFact HTML site, alternating in one run.

  benches/ingest_ab.py --old OLD_BINARY [--new target/release/citeseek] [--runs N] [--scifact DIR]

Generates the 5,183-page site of benches/ingest_vs_pagefind.py (benches/gen_corpus.py site,
deterministic), then runs `ingest --full` with the old and the new binary in turn, old new old
new …, and prints both medians, the ratio of the medians (new/old) and the spread of the
ratios of the pairs. Release builds are the point (pass the old one's path).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", default=os.path.join(ROOT, "target/release/citeseek"))
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--scifact", default=os.path.join(ROOT, "..", "shared", "bench", "scifact"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="citeseek-ab-")
    try:
        site = os.path.join(work, "site")
        subprocess.run([sys.executable, os.path.join(ROOT, "benches/gen_corpus.py"), "site", args.scifact, site],
                       check=True, stdout=subprocess.DEVNULL)
        index = os.path.join(work, "index")

        def clean(_name):
            shutil.rmtree(index, ignore_errors=True)

        cmds = {name: [binary, "--corpus", site, "--index", index, "ingest", "--full"]
                for name, binary in (("old", args.old), ("new", args.new))}
        times = harness.alternate(cmds, args.runs, warmup=1, before_each=clean)
        pairs = [n / o for o, n in zip(times["old"], times["new"])]
        s = harness.summarize(times)
        ratio = s["new"]["median_ms"] / s["old"]["median_ms"]
        print(f"pages: {len(os.listdir(os.path.join(site, 'guide')))}, {args.runs} alternating runs each")
        print(f"old ({args.old}) median: {s['old']['median_ms']:.0f} ms (min {s['old']['min_ms']:.0f})")
        print(f"new ({args.new}) median: {s['new']['median_ms']:.0f} ms (min {s['new']['min_ms']:.0f})")
        print(f"new/old: {ratio:.3f} (pairs: min {min(pairs):.3f}, median {statistics.median(pairs):.3f}, "
              f"max {max(pairs):.3f}; target <= 1.10)")
        harness.write_summary(os.path.join(ROOT, "target/bench/ingest_ab.json"),
                              {"runs": args.runs, "results": s, "ratio": ratio, "pair_ratios": pairs})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
