#!/usr/bin/env bash
# SciFact (BEIR) training split: the bm25s baseline, and citeseek against it.
#
#   benches/scifact_vs_bm25s.sh [SCIFACT_DIR]
#
# SCIFACT_DIR (default: $SCIFACT, else ../shared/bench/scifact relative to the
# repo root) must hold corpus.jsonl, queries-train.jsonl and qrels/train.tsv.
# Only training data is used here: tune on it, never on a test split.
#
# Steps:
#   1. a throw-away virtualenv with bm25s, PyStemmer and numpy (from PyPI);
#   2. benches/bm25s_scifact.py: nDCG@10, Recall@100 (trec_eval definitions)
#      and single-threaded query-phase QPS (median of several repetitions);
#   3. `citeseek eval` on the same files (release binary; skipped with a message
#      if it is missing), query phase timed the same way;
#   4. a JSON summary in target/bench/scifact_vs_bm25s.json.
#
# Environment: SCIFACT, REPS (timed repetitions, default 5), PYTHON (default
# python3), CITESEEK (binary, default $CARGO_TARGET_DIR or target, /release/citeseek).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DATA="${1:-${SCIFACT:-../shared/bench/scifact}}"
CORPUS="$DATA/corpus.jsonl"
QUERIES="$DATA/queries-train.jsonl"
QRELS="$DATA/qrels/train.tsv"
REPS="${REPS:-5}"
PYTHON="${PYTHON:-python3}"
OUT_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/bench"
SUMMARY="$OUT_DIR/scifact_vs_bm25s.json"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CITESEEK="${CITESEEK:-$TARGET_DIR/release/citeseek}"

for f in "$CORPUS" "$QUERIES" "$QRELS"; do
    if [[ ! -f "$f" ]]; then
        echo "error: $f not found (pass the SciFact directory as an argument or set SCIFACT)" >&2
        exit 2
    fi
done
mkdir -p "$OUT_DIR"

# Single-threaded measurement: keep numpy's BLAS pools to one thread too.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

VENV="$(mktemp -d "${TMPDIR:-/tmp}/citeseek-bm25s.XXXXXX")"
trap 'rm -rf "$VENV"' EXIT
echo "== virtualenv in $VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check bm25s PyStemmer numpy

echo "== bm25s on $DATA (training split)"
"$VENV/bin/python" "$ROOT/benches/bm25s_scifact.py" \
    --corpus "$CORPUS" --queries "$QUERIES" --qrels "$QRELS" \
    --reps "$REPS" --json "$OUT_DIR/bm25s_scifact.json" --run "$OUT_DIR/bm25s_scifact.run"

# ---------------------------------------------------------------------------
# citeseek: `citeseek eval --corpus C --queries Q --qrels R --json` prints one
# JSON object with "queries", "ndcg@10", "recall@10", "recall@100", "mrr@10",
# "qps" (single-threaded query phase, indexing excluded, like bm25s; median of
# --repeat runs, the same REPS as bm25s) and "index_seconds".
# Build it first with `cargo build --release` (this script does not build).
# ---------------------------------------------------------------------------
CITESEEK_JSON=""
if [[ -x "$CITESEEK" ]] && "$CITESEEK" eval --help >/dev/null 2>&1; then
    echo "== citeseek ($CITESEEK)"
    CITESEEK_JSON="$OUT_DIR/citeseek_scifact.json"
    "$CITESEEK" eval --corpus "$CORPUS" --queries "$QUERIES" --qrels "$QRELS" \
        --repeat "$REPS" --run "$OUT_DIR/citeseek_scifact.run" --json >"$CITESEEK_JSON"
else
    echo "== citeseek: skipped ('$CITESEEK eval --help' failed: binary missing or no eval subcommand yet)"
fi

# Merge the two into the summary and print the comparison.
"$VENV/bin/python" - "$OUT_DIR/bm25s_scifact.json" "$CITESEEK_JSON" "$SUMMARY" <<'PY'
import json, sys

bm25s_path, citeseek_path, summary_path = sys.argv[1:4]
with open(bm25s_path) as f:
    bm = json.load(f)
summary = {"dataset": "scifact", "split": "train", "bm25s": bm,
           "citeseek": None, "qps_ratio_citeseek_over_bm25s": None}
if citeseek_path:
    with open(citeseek_path) as f:
        cs = json.load(f)
    summary["citeseek"] = cs
    print(f"citeseek nDCG@10:      {cs['ndcg@10']:.4f}  (bm25s {bm['ndcg_at_10']:.4f})")
    print(f"citeseek Recall@10:    {cs['recall@10']:.4f}")
    print(f"citeseek Recall@100:   {cs['recall@100']:.4f}  (bm25s {bm['recall_at_100']:.4f})")
    print(f"citeseek MRR@10:       {cs['mrr@10']:.4f}")
    print(f"citeseek QPS:          {cs['qps']:.1f}  (bm25s {bm['qps']:.1f})")
    ratio = cs["qps"] / bm["qps"]
    summary["qps_ratio_citeseek_over_bm25s"] = ratio
    print(f"QPS ratio citeseek/bm25s: {ratio:.2f}")
with open(summary_path, "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")
print(f"summary: {summary_path}")
PY
