"""The supervisor's team page (a team of 200) and HR's competence reserve pages, on the
reserve benchmark's generated organisation, against a page with no query of its own in
the same run.

Run: ``python -m benchmarks.team_pages [--people N] [--teams N] [--credentials N]
[--repetitions N] [--postgres-url URL] [--database-name NAME] [--keep | --reuse]
[--json FILE]``

PostgreSQL. The organisation, its people, teams, paths and credentials are generated as
:mod:`benchmarks.reserve` does (by default 100,000 people in 500 teams of 200 with
2,000,000 credentials) and the worker's upkeep of the stored reserve numbers runs once.
Signed in through page sessions — the supervisor of one team, and a person with the HR
role — each page is timed through the real Flask application (routing, the session, the
queries, the template): the team page, its live poll (a changed member's answer, and the
304 of an unchanged one), the HR heat map (its first page of 24 teams) with the gap and
trends, and who holds a competence. The baseline is the signed-in settings page (the same
stack with no query of its own), timed once before every timed request so each ratio
compares moments of the same load. Targets: team page p95 ≤ 100 ms, heat map p95 ≤ 200 ms;
the live poll's time plus the page's poll interval (1 s) bounds how soon a completion
shows (target 2 s).
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
from datetime import UTC, datetime, timedelta
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


def prepare(app: Any) -> dict[str, str]:
    """A supervisor's and an HR person's page sessions, the supervised team (with the most
    members) and a competence of a target."""
    from badgeservice.access.models import RoleGrant
    from badgeservice.access.sessions import start_session
    from badgeservice.db import database, session_scope
    from badgeservice.hr.reserve.targets import maintain_reserve
    from badgeservice.people.models import Person

    engine = app.extensions["badgeservice.db"].engine
    with engine.connect() as connection:
        team, supervisor = connection.execute(
            text(
                "SELECT s.team_id, s.person_id FROM team_members s "
                "JOIN people p ON p.id = s.person_id "
                "WHERE s.role = 'supervisor' AND p.active ORDER BY "
                "(SELECT count(*) FROM team_members m WHERE m.team_id = s.team_id) DESC, "
                "s.team_id LIMIT 1"
            )
        ).one()
        hr = connection.execute(
            text("SELECT id FROM people WHERE active AND id <> :s ORDER BY id LIMIT 1"),
            {"s": supervisor},
        ).scalar_one()
        competence = connection.execute(
            text(
                "SELECT f.slug || ':' || c.code FROM path_targets t "
                "JOIN competences c ON c.id = t.competence_id "
                "JOIN frameworks f ON f.id = c.framework_id ORDER BY t.position LIMIT 1"
            )
        ).scalar_one()
    with app.test_request_context(), session_scope(database()) as session:
        supervising = session.get(Person, supervisor)
        hr_person = session.get(Person, hr)
        assert supervising is not None
        assert hr_person is not None
        if not session.query(RoleGrant).filter_by(person_id=hr, role="hr").count():
            session.add(
                RoleGrant(organisation_id=hr_person.organisation_id, person_id=hr, role="hr")
            )
        maintain_reserve(session, hr_person.organisation_id)  # the worker's upkeep
        return {
            "team": str(team),
            "supervisor": str(supervisor),
            "supervisor_session": str(start_session(session, supervising, "benchmark").id),
            "hr_session": str(start_session(session, hr_person, "benchmark").id),
            "competence": competence,
        }


def _client(app: Any, session_id: str) -> Any:
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["sid"] = session_id
    return client


def run_pages(app: Any, prepared: dict[str, str], repetitions: int) -> list[Result]:
    supervisor = _client(app, prepared["supervisor_session"])
    hr = _client(app, prepared["hr_session"])
    headers = {"Accept": "text/html", "Accept-Language": "fi"}
    team = f"/o/{SLUG}/teams/{prepared['team']}"
    tune_gc()

    def get(client: Any, path: str, status: int = 200, **extra: str) -> Any:
        answer = client.get(path, headers={**headers, **extra})
        if answer.status_code != status:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.data[:300]!r}")
        return answer

    def settings(rng: random.Random) -> None:
        get(supervisor, f"/o/{SLUG}/settings")

    rows = get(supervisor, team).get_data(as_text=True).count('class="member')
    if rows < 150:
        raise RuntimeError(f"the team page shows {rows} members, expected about 200")
    # One member's record changed just now: each poll since a moment ago answers their row.
    engine = app.extensions["badgeservice.db"].engine
    with engine.begin() as connection:
        # The generator stamps many recognitions "now": as the organisation stands a while
        # later, when only what just happened is new.
        connection.execute(
            text(
                "UPDATE recognitions SET updated_at = updated_at - interval '1 hour' "
                "WHERE updated_at > now() - interval '1 hour'"
            )
        )
        connection.execute(
            text(
                "UPDATE people SET updated_at = now() WHERE id = (SELECT m.person_id FROM "
                "team_members m JOIN people p ON p.id = m.person_id WHERE m.team_id = :team "
                "AND m.role = 'member' AND p.active AND p.id <> :supervisor "
                "ORDER BY m.person_id LIMIT 1)"
            ),
            {"team": prepared["team"], "supervisor": prepared["supervisor"]},
        )
    recent = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    poll = f"{team}/live?since={recent.replace('+', '%2B')}"
    answer = get(supervisor, poll)
    if len(answer.get_json()["rows"]) != 1:
        raise RuntimeError(f"the poll answered {len(answer.get_json()['rows'])} rows, not 1")
    etag = answer.headers["ETag"]
    holders = f"/o/{SLUG}/hr/holders?competence={prepared['competence']}&level=3"
    results = [
        measure("baseline: my settings", repetitions, settings),
        measure(
            "team page (200)", repetitions, lambda rng: get(supervisor, team) and None, settings
        ),
        measure(
            "live poll, changed",
            repetitions,
            lambda rng: get(supervisor, poll) and None,
            settings,
        ),
        measure(
            "live poll, 304",
            repetitions,
            lambda rng: get(supervisor, poll, 304, **{"If-None-Match": etag}) and None,
            settings,
        ),
        measure(
            "HR heat map",
            repetitions,
            lambda rng: get(hr, f"/o/{SLUG}/hr/reserve") and None,
            settings,
        ),
        measure("HR who holds", repetitions, lambda rng: get(hr, holders) and None, settings),
    ]
    for result in results:
        base = result.base_p50_ms or results[0].p50_ms
        result.ratio_p50 = round(result.p50_ms / base, 1) if base else None
        result.rows = None
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--credentials", type=int, default=2_000_000)
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BADGESERVICE_TEST_DATABASE_URL") or DEFAULT_POSTGRES,
    )
    parser.add_argument("--database-name", default=DEFAULT_NAME + "_team")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a kept database again")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.postgres_url.startswith("postgresql"):
        parser.error("the team pages benchmark runs on PostgreSQL")
    with tempfile.TemporaryDirectory(prefix="badgeservice-bench-team-") as tmp:
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
            results = run_pages(app, prepare(app), args.repetitions)
        finally:
            app.extensions["badgeservice.db"].engine.dispose()
            if not args.keep and not args.reuse:
                drop_database(args.postgres_url, args.database_name)
    _report(args, results)
    return 0


def _report(args: argparse.Namespace, results: list[Result]) -> None:
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{args.people} people in {args.teams} teams, {args.credentials} credentials"
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
            "benchmark": "team_pages",
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "people": args.people,
            "teams": args.teams,
            "credentials": args.credentials,
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(body, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
