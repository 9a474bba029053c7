"""Server time of the public badge page (drawn with a verification run on the spot)
against the same URL's JSON and the API's verification of the same credential, measured
in the same run.

Run: ``python -m benchmarks.public_page [--runs N]``

In process (Flask's test client, no network), on a temporary SQLite database with the
example organisation and one shared credential. Prints the median and p95 of each and
their ratios to the JSON answer: the page's cost is the verification's (canonicalising the
credential and checking its proof and status), plus drawing it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.scratch import migrate

ROOT = Path(__file__).resolve().parent.parent
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


def _setup(folder: Path) -> tuple[Any, str, dict[str, Any]]:
    from badgeservice.app import create_app
    from badgeservice.db import database, session_scope
    from badgeservice.definitions.loader import load_definitions
    from badgeservice.organisations.services import create_client, organisation_by_slug

    shutil.copytree(ROOT / "issuers", folder / "issuers")
    app = create_app(
        {
            "DATABASE_URL": migrate(f"sqlite:///{folder / 'bench.sqlite3'}"),
            "PUBLIC_URL": "http://127.0.0.1:5000",
            "SECRET_KEY": "benchmark secret",
            "INSTANCE_PATH": str(folder / "instance"),
            "VERIFY_RATE_LIMIT": "1000000/minute",
        }
    )
    with app.test_request_context(), session_scope(database()) as session:
        list(load_definitions(session, folder / "issuers", app))
        org = organisation_by_slug(session, "esimerkkiopisto")
        token = create_client(
            session,
            org,
            name="bench",
            scopes=["admin"],
            keystore=app.extensions["badgeservice.keystore"],
        ).token
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post(
        "/api/v1/awards",
        headers=headers,
        json={"achievement": "data-protection", "person": "E1003"},
    ).get_json()
    client.put(
        f"/api/v1/credentials/{made['id']}/sharing",
        headers=headers,
        json={"visibility": "public", "showName": True},
    )
    return client, f"/credentials/{made['id']}", made["credential"]


def _times(call: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        client, path, document = _setup(Path(tmp))

        def json_answer() -> None:
            assert client.get(path, headers={"Accept": "application/ld+json"}).status_code == 200

        def page() -> None:
            assert client.get(path, headers={"Accept": HTML}).status_code == 200

        def api_verify() -> None:
            assert client.post("/api/v1/verify", json=document).status_code == 200

        cases = {
            "credential JSON (baseline)": json_answer,
            "badge page": page,
            "POST /api/v1/verify": api_verify,
        }
        for call in cases.values():  # warm up: templates, contexts, caches
            _times(call, 3)
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs // 10 or 1):  # interleaved, so load hits all alike
            for name, call in cases.items():
                results[name] += _times(call, 10)
        base = statistics.median(results["credential JSON (baseline)"])
        print(f"{'case':30} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}")
        for name, values in results.items():
            median = statistics.median(values)
            print(
                f"{name:30} {median * 1000:10.1f} {_p95(values) * 1000:8.1f} {median / base:11.1f}"
            )


if __name__ == "__main__":
    main()
