#!/usr/bin/env python3
"""SciFact train: choose hybrid ranking's dense weight by 5-fold cross-validation, and compare
lexical, semantic and hybrid ranking (and f32 against i8 vectors) in one run.

    python3 benches/cv_hybrid.py --model DIR [--bin target/release/citeseek]
                                 [--data ../shared/bench/scifact] [--folds 5] [--seed 15]
                                 [--weights 0.2,0.3,0.4,0.5,0.6,0.7,0.8]

Every configuration ranks all 809 judged training claims once (`citeseek eval --run`); the
per-claim nDCG@10 is computed here from the run and the qrels. For each fold, the weight with
the best mean nDCG@10 on the other folds is chosen and scored on the held-out fold: the mean
and spread of those held-out scores is the figure to compare with lexical ranking's on the
same folds. Passage vectors are embedded once (f32) into target/bench/scifact-hybrid/ and
kept; the i8 index is made from them without embedding again. A JSON summary goes to
target/bench/cv_hybrid.json. Standard library only.
"""
import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys


def read_qrels(path):
    qrels = {}
    with open(path) as f:
        next(f)
        for line in f:
            qid, did, score = line.rstrip("\n").split("\t")
            qrels.setdefault(qid, {})[did] = int(score)
    return qrels


def ndcg10(ranked, judged):
    dcg = sum(judged.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(judged.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def run_eval(args, index, mode, weight=None, env=None):
    run = os.path.join(args.out, f"run-{mode}-{weight}.trec")
    cmd = [args.bin, "eval", "--corpus", args.corpus, "--queries", args.queries, "--qrels",
           args.qrels, "--index", index, "--mode", mode, "--run", run, "--json"]
    if weight is not None:
        cmd += ["--dense-weight", str(weight)]
    e = dict(os.environ, CITESEEK_MODEL=args.model, **(env or {}))
    p = subprocess.run(cmd, capture_output=True, text=True, env=e)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    summary = json.loads(p.stdout)
    ranked = {}
    with open(run) as f:
        for line in f:
            qid, _, did, rank, _, _ = line.split()
            ranked.setdefault(qid, []).append((int(rank), did))
    per_query = {q: [d for _, d in sorted(r)] for q, r in ranked.items()}
    return summary, per_query


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.environ.get("CITESEEK_MODEL"))
    ap.add_argument("--bin", default=os.path.join(root, "target/release/citeseek"))
    ap.add_argument("--data", default=os.path.join(root, "../shared/bench/scifact"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--weights", default="0.2,0.3,0.4,0.5,0.6,0.7,0.8")
    args = ap.parse_args()
    if not args.model:
        sys.exit("pass --model DIR (an all-MiniLM-L6-v2 directory) or set CITESEEK_MODEL")
    args.corpus = os.path.join(args.data, "corpus.jsonl")
    args.queries = os.path.join(args.data, "queries-train.jsonl")
    args.qrels = os.path.join(args.data, "qrels/train.tsv")
    args.out = os.path.join(root, "target/bench/scifact-hybrid")
    os.makedirs(args.out, exist_ok=True)
    f32_index = os.path.join(args.out, "index-f32")
    i8_index = os.path.join(args.out, "index-i8")

    qrels = read_qrels(args.qrels)
    judged = sorted(q for q, j in qrels.items() if any(g > 0 for g in j.values()))
    rng = random.Random(args.seed)
    order = judged[:]
    rng.shuffle(order)
    folds = [set(order[i::args.folds]) for i in range(args.folds)]

    def scores(per_query):
        return {q: ndcg10(per_query.get(q, []), qrels[q]) for q in judged}

    configs = {}
    summary, pq = run_eval(args, f32_index, "hybrid", 0.5, {"CITESEEK_VECTOR_ENCODING": "f32"})
    print(f"f32 index: embedded {summary['embedded']} passages in {summary['index_seconds']:.0f} s",
          file=sys.stderr)
    configs["hybrid-f32-0.5"] = scores(pq)
    if not os.path.exists(i8_index):
        shutil.copytree(f32_index, i8_index)
    summary, pq = run_eval(args, i8_index, "hybrid", 0.5, {"CITESEEK_VECTOR_ENCODING": "i8"})
    configs["hybrid-i8-0.5"] = scores(pq)
    for mode in ["lexical", "semantic"]:
        summary, pq = run_eval(args, i8_index, mode)
        configs[mode] = scores(pq)
    weights = [float(w) for w in args.weights.split(",")]
    for w in weights:
        summary, pq = run_eval(args, i8_index, "hybrid", w, {"CITESEEK_VECTOR_ENCODING": "i8"})
        configs[f"hybrid-{w}"] = scores(pq)

    mean = lambda s, qs: statistics.mean(s[q] for q in qs)
    print(f"{'configuration':18} nDCG@10 (all {len(judged)})  per fold")
    for name, s in configs.items():
        per_fold = [mean(s, f) for f in folds]
        print(f"{name:18} {mean(s, judged):.4f}  " + " ".join(f"{x:.4f}" for x in per_fold))

    chosen, held, lexical_held = [], [], []
    for i, fold in enumerate(folds):
        train = [q for q in judged if q not in fold]
        best = max(weights, key=lambda w: mean(configs[f"hybrid-{w}"], train))
        chosen.append(best)
        held.append(mean(configs[f"hybrid-{best}"], fold))
        lexical_held.append(mean(configs["lexical"], fold))
    gain = [h - l for h, l in zip(held, lexical_held)]
    print(f"cross-validated hybrid: weights chosen per fold {chosen}")
    print(f"  held-out nDCG@10 {statistics.mean(held):.4f} ± {statistics.stdev(held):.4f}"
          f"  (lexical {statistics.mean(lexical_held):.4f} ± {statistics.stdev(lexical_held):.4f};"
          f" gain {statistics.mean(gain):+.4f} ± {statistics.stdev(gain):.4f})")
    i8_f32 = [mean(configs["hybrid-i8-0.5"], f) - mean(configs["hybrid-f32-0.5"], f) for f in folds]
    print(f"i8 - f32 at weight 0.5: {statistics.mean(i8_f32):+.4f} ± {statistics.stdev(i8_f32):.4f}"
          " per fold")
    out = {
        "configs": {n: {"ndcg@10": mean(s, judged), "folds": [mean(s, f) for f in folds]}
                    for n, s in configs.items()},
        "chosen_weights": chosen,
        "held_out": held,
        "lexical_held_out": lexical_held,
        "i8_minus_f32": i8_f32,
    }
    with open(os.path.join(root, "target/bench/cv_hybrid.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
