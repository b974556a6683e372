"""Benchmark: the whole `--auto --sandbox` flow for N nodes: wall time per stage and API calls per poll.

    .venv/bin/python benchmarks/sandbox_flow.py 2 8

Prints figures; asserts nothing (targets are judged by people, not by a flaky timed test).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(nodes: int) -> dict[str, object]:
    runs = Path(tempfile.mkdtemp(prefix="bench-runs-"))
    started = time.monotonic()
    proc = subprocess.run(
        [
            str(ROOT / ".venv/bin/nixl-console"),
            "--auto",
            "--sandbox",
            "--runs-dir",
            str(runs),
            "-c",
            f"nodeCount={nodes}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    report = json.loads(next(runs.glob("*/*/report.json")).read_text())
    match = re.search(r"streamed \d+ nodes in (\d+) polls with (\d+) API calls \(([\d.]+) per poll", proc.stdout)
    polls, calls, per_poll = (int(match.group(1)), int(match.group(2)), float(match.group(3))) if match else (0, 0, 0.0)
    return {
        "nodes": nodes,
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "stages": {s["name"]: s["seconds"] for s in report["stages"]},
        "polls": polls,
        "api_calls": calls,
        # Final GetCommandInvocation reads (one per node, once) are not part of a poll.
        "calls_per_poll": round((calls - nodes) / max(polls, 1), 2),
        "calls_per_poll_incl_final_reads": per_poll,
    }


def main(argv: list[str]) -> int:
    counts = [int(a) for a in argv] or [2, 8]
    header = ("nodes", 5), ("exit", 4), ("wall s", 7), ("synth", 6), ("deploy", 6), ("run", 6), ("polls", 5)
    print(" ".join(f"{name:>{width}}" for name, width in header) + f" {'calls':>5} {'per poll':>8}")
    for n in counts:
        r = run(n)
        st = r["stages"]
        print(
            f"{r['nodes']:>5} {r['exit']:>4} {r['wall_s']:>7} {st.get('synth', 0):>6.1f} {st.get('deploy', 0):>6.1f} "
            f"{st.get('run', 0):>6.1f} {r['polls']:>5} {r['api_calls']:>5} {r['calls_per_poll']:>8}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
