"""Benchmark: the whole `--auto --sandbox` flow for N nodes: end-to-end time, AWS API calls per poll and per
minute, and the console's CPU and memory while every node streams.

    .venv/bin/python benchmarks/sandbox_flow.py 2 8 16

Prints figures; asserts nothing (targets are judged by people, not by a flaky timed test).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def run(nodes: int) -> dict[str, object]:
    """One sandbox run; the console's CPU and memory are sampled while the nodes stream (the sandbox,
    emulator and simulated nodes run in their own processes and are not counted)."""
    runs = Path(tempfile.mkdtemp(prefix="bench-runs-"))
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/nixl-console"), "--auto", "--sandbox", "--runs-dir", str(runs),
         "-c", f"nodeCount={nodes}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    stream: dict[str, float] = {}
    rss_peak = 0.0
    sampling = threading.Event()

    def sample() -> None:
        nonlocal rss_peak
        while not sampling.wait(0.2):
            if "t0" in stream:
                rss_peak = max(rss_peak, _rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = []
    for line in proc.stdout:
        out.append(line)
        if "SSM command" in line and "sent to" in line:
            stream["t0"], stream["cpu0"] = time.monotonic(), _cpu_seconds(proc.pid)
        elif line.startswith("info: streamed"):
            stream["t1"], stream["cpu1"] = time.monotonic(), _cpu_seconds(proc.pid)
    proc.wait()
    sampling.set()
    wall = time.monotonic() - started
    text = "".join(out)
    report = json.loads(next(runs.glob("*/*/report.json")).read_text())
    match = re.search(r"streamed \d+ nodes in (\d+) polls with (\d+) API calls", text)
    polls, calls = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    streaming = stream.get("t1", 0) - stream.get("t0", 0)
    return {
        "nodes": nodes,
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "stages": {s["name"]: s["seconds"] for s in report["stages"]},
        "polls": polls,
        "api_calls": calls,
        # Final GetCommandInvocation reads (one per node, once) are not part of a poll.
        "calls_per_poll": round((calls - nodes) / max(polls, 1), 2),
        "calls_per_minute": round(calls / streaming * 60, 1) if streaming else 0.0,
        "cpu_percent": round((stream.get("cpu1", 0) - stream.get("cpu0", 0)) / streaming * 100, 1) if streaming else 0,
        "rss_peak_mb": round(rss_peak, 1),
        "lines": sum(len(p.read_text().splitlines()) for p in next(runs.glob("*/*")).glob("node*.log")),
    }


def main(argv: list[str]) -> int:
    counts = [int(a) for a in argv] or [2, 8, 16]
    print(
        f"{'nodes':>5} {'exit':>4} {'e2e s':>6} {'run s':>6} {'lines':>6} {'polls':>5} {'calls':>5} "
        f"{'per poll':>8} {'per min':>7} {'CPU %':>6} {'RSS MB':>7}"
    )
    for n in counts:
        r = run(n)
        st = r["stages"]
        print(
            f"{r['nodes']:>5} {r['exit']:>4} {r['wall_s']:>6} {st.get('run', 0):>6.1f} {r['lines']:>6} {r['polls']:>5} "
            f"{r['api_calls']:>5} {r['calls_per_poll']:>8} {r['calls_per_minute']:>7} {r['cpu_percent']:>6} "
            f"{r['rss_peak_mb']:>7}",
            flush=True,
        )
    print("per poll: FilterLogEvents + ListCommandInvocations (+ a stack check every 30 polls), whatever the count;")
    print("CPU % and RSS: the console process while the nodes stream (the sandbox runs in its own process).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
