#!/usr/bin/env python3
"""SciFact train, 5-fold comparison of two citeseek builds (lexical ranking): nDCG@10 per fold
for a baseline binary and a new one, the per-fold difference, its mean and spread, and the
query-phase QPS of both builds measured alternately in the same run.

    python3 benches/cv_scifact.py --base /tmp/citeseek-base [--new target/release/citeseek]
                                  [--data ../shared/bench/scifact] [--folds 5] [--seed 15]
                                  [--qps-rounds 3] [--repeat 5]

The judged training claims are shuffled with a fixed seed and dealt into folds; each fold is
evaluated by both builds with `citeseek eval --json` (the full qrels, that fold's queries).
Nothing is tuned on the folds: they show how much a change moves held-out slices of the data,
so a gain smaller than the folds' spread is not taken for one. A JSON summary goes to
target/bench/cv_scifact.json. Standard library only.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile


def evaluate(binary, corpus, queries, qrels, repeat=1):
    cmd = [binary, "eval", "--corpus", corpus, "--queries", queries, "--qrels", qrels,
           "--json", "--repeat", str(repeat)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return json.loads(p.stdout)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="baseline citeseek binary")
    ap.add_argument("--new", default=os.path.join(root, "target/release/citeseek"))
    ap.add_argument("--data", default=os.path.join(root, "../shared/bench/scifact"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--qps-rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    corpus = os.path.join(args.data, "corpus.jsonl")
    queries = os.path.join(args.data, "queries-train.jsonl")
    qrels = os.path.join(args.data, "qrels/train.tsv")
    judged = set()
    with open(qrels) as f:
        next(f)
        for line in f:
            qid, _, score = line.rstrip("\n").split("\t")
            if int(score) > 0:
                judged.add(qid)
    lines = [l for l in open(queries) if l.strip() and json.loads(l)["_id"] in judged]
    random.Random(args.seed).shuffle(lines)
    folds = [lines[i::args.folds] for i in range(args.folds)]
    builds = {"base": args.base, "new": args.new}

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, fold in enumerate(folds):
            path = os.path.join(tmp, f"fold{i}.jsonl")
            with open(path, "w") as f:
                f.writelines(fold)
            got = {name: evaluate(b, corpus, path, qrels)["ndcg@10"] for name, b in builds.items()}
            rows.append({"fold": i, "queries": len(fold), **got, "delta": got["new"] - got["base"]})
            print(f"fold {i}: {len(fold)} claims  base {got['base']:.4f}  new {got['new']:.4f}  "
                  f"delta {got['new'] - got['base']:+.4f}", flush=True)

    summary = {}
    for key in ("base", "new", "delta"):
        xs = [r[key] for r in rows]
        summary[key] = {"mean": statistics.mean(xs), "stdev": statistics.stdev(xs),
                        "min": min(xs), "max": max(xs)}
        print(f"{key:5}: mean {summary[key]['mean']:+.4f}  stdev {summary[key]['stdev']:.4f}  "
              f"range {summary[key]['min']:+.4f} .. {summary[key]['max']:+.4f}")
    better = sum(r["delta"] > 0 for r in rows)
    worse = sum(r["delta"] < 0 for r in rows)
    print(f"folds better / same / worse: {better} / {len(rows) - better - worse} / {worse}")

    # All 809 claims, both builds alternately: nDCG@10 over the whole split and query speed.
    qps = {name: [] for name in builds}
    full = {}
    for _ in range(args.qps_rounds):
        for name, b in builds.items():
            r = evaluate(b, corpus, queries, qrels, args.repeat)
            qps[name].append(r["qps"])
            full[name] = r["ndcg@10"]
    for name in builds:
        print(f"{name:5}: all claims nDCG@10 {full[name]:.4f}  QPS {', '.join(f'{q:.0f}' for q in qps[name])}"
              f"  (median {statistics.median(qps[name]):.0f})")
    ratio = statistics.median(qps["new"]) / statistics.median(qps["base"])
    print(f"QPS new/base (medians): {ratio:.3f}")

    out = os.path.join(root, "target/bench")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "cv_scifact.json"), "w") as f:
        json.dump({"seed": args.seed, "folds": rows, "summary": summary, "all_claims": full,
                   "qps": qps, "qps_ratio": ratio}, f, indent=2)


if __name__ == "__main__":
    main()
