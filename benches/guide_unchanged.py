#!/usr/bin/env python3
"""Does a build still answer on the bundled guide exactly, byte for byte, as another did?

  benches/guide_unchanged.py --old OLD_BINARY [--new target/release/citeseek] [--corpus corpus]

Builds an index of the corpus with each binary (in temporary directories; the corpus is only
read), runs the same commands with both and compares each command's standard output as bytes,
with its exit status:
- `search --json --limit 20` and `cite --json` for every query of tests/fixtures/guide-queries.jsonl
  (the public checks), and both in human form;
- the README's examples of search, cite, refs and audit, as JSON and as printed;
- `refs --json`, `refs ID --json` and `refs ID` for every reference, an unknown id;
- `refs --format bibtex|csl-json|ris`, for all references and for each one;
- `audit` and `audit --json`.
Prints each difference and exits 1 when there is one. The index's own files are not compared
(their timestamps differ); the answers built from them are.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The README's examples (and a few close to them) that are answered from the index.
README_COMMANDS = [
    ["search", "heat vs ice"],
    ["search", "heat vs ice", "--json", "--limit", "1"],
    ["search", "heat", "--limit", "0", "--json"],
    ["search", "mattress"],
    ["search", "heat"],
    ["search", "menthl cream", "--json"],
    ["search", "MRI", "--json"],
    ["search", "how long should I ice my back", "--json"],
    ["search", "chiropractic adjustment", "--json"],
    ["search", "\"muscle spasm\" -stress", "--json"],
    ["search", "cold compress", "--kind", "reference", "--json"],
    ["cite", "which study says electrolytes prevent cramps", "-n", "1"],
    ["cite", "which study says electrolytes prevent cramps", "-n", "1", "--json"],
    ["cite", "vitamin C cures the common cold"],
    ["cite", "vitamin C cures the common cold", "--json"],
    ["cite", "cold reduces swelling and inflammation", "--json", "-n", "1"],
    ["cite", "36% of 50-year-olds had a disc herniation", "--json"],
    ["cite", "around 80% of Americans experience back pain", "--json", "--style", "vancouver"],
    ["refs"],
    ["refs", "--json"],
    ["refs", "nosuch2020"],
    ["refs", "nosuch2020", "--json"],
    ["refs", "--format", "bibtex"],
    ["refs", "--format", "csl-json"],
    ["refs", "--format", "ris"],
    ["refs", "--format", "bibtex", "lau2019", "clevelandclinic2022"],
    ["audit"],
    ["audit", "--json"],
]


def answers(binary, corpus, index):
    def run(*args):
        out = subprocess.run([binary, "--corpus", corpus, "--index", index, "--color", "never",
                              *args, "--no-refresh"], capture_output=True)
        return {"exit": out.returncode, "stdout": out.stdout.decode("utf-8", "replace")}

    subprocess.run([binary, "--corpus", corpus, "--index", index, "ingest", "--full"],
                   check=True, capture_output=True)
    got = {}
    with open(os.path.join(ROOT, "tests/fixtures/guide-queries.jsonl")) as f:
        for line in f:
            if line.strip():
                q = json.loads(line)["q"]
                got[f"search {q} --json"] = run("search", q, "--json", "--limit", "20")
                got[f"search {q}"] = run("search", q)
                got[f"cite {q} --json"] = run("cite", q, "--json")
                got[f"cite {q}"] = run("cite", q)
    for args in README_COMMANDS:
        got[" ".join(args)] = run(*args)
    ids = [r["id"] for r in json.loads(got["refs --json"]["stdout"]).get("references", [])]
    for i in ids:
        got[f"refs {i} --json"] = run("refs", i, "--json")
        got[f"refs {i}"] = run("refs", i)
        for fmt in ("bibtex", "csl-json", "ris"):
            got[f"refs --format {fmt} {i}"] = run("refs", "--format", fmt, i)
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
    as_json = sum(1 for k in old if "--json" in k)
    print(f"compared {len(old)} answers byte for byte ({as_json} JSON, "
          f"{len(old) - as_json} printed or exported)")
    for k in diffs:
        print(f"DIFFERENT: {k}")
        print(f"  old: {json.dumps(old.get(k))[:600]}")
        print(f"  new: {json.dumps(new.get(k))[:600]}")
    print("identical" if not diffs else f"{len(diffs)} answers differ")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
