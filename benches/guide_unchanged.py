#!/usr/bin/env python3
"""Does a build still index the bundled guide exactly as another did?

  benches/guide_unchanged.py --old OLD_BINARY [--new target/release/citeseek] [--corpus corpus]

Builds an index of the corpus with each binary (in temporary directories; the corpus is only
read) and compares, as JSON, what they answer: `search --json --limit 20` for every query in
tests/fixtures/guide-queries.jsonl (passages, sections, lines, scores, citations), `refs --json`,
`refs ID --json` for every reference and `audit --json`. Prints the differences and exits 1
when there are any.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def answers(binary, corpus, index):
    def run(*args):
        out = subprocess.run([binary, "--corpus", corpus, "--index", index, *args],
                             capture_output=True, text=True)
        try:
            return json.loads(out.stdout)
        except json.JSONDecodeError:
            return {"exit": out.returncode, "stdout": out.stdout, "stderr": out.stderr}

    subprocess.run([binary, "--corpus", corpus, "--index", index, "ingest", "--full"],
                   check=True, capture_output=True)
    got = {}
    with open(os.path.join(ROOT, "tests/fixtures/guide-queries.jsonl")) as f:
        for line in f:
            if line.strip():
                q = json.loads(line)["q"]
                got[f"search {q}"] = run("search", q, "--json", "--limit", "20", "--no-refresh")
    refs = run("refs", "--json", "--no-refresh")
    got["refs"] = refs
    for r in refs.get("references", []):
        got[f"refs {r['id']}"] = run("refs", r["id"], "--json", "--no-refresh")
    got["audit"] = run("audit", "--json", "--no-refresh")
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", default=os.path.join(ROOT, "target/release/citeseek"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "corpus"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="citeseek-guide-") as work:
        old = answers(args.old, args.corpus, os.path.join(work, "old"))
        new = answers(args.new, args.corpus, os.path.join(work, "new"))
    diffs = [k for k in old if old[k] != new.get(k)] + [k for k in new if k not in old]
    searches = sum(1 for k in old if k.startswith("search "))
    print(f"compared {len(old)} answers ({searches} searches, refs, {len(old) - searches - 2} refs ID, audit)")
    for k in diffs:
        print(f"DIFFERENT: {k}")
        print(f"  old: {json.dumps(old.get(k))[:600]}")
        print(f"  new: {json.dumps(new.get(k))[:600]}")
    print("identical" if not diffs else f"{len(diffs)} answers differ")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
