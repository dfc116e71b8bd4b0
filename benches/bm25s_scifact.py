#!/usr/bin/env python3
"""bm25s baseline on a BEIR data set (SciFact by default), for citeseek to beat.

Reads a BEIR corpus (JSONL: _id, title, text), a query file (JSONL: _id, text)
and a qrels TSV ("query-id\tcorpus-id\tscore" header), indexes title + " " + text
with bm25s, retrieves the top 100 for every query that has qrels, and reports:

  * nDCG@10 and Recall@100 with the trec_eval definitions (the same formulas
    as src/eval.rs: linear graded gain, log2(rank + 1) discount, ideal DCG
    from all judged rel > 0, rel > 0 counts as relevant, ranking re-sorted by
    score desc then docid desc as trec_eval does, a judged query without
    results scores 0);
  * query-phase throughput, single-threaded: tokenize the queries + retrieve
    (n_threads=1), indexing excluded; several repetitions, median reported.

Writes a JSON summary (--json PATH) and, optionally, the TREC run (--run PATH).
Nothing here is tuned: bm25s defaults (method "lucene", k1=1.5, b=0.75).
"""

import argparse
import json
import math
import os
import statistics
import sys
import time


def read_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{lineno}: {e}")
    return out


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if lineno == 1 and fields[0] == "query-id":
                continue
            if len(fields) == 3:
                qid, did, rel = fields
            elif len(fields) == 4:
                qid, _, did, rel = fields
            else:
                sys.exit(f"{path}:{lineno}: expected 3 or 4 fields, got {len(fields)}")
            qrels.setdefault(qid, {})[did] = int(rel)
    return qrels


def trec_order(pairs):
    """Sort (docid, score) as trec_eval does: score desc, then docid desc."""
    return sorted(pairs, key=lambda p: (p[1], p[0]), reverse=True)


def ndcg_at(ranked, judged, k):
    dcg = sum(
        judged.get(d, 0) / math.log2(i + 2)
        for i, d in enumerate(ranked[:k])
        if judged.get(d, 0) > 0
    )
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked, judged, k):
    relevant = {d for d, r in judged.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--qrels", required=True)
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions")
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("--run", help="write the TREC run file here")
    args = ap.parse_args()

    import bm25s
    import numpy as np
    import Stemmer

    corpus = read_jsonl(args.corpus)
    queries = read_jsonl(args.queries)
    qrels = read_qrels(args.qrels)

    doc_ids = [str(d["_id"]) for d in corpus]
    texts = [(d.get("title") or "") + " " + (d.get("text") or "") for d in corpus]
    judged_qids = {q for q, j in qrels.items() if any(r > 0 for r in j.values())}
    queries = [q for q in queries if str(q["_id"]) in judged_qids]
    qids = [str(q["_id"]) for q in queries]
    qtexts = [q["text"] for q in queries]
    missing = judged_qids.difference(qids)

    stemmer = Stemmer.Stemmer("english")
    t0 = time.perf_counter()
    corpus_tokens = bm25s.tokenize(
        texts, stopwords="en", stemmer=stemmer, show_progress=False
    )
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    index_seconds = time.perf_counter() - t0

    def query_phase():
        q_tokens = bm25s.tokenize(
            qtexts, stopwords="en", stemmer=stemmer, show_progress=False
        )
        return retriever.retrieve(
            q_tokens, k=args.depth, n_threads=1, show_progress=False
        )

    query_phase()  # warm-up, untimed
    timings = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        docs, scores = query_phase()
        timings.append(time.perf_counter() - t0)
    median_s = statistics.median(timings)
    qps = len(qids) / median_s

    run = {}
    for qi, qid in enumerate(qids):
        pairs = [
            (doc_ids[int(i)], float(s)) for i, s in zip(docs[qi], scores[qi])
        ]
        run[qid] = trec_order(pairs)

    # Average over every judged query, including any the query file lacks (0).
    ndcg10, rec100 = [], []
    for qid in sorted(judged_qids):
        ranked = [d for d, _ in run.get(qid, [])]
        ndcg10.append(ndcg_at(ranked, qrels[qid], 10))
        rec100.append(recall_at(ranked, qrels[qid], 100))
    n = len(judged_qids)

    summary = {
        "system": "bm25s",
        "bm25s_version": getattr(bm25s, "__version__", "unknown"),
        "numpy_version": np.__version__,
        "method": retriever.method,
        "k1": retriever.k1,
        "b": retriever.b,
        "corpus": os.path.abspath(args.corpus),
        "queries_file": os.path.abspath(args.queries),
        "qrels": os.path.abspath(args.qrels),
        "docs": len(doc_ids),
        "queries": n,
        "judged_queries_missing_from_query_file": len(missing),
        "depth": args.depth,
        "ndcg_at_10": sum(ndcg10) / n if n else 0.0,
        "recall_at_100": sum(rec100) / n if n else 0.0,
        "qps": qps,
        "query_phase_seconds_median": median_s,
        "query_phase_seconds_all": timings,
        "index_seconds": index_seconds,
        "threads": 1,
    }

    if args.run:
        with open(args.run, "w", encoding="utf-8") as f:
            for qid in qids:
                for rank, (did, s) in enumerate(run[qid], 1):
                    # 9 significant digits: the exact float32 score, so no
                    # ties appear that the metrics above did not see.
                    f.write(f"{qid} Q0 {did} {rank} {s:.9g} bm25s\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")

    print(f"bm25s docs:            {summary['docs']}")
    print(f"bm25s queries:         {n}")
    print(f"bm25s nDCG@10:         {summary['ndcg_at_10']:.4f}")
    print(f"bm25s Recall@100:      {summary['recall_at_100']:.4f}")
    print(
        f"bm25s QPS (1 thread):  {qps:.1f}  "
        f"(median of {args.reps}: {median_s * 1000:.1f} ms for {n} queries)"
    )


if __name__ == "__main__":
    main()
