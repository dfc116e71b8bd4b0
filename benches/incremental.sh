#!/usr/bin/env bash
# Full rebuild vs incremental update on a generated corpus of 10,000 guide pages.
#
#   benches/incremental.sh [PAGES]
#
# Steps:
#   1. `cargo build --release` (uses $CARGO_TARGET_DIR, else target/);
#   2. generate PAGES (default 10000) Markdown guide pages deterministically (fixed seed;
#      SECTIONS sections of PARAGRAPHS paragraphs of three sentences, default 6 and 3),
#      from sentences of SciFact's corpus.jsonl when present ($SCIFACT, else
#      ../shared/bench/scifact), else from a built-in word list;
#   3. time `citeseek ingest --full` (FULL_REPS times, default 1), then REPS (default 5)
#      rounds of: edit one page, time `citeseek ingest` (incremental); also time a no-op
#      `ingest` ("index up to date") and a `search` that checks freshness;
#   4. one line per figure, and a JSON summary in target/bench/incremental.json.
# Wall-clock times of the whole command (process start included), median of the rounds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PAGES="${1:-10000}"
REPS="${REPS:-5}"
FULL_REPS="${FULL_REPS:-1}"
SCIFACT="${SCIFACT:-../shared/bench/scifact}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT_DIR="$ROOT/target/bench"
WORK="$TARGET/bench/incremental"
mkdir -p "$OUT_DIR" "$WORK"

cargo build --release --quiet
BIN="$TARGET/release/citeseek"

python3 - "$BIN" "$WORK" "$PAGES" "$REPS" "$FULL_REPS" "$SCIFACT/corpus.jsonl" "$OUT_DIR/incremental.json" <<'PY'
import json, os, random, shutil, statistics, subprocess, sys, time

binary, work, pages, reps, full_reps, scifact, out = sys.argv[1:8]
pages, reps, full_reps = int(pages), int(reps), int(full_reps)
sections, paragraphs = int(os.environ.get("SECTIONS", "6")), int(os.environ.get("PARAGRAPHS", "3"))
corpus, index = os.path.join(work, "corpus"), os.path.join(work, "index")
rng = random.Random(20260101)

sentences, source = [], "built-in word list"
if os.path.isfile(scifact):
    with open(scifact, encoding="utf-8") as f:
        for line in f:
            text = json.loads(line).get("text", "")
            sentences.extend(s.strip() + "." for s in text.split(". ") if len(s.split()) >= 5)
            if len(sentences) >= 60000:
                break
    source = scifact
if not sentences:
    words = ("muscle spasm stretch heat ice posture lumbar spine nerve inflammation massage "
             "therapy exercise rest pain relief disc hamstring core yoga walking sleep").split()
    sentences = [" ".join(rng.choice(words) for _ in range(12)).capitalize() + "." for _ in range(5000)]

def page(n):
    out = [f"# Guide page {n}\n"]
    for s in range(sections):
        out.append(f"## Section {s} of page {n}\n")
        for _ in range(paragraphs):
            out.append(" ".join(rng.choice(sentences) for _ in range(3)) + "\n")
    return "\n".join(out)

shutil.rmtree(work, ignore_errors=True)
os.makedirs(os.path.join(corpus, "guide"))
with open(os.path.join(corpus, "references.json"), "w") as f:
    f.write("[]")
for n in range(pages):
    with open(os.path.join(corpus, "guide", f"page-{n:05}.md"), "w", encoding="utf-8") as f:
        f.write(page(n))

def run(*args):
    start = time.perf_counter()
    p = subprocess.run([binary, "--corpus", corpus, "--index", index, *args],
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode not in (0, 1):
        sys.exit(f"citeseek {' '.join(args)} failed: {p.stderr}")
    return elapsed, p

full = []
for _ in range(full_reps):
    t, p = run("ingest", "--full", "--json")
    full.append(t)
passages = json.loads(p.stdout)["passages"]

incr, reextracted = [], []
for r in range(reps):
    path = os.path.join(corpus, "guide", f"page-{rng.randrange(pages):05}.md")
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"\nEdited paragraph {r}: {rng.choice(sentences)}\n")
    t, p = run("ingest", "--json")
    summary = json.loads(p.stdout)
    assert summary["mode"] == "incremental", summary
    incr.append(t)
    reextracted.append(summary["reextracted"])

noop = [run("ingest", "--json")[0] for _ in range(reps)]
search = [run("search", "muscle", "pain", "-n", "5")[0] for _ in range(reps)]

full_s, incr_s = statistics.median(full), statistics.median(incr)
result = {
    "pages": pages,
    "sections_per_page": sections,
    "paragraphs_per_section": paragraphs,
    "passages": passages,
    "sentences_from": source,
    "full_rebuild_s": round(full_s, 3),
    "incremental_one_page_s": round(incr_s, 4),
    "incremental_runs_s": [round(t, 4) for t in incr],
    "files_reextracted_per_update": reextracted,
    "up_to_date_check_s": round(statistics.median(noop), 4),
    "search_with_freshness_check_s": round(statistics.median(search), 4),
    "ratio_incremental_to_full": round(incr_s / full_s, 4),
}
print(f"pages:                          {pages} ({sections} sections x {paragraphs} paragraphs; {passages} passages)")
print(f"full rebuild:                   {full_s:.3f} s")
print(f"incremental (1 page edited):    {incr_s*1000:.1f} ms (median of {reps})")
print(f"no-op ingest (up to date):      {result['up_to_date_check_s']*1000:.1f} ms")
print(f"search incl. freshness check:   {result['search_with_freshness_check_s']*1000:.1f} ms")
print(f"ratio incremental/full:         {result['ratio_incremental_to_full']*100:.2f} %")
with open(out, "w") as f:
    json.dump(result, f, indent=2)
print(f"summary: {out}")
PY
