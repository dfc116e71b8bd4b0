#!/usr/bin/env python3
"""Speed and memory of ranking by meaning, against lexical ranking in the same run:

1. embedding throughput: passages of ~240 tokens (SciFact abstracts) per second, all cores;
2. an edit: one paragraph of the bundled guide changed, `ingest` wall time and how many
   passages it embedded (it must be the changed ones only);
3. `search "heat vs ice"` as a whole process on the bundled corpus, hybrid (model load and
   query embedding included) against lexical, alternating;
4. peak RSS of those searches.

    python3 benches/semantic_speed.py --model DIR [--bin target/release/citeseek]
        [--data ../shared/bench/scifact] [--passages 300] [--runs 20] [--edits 5]

A JSON summary goes to target/bench/semantic_speed.json. Standard library only.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import alternate, summarize, write_summary  # noqa: E402


def run(cmd, env, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def peak_rss_mb(cmd, env):
    """Peak RSS of one run of `cmd`, from wait4's rusage."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(p.pid, 0)
    return usage.ru_maxrss / 1024


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.environ.get("CITESEEK_MODEL"))
    ap.add_argument("--bin", default=os.path.join(root, "target/release/citeseek"))
    ap.add_argument("--data", default=os.path.join(root, "../shared/bench/scifact"))
    ap.add_argument("--passages", type=int, default=300)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--edits", type=int, default=5)
    args = ap.parse_args()
    if not args.model:
        sys.exit("pass --model DIR (an all-MiniLM-L6-v2 directory) or set CITESEEK_MODEL")
    env = dict(os.environ, CITESEEK_MODEL=args.model, NO_COLOR="1")
    out = {}
    tmp = tempfile.mkdtemp(prefix="citeseek-semantic-speed-")
    try:
        # 1. Throughput: the first N SciFact abstracts as a BEIR corpus, embedded from scratch.
        corpus = os.path.join(tmp, "corpus.jsonl")
        with open(os.path.join(args.data, "corpus.jsonl")) as src, open(corpus, "w") as dst:
            for i, line in enumerate(src):
                if i >= args.passages:
                    break
                dst.write(line)
        queries = os.path.join(args.data, "queries-train.jsonl")
        qrels = os.path.join(args.data, "qrels/train.tsv")
        start = time.perf_counter()
        p = run([args.bin, "eval", "--corpus", corpus, "--queries", queries, "--qrels", qrels,
                 "--mode", "hybrid", "--json", "--index", os.path.join(tmp, "eval-index")], env,
                check=False)
        wall = time.perf_counter() - start
        if p.returncode not in (0, 1):
            sys.exit(p.stderr)
        e = json.loads(p.stdout)
        lexical = json.loads(run([args.bin, "eval", "--corpus", corpus, "--queries", queries,
                                  "--qrels", qrels, "--mode", "lexical", "--json"], env).stdout)
        embed_s = e["index_seconds"] - lexical["index_seconds"]
        out["embedding"] = {
            "passages": e["embedded"],
            "index_seconds_hybrid": e["index_seconds"],
            "index_seconds_lexical": lexical["index_seconds"],
            "passages_per_second": e["embedded"] / embed_s if embed_s > 0 else None,
            "wall_seconds": wall,
        }
        print(f"embedding: {e['embedded']} SciFact abstracts in {embed_s:.1f} s beyond lexical "
              f"indexing: {out['embedding']['passages_per_second']:.1f} passages/s")

        # 2. One paragraph edited, `ingest` again, several times.
        corpus_dir = os.path.join(tmp, "guide-corpus")
        shutil.copytree(os.path.join(root, "corpus"), corpus_dir)
        index = os.path.join(tmp, "guide-index")
        base = [args.bin, "--corpus", corpus_dir, "--index", index]
        first = json.loads(run(base + ["ingest", "--json"], env).stdout)
        guide = os.path.join(corpus_dir, "guide/back-spasm-relief.html")
        original = open(guide, encoding="utf-8").read()
        sentence = "For the first 48-72 hours, use ice."
        edits = []
        for i in range(args.edits):
            with open(guide, "w", encoding="utf-8") as f:
                f.write(original.replace(sentence, f"For the first 48-72 hours (edit {i}), use ice."))
            start = time.perf_counter()
            r = json.loads(run(base + ["ingest", "--json"], env).stdout)
            edits.append((time.perf_counter() - start, r["embedded"], r["mode"]))
        out["edit"] = {
            "first_ingest_embedded": first["embedded"],
            "wall_ms": [round(t * 1000, 1) for t, _, _ in edits],
            "median_ms": statistics.median(t for t, _, _ in edits) * 1000,
            "embedded": [n for _, n, _ in edits],
            "modes": [m for _, _, m in edits],
        }
        print(f"edit: ingest embeds {out['edit']['embedded']} passages, median "
              f"{out['edit']['median_ms']:.0f} ms (runs: {out['edit']['wall_ms']})")

        # 3. Whole-process search, hybrid against lexical, alternating.
        search = base + ["--no-refresh", "search", "heat vs ice"]
        cmds = {"lexical": search + ["--mode", "lexical"], "hybrid": search + ["--mode", "hybrid"]}
        os.environ.update(env)
        times = alternate(cmds, args.runs)
        s = summarize(times)
        ratios = [h / l for h, l in zip(times["hybrid"], times["lexical"])]
        out["search"] = s
        out["search"]["ratio_median"] = statistics.median(ratios)
        out["search"]["ratio_quartiles"] = statistics.quantiles(ratios, n=4)
        print(f"search: lexical median {s['lexical']['median_ms']:.0f} ms (p90 "
              f"{s['lexical']['p90_ms']:.0f}), hybrid {s['hybrid']['median_ms']:.0f} ms (p90 "
              f"{s['hybrid']['p90_ms']:.0f}); hybrid/lexical per pair {out['search']['ratio_median']:.2f} "
              f"(quartiles {', '.join(f'{q:.2f}' for q in out['search']['ratio_quartiles'])})")

        # 4. Peak RSS.
        out["rss_mb"] = {name: peak_rss_mb(cmd, env) for name, cmd in cmds.items()}
        print(f"peak RSS: lexical {out['rss_mb']['lexical']:.0f} MB, hybrid "
              f"{out['rss_mb']['hybrid']:.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_summary(os.path.join(root, "target/bench/semantic_speed.json"), out)


if __name__ == "__main__":
    main()
