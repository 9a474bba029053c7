"""How long a ``badgeservice`` command takes before it does anything, against the Python
interpreter starting in the same run.

Run: ``python -m benchmarks.startup [--runs N]``

Times ``badgeservice --help`` and ``badgeservice clients create`` (on a fresh SQLite
database with the example organisation, in a temporary folder), each as a new process, the
median of N runs, interleaved with the baseline ``python -c pass``. Wall time and the
process's CPU time (user + system) are shown: on a busy machine the wall time includes
waiting for a core, the CPU time does not. Compare the ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()
    command = [sys.executable, "-m", "badgeservice"]
    cases = {
        "baseline: python -c pass": [sys.executable, "-c", "pass"],
        "badgeservice --help": [*command, "--help"],
        "badgeservice clients create": [
            *command,
            *("clients", "create", "--organisation", "esimerkkiopisto", "--scopes", "hr:read"),
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(ROOT / "issuers", work / "issuers")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BADGESERVICE_")}
        env["BADGESERVICE_SECRET_KEY"] = "startup benchmark"
        for setup in (["db", "upgrade"], ["issuers", "load"]):
            subprocess.run([*command, *setup], cwd=work, env=env, check=True, capture_output=True)
        walls: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(options.runs):
            for name, args in cases.items():
                wall, cpu = _timed(args, work, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    base = statistics.median(walls["baseline: python -c pass"])
    print(f"{'command':32} {'wall p50 s':>10} {'cpu p50 s':>10} {'x baseline':>10}")
    for name in cases:
        wall = statistics.median(walls[name])
        print(f"{name:32} {wall:10.3f} {statistics.median(cpus[name]):10.3f} {wall / base:10.1f}")


if __name__ == "__main__":
    main()
