#!/usr/bin/env python3
"""How long do two commits take to build and test? Ratios new/old from alternating runs.

  benches/build_time.py --old REV [--new HEAD] [--rounds 3] [--target-dir DIR]

Checks out both commits as temporary git worktrees that share one cargo target directory, so
the dependencies are compiled once (a warm-up build of each) and what is timed is the part a
restructure of this crate changes. Each round, old and new in turn:
- `cargo build --release --locked` after touching every file under src/ (the crate's own
  release build: the library and the binary);
- `cargo test --locked --no-run` after the same touch (the crate and every test binary);
- `cargo test --locked` with everything built (running the tests).
Prints each figure's median, spread (min-max) and the ratio of the medians. The machines here
are shared and noisy: compare ratios from one run of this script, never figures across runs.
The cold total (dependencies included) is the same for both commits when Cargo.lock is: time
it once with an empty --target-dir if needed.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(args, cwd, env=None):
    return subprocess.run(args, cwd=cwd, env=env, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def touch_sources(tree):
    now = time.time()
    for dirpath, _, files in os.walk(os.path.join(tree, "src")):
        for f in files:
            os.utime(os.path.join(dirpath, f), (now, now))


def timed(args, cwd, env):
    start = time.monotonic()
    sh(args, cwd, env)
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", default="HEAD")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--target-dir", default=os.path.join(ROOT, "target", "build-time"))
    args = ap.parse_args()
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.abspath(args.target_dir),
               CARGO_TERM_COLOR="never")
    # The tests must not see a model or a browser the machine has: both commits skip alike.
    for k in ("CITESEEK_TEST_MODEL", "CITESEEK_MODEL", "CITESEEK_AXE_JS"):
        env.pop(k, None)
    work = tempfile.mkdtemp(prefix="citeseek-build-time-")
    trees = {}
    try:
        for name, rev in (("old", args.old), ("new", args.new)):
            trees[name] = os.path.join(work, name)
            sh(["git", "worktree", "add", "--detach", trees[name], rev], ROOT)
        for tree in trees.values():  # warm-up: dependencies, both profiles
            sh(["cargo", "build", "--release", "--locked"], tree, env)
            sh(["cargo", "test", "--locked", "--no-run"], tree, env)
        times = {(n, f): [] for n in trees for f in ("release", "test-build", "test-run")}
        for r in range(args.rounds):
            for name, tree in trees.items():
                touch_sources(tree)
                times[(name, "release")].append(
                    timed(["cargo", "build", "--release", "--locked"], tree, env))
                touch_sources(tree)
                times[(name, "test-build")].append(
                    timed(["cargo", "test", "--locked", "--no-run"], tree, env))
                times[(name, "test-run")].append(timed(["cargo", "test", "--locked"], tree, env))
                print(f"round {r + 1} {name}: " + ", ".join(
                    f"{f} {times[(name, f)][-1]:.1f}s" for f in ("release", "test-build", "test-run")),
                    flush=True)
        print(f"\n{'figure':<12} {'old median (min-max)':>24} {'new median (min-max)':>24} {'new/old':>8}")
        for f in ("release", "test-build", "test-run"):
            o, n = times[("old", f)], times[("new", f)]
            mo, mn = statistics.median(o), statistics.median(n)
            print(f"{f:<12} {mo:>8.1f}s ({min(o):.1f}-{max(o):.1f}){'':>6} "
                  f"{mn:>8.1f}s ({min(n):.1f}-{max(n):.1f}){'':>6} {mn / mo:>8.3f}")
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
