#!/usr/bin/env python3
"""Benchmark 2: ingest of an HTML site, whole process, against Pagefind 1.5.

  benches/ingest_vs_pagefind.py [--runs N] [--scifact DIR] [--bin target/release/citeseek]

Generates 5,183 HTML pages from SciFact (benches/gen_corpus.py site, deterministic), installs
Pagefind (`pip install pagefind-bin`) into a temporary virtualenv, then alternates
`citeseek ingest --full` and `pagefind --site DIR` and reports medians and their ratio.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scifact", default=os.path.join(ROOT, "..", "shared", "bench", "scifact"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/citeseek"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="citeseek-site-")
    site = os.path.join(work, "site")
    subprocess.run([sys.executable, os.path.join(ROOT, "benches/gen_corpus.py"), "site", args.scifact, site], check=True)
    venv = os.path.join(work, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin/pip"), "install", "--quiet", "--disable-pip-version-check",
                    "pagefind-bin==1.5.*"], check=True)
    pagefind = shutil.which("pagefind", path=os.path.join(venv, "bin"))
    if not pagefind:
        found = glob.glob(os.path.join(venv, "lib", "python*", "site-packages", "pagefind_bin", "*pagefind*"))
        pagefind = found[0] if found else None
    if not pagefind:
        raise SystemExit("pagefind binary not found in the pagefind-bin package")
    version = subprocess.run([pagefind, "--version"], capture_output=True, text=True).stdout.strip()
    index = os.path.join(work, "index")
    out = os.path.join(work, "pagefind-out")
    html_bytes = sum(os.path.getsize(p) for p in glob.glob(os.path.join(site, "guide", "*.html")))

    def clean(name):
        shutil.rmtree(out if name == "pagefind" else index, ignore_errors=True)

    cmds = {
        "citeseek": [args.bin, "--corpus", site, "--index", index, "ingest", "--full"],
        "pagefind": [pagefind, "--site", site, "--output-path", out],
    }
    s = harness.summarize(harness.alternate(cmds, args.runs, warmup=1, before_each=clean))
    ratio = s["pagefind"]["median_ms"] / s["citeseek"]["median_ms"]
    print(f"pages: {len(glob.glob(os.path.join(site, 'guide', '*.html')))} ({html_bytes / 1e6:.1f} MB of HTML)")
    print(f"citeseek ingest --full median: {s['citeseek']['median_ms']:.0f} ms")
    print(f"pagefind ({version}) median: {s['pagefind']['median_ms']:.0f} ms")
    print(f"speed-up citeseek vs pagefind: {ratio:.2f}x (target >= 5x)")
    harness.write_summary(os.path.join(ROOT, "target/bench/ingest_vs_pagefind.json"),
                          {"runs": args.runs, "pagefind_version": version, "html_bytes": html_bytes,
                           "results": s, "speedup": ratio})
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
