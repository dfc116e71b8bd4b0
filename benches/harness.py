#!/usr/bin/env python3
"""Timing helpers shared by citeseek's benchmark scripts: alternating whole-process runs,
medians, and JSON summaries. Standard library only."""
import json
import os
import statistics
import subprocess
import time


def run_once(cmd, env=None, cwd=None):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    elapsed = time.perf_counter() - start
    if p.returncode not in (0, 1):
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(map(str, cmd))}")
    return elapsed


def alternate(commands, runs, warmup=3, before_each=None):
    """Run each command `runs` times, alternating A B A B …; returns {name: [seconds…]}."""
    for name, cmd in commands.items():
        for _ in range(warmup):
            if before_each:
                before_each(name)
            run_once(cmd)
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            if before_each:
                before_each(name)
            times[name].append(run_once(cmd))
    return times


def summarize(times):
    return {
        name: {
            "median_ms": statistics.median(xs) * 1000,
            "min_ms": min(xs) * 1000,
            "p90_ms": sorted(xs)[int(len(xs) * 0.9) - 1] * 1000 if len(xs) >= 10 else max(xs) * 1000,
            "runs": len(xs),
        }
        for name, xs in times.items()
    }


def write_summary(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = dict(data)
    data["machine"] = machine()
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
    print(f"summary: {path}")


def machine():
    info = {"cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as f:
            info["mem_kb"] = int(f.readline().split()[1])
    except OSError:
        pass
    return info
