#!/usr/bin/env python3
"""Deterministic corpus generators for citeseek's benchmarks (fixed seeds, no network).

  gen_corpus.py site  SCIFACT_DIR OUT_DIR            one HTML page per SciFact abstract (5,183 pages)
  gen_corpus.py scale SCIFACT_DIR OUT_DIR [--pages N] guide pages built from SciFact sentences,
                                                      with headings and links to generated references

Both write a citeseek corpus: OUT_DIR/guide/*.html (+ OUT_DIR/references.json for `scale`).
The pages carry realistic page chrome (header, nav, footer, cookie banner, scripts).
"""
import argparse
import html
import json
import os
import random
import re

CHROME_TOP = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – Example Health</title>
<link rel="canonical" href="https://health.example/{path}">
<style>body{{font-family:Georgia,serif;max-width:46em;margin:auto}}</style>
<script>window.dataLayer=window.dataLayer||[];</script></head>
<body><header class="site-header"><a href="/">Example Health</a>
<nav><ul><li><a href="/shop">Shop</a></li><li><a href="/blog">Blog</a></li><li><a href="/contact">Contact</a></li></ul></nav></header>
<main><article>
"""
CHROME_BOTTOM = """</article></main>
<aside class="newsletter"><h2>Join our newsletter</h2><p>Tips on muscle and nerve pain every week.</p></aside>
<footer><p>© Example Health.</p><div class="cookie">This website uses cookies.</div></footer>
<script src="/assets/theme.js" defer></script></body></html>
"""

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def read_corpus(scifact):
    with open(os.path.join(scifact, "corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def paragraphs(text, rng, per=3):
    sents = [s for s in SENTENCE.split(text) if s.strip()]
    out, cur = [], []
    for s in sents:
        cur.append(s)
        if len(cur) >= per and rng.random() < 0.6:
            out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


def site(args):
    rng = random.Random(20261129)
    guide = os.path.join(args.out, "guide")
    os.makedirs(guide, exist_ok=True)
    n = 0
    for doc in read_corpus(args.scifact):
        title = html.escape(doc.get("title") or doc["_id"])
        body = [f"<h1>{title}</h1>"]
        for p in paragraphs(doc.get("text", ""), rng):
            body.append(f"<p>{html.escape(p)}</p>")
        page = CHROME_TOP.format(title=title, path=f"abstracts/{doc['_id']}") + "\n".join(body) + "\n" + CHROME_BOTTOM
        with open(os.path.join(guide, f"{doc['_id']}.html"), "w", encoding="utf-8") as f:
            f.write(page)
        n += 1
    print(f"wrote {n} pages to {guide}")


def scale(args):
    rng = random.Random(42)
    docs = list(read_corpus(args.scifact))
    sentences = []
    for d in docs:
        sentences.extend(s for s in SENTENCE.split(d.get("text", "")) if len(s.split()) >= 5)
    titles = [d["title"] for d in docs if d.get("title")]
    n_refs = max(10, args.pages // 20)
    refs = []
    for i in range(n_refs):
        t = titles[i % len(titles)]
        refs.append({
            "id": f"ref{i}",
            "type": "article-journal",
            "title": t,
            "author": [{"family": f"Author{i}", "given": "A."}],
            "container-title": "Journal of Generated Results",
            "issued": {"date-parts": [[2000 + i % 25]]},
            "DOI": f"10.5555/gen.{i}",
        })
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "references.json"), "w", encoding="utf-8") as f:
        json.dump(refs, f, indent=1)
    total_bytes = 0
    for page in range(args.pages):
        sub = os.path.join(args.out, "guide", f"{page // 1000:03d}")
        os.makedirs(sub, exist_ok=True)
        title = html.escape(titles[page % len(titles)])
        body = [f"<h1>{title}</h1>"]
        for s in range(args.sections):
            body.append(f"<h2 id=\"s{s}\">{html.escape(rng.choice(titles))}</h2>")
            for _ in range(args.paragraphs):
                k = rng.randint(2, 4)
                text = " ".join(html.escape(rng.choice(sentences)) for _ in range(k))
                if rng.random() < 0.3:
                    r = rng.randrange(n_refs)
                    text += f' <a href="https://doi.org/10.5555/gen.{r}">study {r}</a>.'
                body.append(f"<p>{text}</p>")
        content = CHROME_TOP.format(title=title, path=f"guides/{page}") + "\n".join(body) + "\n" + CHROME_BOTTOM
        with open(os.path.join(sub, f"page{page:06d}.html"), "w", encoding="utf-8") as f:
            f.write(content)
        total_bytes += len(content.encode("utf-8"))
    print(f"wrote {args.pages} pages ({total_bytes / 1e6:.1f} MB of HTML) and {n_refs} references to {args.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("site")
    a.add_argument("scifact")
    a.add_argument("out")
    b = sub.add_parser("scale")
    b.add_argument("scifact")
    b.add_argument("out")
    b.add_argument("--pages", type=int, default=100_000)
    b.add_argument("--sections", type=int, default=3)
    b.add_argument("--paragraphs", type=int, default=3)
    args = ap.parse_args()
    {"site": site, "scale": scale}[args.mode](args)


if __name__ == "__main__":
    main()
