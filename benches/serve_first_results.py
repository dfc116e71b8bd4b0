#!/usr/bin/env python3
"""First results in Chromium: time from the last keystroke to the frame showing the results.

Starts `citeseek serve` (release build) on a copy of the bundled corpus and chromedriver,
types each query into the search box of a headless Chromium over WebDriver (the standard
library only), and reads what the page measured itself: `performance.now()` from the last
`input` event to the animation frame after the results were put in the page (the 150 ms
debounce included). Prints median, p90 and max over the runs and writes
target/bench/serve_first_results.json.

    cargo build --release
    python3 benches/serve_first_results.py [--runs 40]
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUERIES = ["heat vs ice", "back spasm relief", "magnesium cramps", "electrolytes",
           "stretch hamstring", "disc herniation", "sleep posture", "massage therapy"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1200,900"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["value"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/citeseek"))
    args = ap.parse_args()
    chromium = next((p for p in ["/usr/lib/chromium/chromium", shutil.which("chromium")]
                     if p and os.path.exists(p)), None)
    driver_bin = shutil.which("chromedriver")
    if not chromium or not driver_bin:
        sys.exit("needs chromium and chromedriver: apt-get install chromium chromium-driver")
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} is missing: run cargo build --release")

    work = tempfile.mkdtemp(prefix="citeseek-latency-")
    shutil.copytree(os.path.join(ROOT, "corpus"), os.path.join(work, "corpus"))
    server = subprocess.Popen([args.bin, "serve", "--addr", "127.0.0.1:0",
                               "--corpus", os.path.join(work, "corpus"),
                               "--index", os.path.join(work, "index")],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    port = free_port()
    driver = subprocess.Popen([driver_bin, f"--port={port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    session = None
    wd = f"http://127.0.0.1:{port}"
    try:
        base = None
        for line in server.stderr:
            if " on http://" in line:
                base = line.split(" on ", 1)[1].split()[0].rstrip("/")
                break
        if not base:
            sys.exit("the server did not start")
        for _ in range(100):
            try:
                call("GET", wd + "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": FLAGS + [f"--user-data-dir={os.path.join(work, 'profile')}"]}}}}
        session = call("POST", wd + "/session", caps)["sessionId"]
        s = f"{wd}/session/{session}"
        js = lambda script: call("POST", s + "/execute/sync", {"script": script, "args": []})
        call("POST", s + "/url", {"url": base + "/"})
        el = list(call("POST", s + "/element",
                       {"using": "css selector", "value": "#q"}).values())[0]
        times = []
        for i in range(args.runs + 2):
            q = QUERIES[i % len(QUERIES)]
            js("const q = document.querySelector('#q'); q.value = '';"
               "delete document.body.dataset.firstResultsMs; return true;")
            call("POST", f"{s}/element/{el}/value", {"text": q})
            deadline = time.time() + 10
            ms = None
            while time.time() < deadline:
                ms = js("return document.body.dataset.firstResultsMs || null;")
                if ms:
                    break
                time.sleep(0.02)
            if not ms:
                sys.exit(f"no results for {q!r}")
            if i >= 2:  # the first two warm the page and the server
                times.append(float(ms))
        times.sort()
        p90 = times[min(len(times) - 1, round(0.9 * (len(times) - 1)))]
        summary = {"runs": len(times), "median_ms": statistics.median(times), "p90_ms": p90,
                   "max_ms": times[-1], "min_ms": times[0], "debounce_ms": 150}
        print(f"first results after the last keystroke ({len(times)} runs, 150 ms debounce "
              f"included): median {summary['median_ms']:.1f} ms, p90 {p90:.1f} ms, "
              f"max {times[-1]:.1f} ms")
        out = os.path.join(ROOT, "target/bench")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "serve_first_results.json"), "w") as f:
            json.dump(summary, f, indent=1)
    finally:
        if session:
            try:
                call("DELETE", f"{wd}/session/{session}")
            except OSError:
                pass
        driver.kill()
        server.kill()
        driver.wait()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
