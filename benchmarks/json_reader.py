"""The cost of the one JSON body reader (depth limit, surrogates, NUL, finite numbers)
against plain ``json.loads`` of the same bytes, measured in the same run.

Run: ``python -m benchmarks.json_reader [--repeat N]``

Bodies: a completion event (~0.4 KB), an xAPI batch of 1,000 statements (~330 KB) and a
1 MiB string-heavy document (the request size limit). Prints, per body, the median time
of each reader and the ratio reader / json.loads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from badgeservice.api import parse_json

EVENT = {
    "id": "evt-1",
    "time": "2026-11-20T10:00:00+00:00",
    "source": {"connection": "moodle"},
    "person": {"employeeNumber": "E1001"},
    "activity": {"id": "course:100", "name": "Digital content"},
    "result": {"completion": True, "success": True, "score": {"scaled": 0.9}},
}


def _statement(n: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"account": {"homePage": "https://lms.example.org", "name": str(n)}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en": "done"}},
        "object": {"id": f"https://lms.example.org/course/{n % 50}"},
        "result": {"completion": True, "score": {"scaled": 0.75}},
        "timestamp": "2026-11-20T10:00:00+00:00",
    }


def bodies() -> dict[str, bytes]:
    return {
        "completion event": json.dumps(EVENT).encode(),
        "xAPI batch of 1,000": json.dumps([_statement(n) for n in range(1000)]).encode(),
        "1 MiB of text": json.dumps({"text": ["ä ✓ " * 64] * 2000}).encode()[: 1024 * 1024],
    }


def median_seconds(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print("| body | bytes | json.loads ms | parse_json ms | ratio |")
    print("|---|---|---|---|---|")
    for name, raw in bodies().items():
        if name.startswith("1 MiB"):
            raw = raw[: raw.rfind(b",")] + b"]}"  # keep it valid JSON after the cut
        plain = median_seconds(lambda: json.loads(raw), args.repeat)  # noqa: B023 - run now
        reader = median_seconds(lambda: parse_json(raw), args.repeat)  # noqa: B023
        print(
            f"| {name} | {len(raw):,} | {plain * 1000:.3f} | {reader * 1000:.3f} "
            f"| {reader / plain:.2f} |"
        )


if __name__ == "__main__":
    main()
