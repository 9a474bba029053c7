"""The learner's pages of a person with many badges, on the reserve benchmark's generated
organisation, against a page with no query of its own in the same run.

Run: ``python -m benchmarks.learner_pages [--people N] [--teams N] [--credentials N]
[--badges N] [--repetitions N] [--postgres-url URL] [--database-name NAME]
[--keep | --reuse] [--json FILE]``

PostgreSQL. The organisation, its people, teams, paths and credentials are generated as
:mod:`benchmarks.reserve` does (by default 100,000 people with 2,000,000 credentials), then
one person gets ``--badges`` (200) credentials of their own. Signed in as that person (a
page session made through the service), each page is timed through the real Flask
application (routing, the session, the queries, the template): "my path", "my badges", one
badge of theirs, and as the baseline their settings page (the same stack — session,
organisation, template — with no query of its own), timed once before every timed request
so each ratio compares moments of the same load. Target: p95 ≤ 100 ms
for "my path" and "my badges". Compare the ratios; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from badgeservice.runtime import tune_gc
from benchmarks.reserve import (
    DEFAULT_NAME,
    DEFAULT_POSTGRES,
    SLUG,
    Result,
    generate,
    make_app,
    measure,
    setup_organisation,
)
from tests.scratch import create_database, drop_database

# The person's own badges: copies of generated credentials (their achievements vary), each
# its own occurrence and status index.
GIVE_BADGES = """
INSERT INTO credentials (id, organisation_id, issuer_id, person_id, achievement_version_id,
                         path_id, occurrence, status_list_id, status_index, document,
                         issued_at, awarded_by)
SELECT gen_random_uuid(), c.organisation_id, c.issuer_id, :person, c.achievement_version_id,
       c.path_id, 'learner-bench-' || n, c.status_list_id, 2100000000 + n, c.document,
       now() - (n || ' hours')::interval, 'learner-bench'
FROM generate_series(1, :badges) AS n
JOIN credentials c ON c.id = md5('c' || (n * 7919 % :total))::uuid
"""


def prepare_person(app: Any, badges: int) -> tuple[str, str]:
    """The person (the first generated one, with a team) given ``badges`` credentials, and
    a page session of theirs; their id and the session id."""
    from badgeservice.access.sessions import start_session
    from badgeservice.db import database, session_scope
    from badgeservice.people.models import Person

    engine = app.extensions["badgeservice.db"].engine
    with engine.begin() as connection:
        person = connection.execute(
            text(
                "SELECT p.id FROM people p JOIN team_members m ON m.person_id = p.id "
                "WHERE p.active ORDER BY p.id LIMIT 1"
            )
        ).scalar_one()
        total = connection.execute(text("SELECT count(*) FROM credentials")).scalar_one()
        connection.execute(
            text(
                "DELETE FROM credentials WHERE person_id = :person AND awarded_by = 'learner-bench'"
            ),
            {"person": person},
        )
        connection.execute(
            text(GIVE_BADGES), {"person": person, "badges": badges, "total": max(1, total)}
        )
    with app.test_request_context(), session_scope(database()) as session:
        found = session.get(Person, person)
        assert found is not None
        row = start_session(session, found, "benchmark")
        return str(person), str(row.id)


def run_pages(app: Any, session_id: str, person: str, repetitions: int) -> list[Result]:
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["sid"] = session_id
    engine = app.extensions["badgeservice.db"].engine
    with engine.connect() as connection:
        badge_ids = [
            str(row[0])
            for row in connection.execute(
                text("SELECT id FROM credentials WHERE person_id = :p"), {"p": person}
            )
        ]
    tune_gc()
    headers = {"Accept": "text/html", "Accept-Language": "fi"}

    def get(path: str) -> int:
        answer = client.get(path, headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.data[:300]!r}")
        return len(answer.data)

    def settings(rng: random.Random) -> None:
        get(f"/o/{SLUG}/settings")

    results = [
        measure("baseline: my settings", repetitions, lambda rng: get(f"/o/{SLUG}/settings")),
        measure("my path", repetitions, lambda rng: get(f"/o/{SLUG}/path"), settings),
        measure("my badges", repetitions, lambda rng: get(f"/o/{SLUG}/badges"), settings),
        measure(
            "one badge of mine",
            repetitions,
            lambda rng: get(f"/o/{SLUG}/badges/{rng.choice(badge_ids)}"),
            settings,
        ),
    ]
    for result in results:
        base = result.base_p50_ms or results[0].p50_ms
        result.ratio_p50 = round(result.p50_ms / base, 1) if base else None
        result.rows = None  # page sizes are not rows
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--credentials", type=int, default=2_000_000)
    parser.add_argument("--badges", type=int, default=200, help="the person's own (200)")
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BADGESERVICE_TEST_DATABASE_URL") or DEFAULT_POSTGRES,
    )
    parser.add_argument("--database-name", default=DEFAULT_NAME + "_learner")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a kept database again")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.postgres_url.startswith("postgresql"):
        parser.error("the learner pages benchmark runs on PostgreSQL")
    if not 1 <= args.badges <= 10_000:
        parser.error("--badges: 1 to 10000")
    with tempfile.TemporaryDirectory(prefix="badgeservice-bench-learner-") as tmp:
        if args.reuse:
            url = make_url(args.postgres_url).set(database=args.database_name)
            app = make_app(url.render_as_string(hide_password=False), Path(tmp))
        else:
            url_text = create_database(args.postgres_url, args.database_name, replace=True)
            app = make_app(url_text, Path(tmp))
            began = time.perf_counter()
            setup_organisation(app)
            generate(
                app.extensions["badgeservice.db"].engine, args.people, args.teams, args.credentials
            )
            print(f"generated in {time.perf_counter() - began:.1f} s")
        try:
            person, session_id = prepare_person(app, args.badges)
            results = run_pages(app, session_id, person, args.repetitions)
        finally:
            app.extensions["badgeservice.db"].engine.dispose()
            if not args.keep and not args.reuse:
                drop_database(args.postgres_url, args.database_name)
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{args.people} people, {args.credentials} credentials; the person has {args.badges}"
    )
    header = f"{'page':24} {'reps':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'x base':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.workload:24} {r.repetitions:5d} {r.p50_ms:8.1f} {r.p95_ms:8.1f} "
            f"{r.p99_ms:8.1f} {r.ratio_p50 or 0:7.1f}"
        )
    if args.json:
        body = {
            "benchmark": "learner_pages",
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "people": args.people,
            "credentials": args.credentials,
            "badges": args.badges,
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(body, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
