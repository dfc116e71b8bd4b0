#!/usr/bin/env python3
"""Ingest speed of two citeseek builds on the SciFact HTML site, alternating in one run.

  benches/ingest_ab.py --old OLD_BINARY [--new target/release/citeseek] [--runs N] [--scifact DIR]

Generates the 5,183-page site of benches/ingest_vs_pagefind.py (benches/gen_corpus.py site,
deterministic), then runs `ingest --full` with the old and the new binary in turn, old new old
new …, and prints both medians, the ratio of the medians (new/old) and the spread of the
ratios of the pairs, for wall time and for CPU time (user + system of the process, which a
machine shared with other work disturbs less than wall time). Release builds are the point
(pass the old one's path).
"""
import argparse
import os
import resource
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
        times = {name: [] for name in cmds}
        cpu = {name: [] for name in cmds}
        for run in range(args.runs + 1):  # the first round is a warm-up
            for name, cmd in cmds.items():
                clean(name)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall = harness.run_once(cmd)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if run:
                    times[name].append(wall)
                    cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        s = harness.summarize(times)
        print(f"pages: {len(os.listdir(os.path.join(site, 'guide')))}, {args.runs} alternating runs each")
        summary = {"runs": args.runs, "results": s}
        for what, xs in (("wall", times), ("cpu", cpu)):
            old, new = statistics.median(xs["old"]), statistics.median(xs["new"])
            pairs = [n / o for o, n in zip(xs["old"], xs["new"])]
            print(f"{what}: old median {old * 1000:.0f} ms (min {min(xs['old']) * 1000:.0f}), "
                  f"new median {new * 1000:.0f} ms (min {min(xs['new']) * 1000:.0f}); new/old {new / old:.3f} "
                  f"(pairs: min {min(pairs):.3f}, median {statistics.median(pairs):.3f}, max {max(pairs):.3f}; "
                  f"target <= 1.10)")
            summary[what] = {"old": xs["old"], "new": xs["new"], "ratio": new / old, "pair_ratios": pairs}
        harness.write_summary(os.path.join(ROOT, "target/bench/ingest_ab.json"), summary)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
