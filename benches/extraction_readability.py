#!/usr/bin/env python3
"""Main-content extraction on Mozilla Readability's test pages: citeseek against trafilatura.

  benches/extraction_readability.py [--data DIR] [--bin NAME=PATH ...] [--text NAME=CMD ...]
                                    [--no-trafilatura] [--json FILE]

DIR (default ../shared/bench/readability beside the repository) holds one folder per page with
`source.html` (the page) and `expected.html` (the article Readability.js extracts). The pages
are read from there at run time and never copied into the repository.

Each `--bin NAME=PATH` is a citeseek binary, run as `PATH extract source.html --json`; the
text it keeps is the `text` of its `blocks` (headings, paragraphs, lists, figure alt text: what
ingest indexes). Default: `citeseek=target/release/citeseek`. Each `--text NAME=CMD` is any
command that prints a page's article text for `CMD source.html` (e.g. the `readability_text`
example, dom_smoothie on its own). trafilatura 2.3.1 (from PyPI, installed into a throw-away
virtualenv) runs on the same pages in the same run, with `include_comments=False`
(comments are not the article) and its other defaults.

Scores, against the text of `expected.html`: precision, recall and F1 of the article's words
(lower-cased `\\w+` tokens, as multisets) and of its 4-token shingles (overlapping runs of four
words, as multisets). Both averages are printed: micro (overlaps and sizes summed over all
pages, so long pages weigh more) and macro (the mean of each page's P, R and F1). Pages whose
expected article has fewer than 4 words are skipped.
"""
import argparse
import collections
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORD = re.compile(r"\w+", re.UNICODE)
TRAFILATURA = "trafilatura==2.3.1"


class TextOf(html.parser.HTMLParser):
    """The text of an HTML fragment, without scripts and styles."""

    SKIP = {"script", "style", "noscript", "template"}
    BLOCK = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
             "br", "section", "article", "blockquote", "pre", "figcaption", "dt", "dd", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        if tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        if tag in self.BLOCK:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(path):
    p = TextOf()
    with open(path, encoding="utf-8", errors="replace") as f:
        p.feed(f.read())
    return "".join(p.parts)


def words(text):
    return WORD.findall(text.lower())


def shingles(ws, n=4):
    return [tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)]


def prf(got, want):
    """(overlap, |got|, |want|) of two token multisets."""
    g, w = collections.Counter(got), collections.Counter(want)
    return sum((g & w).values()), sum(g.values()), sum(w.values())


def f1(p, r):
    return 2 * p * r / (p + r) if p + r else 0.0


def summarize(per_page):
    """per_page: list of (overlap, got, want). Micro and macro P/R/F1."""
    o = sum(x[0] for x in per_page)
    g = sum(x[1] for x in per_page)
    w = sum(x[2] for x in per_page)
    micro_p, micro_r = (o / g if g else 0.0), (o / w if w else 0.0)
    ps = [x[0] / x[1] if x[1] else 0.0 for x in per_page]
    rs = [x[0] / x[2] if x[2] else 0.0 for x in per_page]
    fs = [f1(p, r) for p, r in zip(ps, rs)]
    n = len(per_page) or 1
    return {
        "micro": {"p": micro_p, "r": micro_r, "f1": f1(micro_p, micro_r)},
        "macro": {"p": sum(ps) / n, "r": sum(rs) / n, "f1": sum(fs) / n},
    }


def citeseek_text(binary, source):
    out = subprocess.run([binary, "extract", source, "--json"], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.stderr.write(f"{binary} extract {source}: exit {out.returncode}: {out.stderr}\n")
        return ""
    doc = json.loads(out.stdout)
    return "\n".join(b["text"] for b in doc["blocks"])


def command_text(cmd, source):
    out = subprocess.run(cmd.split() + [source], capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(f"{cmd} {source}: exit {out.returncode}: {out.stderr[:300]}\n")
    return out.stdout


TRAFILATURA_RUNNER = r"""
import json, sys, trafilatura
pages = json.load(open(sys.argv[1]))
out = {}
for name, path in pages:
    with open(path, encoding="utf-8", errors="replace") as f:
        src = f.read()
    out[name] = trafilatura.extract(src, include_comments=False) or ""
json.dump(out, open(sys.argv[2], "w"))
"""


def trafilatura_texts(pages, work):
    venv = os.path.join(work, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin/pip"), "install", "--quiet", "--disable-pip-version-check",
                    TRAFILATURA, "lxml_html_clean"], check=True)
    listing = os.path.join(work, "pages.json")
    result = os.path.join(work, "trafilatura.json")
    runner = os.path.join(work, "run_trafilatura.py")
    with open(listing, "w") as f:
        json.dump([(n, s) for n, s, _ in pages], f)
    with open(runner, "w") as f:
        f.write(TRAFILATURA_RUNNER)
    subprocess.run([os.path.join(venv, "bin/python"), runner, listing, result], check=True)
    with open(result) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "bench", "readability"))
    ap.add_argument("--bin", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--text", action="append", default=[], metavar="NAME=CMD")
    ap.add_argument("--no-trafilatura", action="store_true")
    ap.add_argument("--json", default=os.path.join(ROOT, "target/bench/extraction_readability.json"))
    ap.add_argument("--pages", action="store_true", help="print each page's shingle P/R per extractor")
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        raise SystemExit(f"error: {args.data} is not a directory (pass --data DIR with the Readability test pages)")
    bins = args.bin or [f"citeseek={os.path.join(ROOT, 'target/release/citeseek')}"]

    pages = []
    for name in sorted(os.listdir(args.data)):
        source = os.path.join(args.data, name, "source.html")
        expected = os.path.join(args.data, name, "expected.html")
        if not (os.path.isfile(source) and os.path.isfile(expected)):
            continue
        want = words(html_text(expected))
        if len(want) < 4:
            continue
        pages.append((name, source, want))

    extractors = {}
    for spec in bins:
        label, _, path = spec.partition("=")
        extractors[label] = lambda src, path=path: citeseek_text(path, src)
    for spec in args.text:
        label, _, cmd = spec.partition("=")
        extractors[label] = lambda src, cmd=cmd: command_text(cmd, src)
    texts = {label: {n: fn(s) for n, s, _ in pages} for label, fn in extractors.items()}
    with tempfile.TemporaryDirectory(prefix="citeseek-extract-bench-") as work:
        if not args.no_trafilatura:
            texts[TRAFILATURA.replace("==", " ")] = trafilatura_texts(pages, work)

    results = {}
    for label, by_page in texts.items():
        w_rows, s_rows = [], []
        for name, _, want in pages:
            got = words(by_page.get(name, ""))
            w_rows.append(prf(got, want))
            s_rows.append(prf(shingles(got), shingles(want)))
        results[label] = {"words": summarize(w_rows), "shingles": summarize(s_rows),
                          "pages": {n: {"shingles": r} for (n, _, _), r in zip(pages, s_rows)}}

    print(f"pages: {len(pages)} (from {args.data})")
    head = f"{'extractor':<22} {'avg':<6} {'word P':>7} {'word R':>7} {'word F1':>7}   {'sh. P':>6} {'sh. R':>6} {'sh. F1':>6}"
    print(head)
    for label, r in results.items():
        for avg in ("micro", "macro"):
            w, s = r["words"][avg], r["shingles"][avg]
            print(f"{label:<22} {avg:<6} {w['p']:7.3f} {w['r']:7.3f} {w['f1']:7.3f}   "
                  f"{s['p']:6.3f} {s['r']:6.3f} {s['f1']:6.3f}")
    if args.pages:
        for name, _, _ in pages:
            cells = []
            for label, r in results.items():
                o, g, w = r["pages"][name]["shingles"]
                cells.append(f"{label}: P {o / g if g else 0:.2f} R {o / w if w else 0:.2f}")
            print(f"  {name:<40} " + " | ".join(cells))
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"data": os.path.abspath(args.data), "pages": len(pages),
                   "results": {k: {"words": v["words"], "shingles": v["shingles"]} for k, v in results.items()}},
                  f, indent=2)
        f.write("\n")
    print(f"summary: {args.json}")


if __name__ == "__main__":
    main()
