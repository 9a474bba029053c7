"""Competence reserve queries on a large generated organisation, against a trivial indexed
lookup in the same run.

Run: ``python -m benchmarks.reserve [--people N] [--teams N] [--credentials N]
[--repetitions N] [--postgres-url URL] [--database-name NAME] [--keep | --reuse]
[--json FILE]``

PostgreSQL only. A fresh database (default ``badgeservice_bench_reserve``, dropped
afterwards unless ``--keep``; ``--reuse`` times a kept one again without regenerating) is
migrated, then filled with set-based SQL (``INSERT … SELECT generate_series``): one
organisation with DigComp 2.2 installed, ``--people`` people (2 % inactive) in ``--teams``
teams with a supervisor each, one achievement per (competence, level), an organisation path
with 8 targets (2 of them for one team) and a path with 2 targets per team, and
``--credentials`` credentials spread over the last two years (every person about the same
number, distinct achievements; 10 % with a one-year validity, 1 % revoked) with their
recognitions and holdings, as the issuing code would have recorded them. Credential
documents are a small placeholder JSON: signing two million credentials would take hours
and is not what is measured here.

Each query type is then timed through the real Flask application (test client: routing,
authentication, the queries, serialisation), ``--repetitions`` times with varying
parameters: the organisation reserve, a team's reserve, a page of holders, a team's
holders as CSV, the supervisor overview of a team, and (fewer times, it is an export) the
CSV of every holder of a competence. The baseline is ``GET /api/v1/people/<id>``, one
person by primary key through the same stack, timed once before every timed request so
each query's ratio compares moments of the same load (the machine may be shared).
Absolute numbers depend on the machine; compare the ratios. Target: p95 ≤ 100 ms for
every interactive query.

Nothing is cached in the process: every request reads the database. The organisation
reserve's completed trend points and holder counts (in slices of people) are kept in
tables by the worker's upkeep (see :mod:`badgeservice.hr.reserve.trends` and
:mod:`badgeservice.hr.reserve.holder_counts`); a read writes nothing: it checks the
competence events since the upkeep's last round and counts again, without storing, only
what they touched. So the organisation reserve is timed as it runs in a busy organisation,
with the upkeep run (untimed) once before the first request and after each change's
request, as the worker does every few seconds: "after a recognition" records a new
recognition (credential, recognition, holding and competence event, as the issuing code
would) before each request, "after a deactivation" deactivates a random person first (and
reactivates them after). "stores emptied" empties the stored points and counts before each
request: the cost of a read before the upkeep's first round (everything counted directly).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from badgeservice.runtime import tune_gc
from tests.scratch import create_database, drop_database

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_NAME = "badgeservice_bench_reserve"
SLUG = "bench"
LEVELS = 8


@dataclass
class Result:
    workload: str
    repetitions: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    rows: int | None = None
    base_p50_ms: float | None = None  # the baseline, measured between this query's runs
    ratio_p50: float | None = None


# -- the database --------------------------------------------------------------------------


def make_app(url: str, instance: Path) -> Any:
    from badgeservice.app import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "PUBLIC_URL": "https://badges.example.org",
            "SECRET_KEY": "benchmark secret, not for production",
            "INSTANCE_PATH": str(instance),
        }
    )


def setup_organisation(app: Any) -> str:
    """The organisation, its issuer and status list, DigComp 2.2 and one achievement per
    (competence, level), through the services; an admin token."""
    from badgeservice.achievements.models import Achievement, AchievementVersion
    from badgeservice.db import database, session_scope
    from badgeservice.frameworks.services import install_known_framework
    from badgeservice.issuers.models import Issuer, StatusList
    from badgeservice.organisations.services import create_client, upsert_organisation

    with app.test_request_context(), session_scope(database()) as session:
        organisation = upsert_organisation(session, slug=SLUG, name="Bench Oy")
        issuer = Issuer(organisation_id=organisation.id, slug="academy", name="Bench Academy")
        session.add(issuer)
        session.flush()
        session.add(StatusList(issuer_id=issuer.id, number=1, length=131072, bits=b"\0" * 16384))
        framework, _ = install_known_framework(session, organisation.id, "digcomp22", in_use=())
        competences = [c for c in framework.competences if c.kind == "competence"]
        for competence in competences:
            for level in range(1, LEVELS + 1):
                slug = f"c{competence.code.replace('.', '-')}-l{level}"
                achievement = Achievement(
                    organisation_id=organisation.id, issuer_id=issuer.id, slug=slug
                )
                achievement.versions.append(
                    AchievementVersion(
                        version=1,
                        name=f"{competence.code} level {level}",
                        description=f"{competence.name}, level {level}.",
                        alignments=[{"competence": str(competence.id), "level": level}],
                        content_hash="0" * 64,
                    )
                )
                session.add(achievement)
        keystore = app.extensions["badgeservice.keystore"]
        issued = create_client(
            session, organisation, name="bench", scopes=["admin"], keystore=keystore
        )
        return issued.token


GENERATE = [
    # (competence, level) → achievement version, numbered 0.. in a fixed order
    """
    CREATE TABLE bench_achievements AS
    SELECT (row_number() OVER (ORDER BY c.position, (v.alignments->0->>'level')::int) - 1)::int
             AS a,
           v.id AS version_id, a.id AS achievement_id, c.id AS competence_id,
           (v.alignments->0->>'level')::int AS level
    FROM achievement_versions v
    JOIN achievements a ON a.id = v.achievement_id
    JOIN competences c ON c.id = (v.alignments->0->>'competence')::uuid
    WHERE a.organisation_id = :org
    """,
    "CREATE UNIQUE INDEX ON bench_achievements (a)",
    """
    INSERT INTO people (id, organisation_id, employee_number, email, given_name, family_name,
                        active, created_at, updated_at)
    SELECT md5('p' || n)::uuid, :org, 'E' || lpad(n::text, 7, '0'),
           'person' || n || '@bench.example.org', 'Given' || n,
           'Family' || lpad(((n * 7919) % :people)::text, 7, '0'),
           n % 50 <> 0, now() - interval '3 years', now() - interval '1 day'
    FROM generate_series(1, :people) AS n
    """,
    """
    INSERT INTO teams (id, organisation_id, slug, name, created_at, updated_at)
    SELECT md5('t' || k)::uuid, :org, 'team-' || k, 'Team ' || k, now(), now()
    FROM generate_series(0, :teams - 1) AS k
    """,
    """
    INSERT INTO team_members (id, team_id, person_id, role)
    SELECT md5('m' || n)::uuid, md5('t' || (n % :teams))::uuid, md5('p' || n)::uuid, 'member'
    FROM generate_series(1, :people) AS n
    UNION ALL
    SELECT md5('s' || n)::uuid, md5('t' || (n % :teams))::uuid, md5('p' || n)::uuid,
           'supervisor'
    FROM generate_series(1, :teams) AS n
    """,
    # the organisation path: 8 targets (the last two for teams 1 and 2) and 5 sub-goals
    """
    INSERT INTO paths (id, organisation_id, slug, kind, name, created_at)
    VALUES (md5('path-org')::uuid, :org, 'strategy', 'organisation', 'Strategy', now())
    """,
    """
    INSERT INTO path_targets (id, path_id, competence_id, level, share, due, team_id, position)
    SELECT md5('target-org-' || k)::uuid, md5('path-org')::uuid, b.competence_id, b.level,
           0.5 + k * 0.05, date '2027-12-31',
           CASE WHEN k >= 6 THEN md5('t' || (k - 5))::uuid END, k
    FROM generate_series(0, 7) AS k
    JOIN bench_achievements b ON b.a = (k * 2 * 8) + 2 + k % 3
    """,
    """
    INSERT INTO paths (id, organisation_id, slug, kind, name, team_id, created_at)
    SELECT md5('path-t' || k)::uuid, :org, 'team-path-' || k, 'team', 'Team path ' || k,
           md5('t' || k)::uuid, now()
    FROM generate_series(0, :teams - 1) AS k
    """,
    """
    INSERT INTO path_targets (id, path_id, competence_id, level, share, due, team_id, position)
    SELECT md5('target-t' || k || '-' || j)::uuid, md5('path-t' || k)::uuid, b.competence_id,
           b.level, 0.6, date '2027-06-30', NULL, j
    FROM generate_series(0, :teams - 1) AS k
    CROSS JOIN generate_series(0, 1) AS j
    JOIN bench_achievements b
      ON b.a = ((k * 2 + j) * 8 + 3) % (SELECT count(*) FROM bench_achievements)
    """,
    """
    INSERT INTO sub_goals (id, organisation_id, path_id, slug, name, achievement_id,
                           competence_id, level, position, required)
    SELECT md5('goal-org-' || k)::uuid, :org, md5('path-org')::uuid, 'goal-' || k,
           'Goal ' || k, b.achievement_id, b.competence_id, b.level, k, true
    FROM generate_series(0, 4) AS k
    JOIN bench_achievements b ON b.a = k * 9
    """,
    """
    INSERT INTO sub_goals (id, organisation_id, path_id, slug, name, achievement_id,
                           competence_id, level, position, required)
    SELECT md5('goal-t' || k || '-' || j)::uuid, :org, md5('path-t' || k)::uuid,
           'goal-' || j, 'Goal ' || j, b.achievement_id, b.competence_id, b.level, j, j < 2
    FROM generate_series(0, :teams - 1) AS k
    CROSS JOIN generate_series(0, 2) AS j
    JOIN bench_achievements b
      ON b.a = (k * 3 + j * 5) % (SELECT count(*) FROM bench_achievements)
    """,
    # credentials: person n gets achievements (7n + 13k) mod A for k = 0, 1, ... (distinct
    # while k < A, 13 being prime to A = 21 * 8); issued over the last two years
    "SELECT setseed(0.20261128)",
    """
    INSERT INTO credentials (id, organisation_id, issuer_id, person_id, achievement_version_id,
                             occurrence, status_list_id, status_index, document, issued_at,
                             valid_until, revoked_at, revocation_reason, awarded_by)
    SELECT md5('c' || i)::uuid, :org, :issuer, md5('p' || (i % :people + 1))::uuid,
           b.version_id, 'achieved', :status_list, i, '{"placeholder": true}'::json,
           issued, CASE WHEN i % 10 = 3 THEN issued + interval '365 days' END,
           CASE WHEN i % 100 = 7 THEN issued + interval '30 days' END,
           CASE WHEN i % 100 = 7 THEN 'issued in error' END, 'bench'
    FROM (
        SELECT i, now() - random() * interval '730 days' AS issued
        FROM generate_series(0, :credentials - 1) AS i
    ) AS generated
    JOIN bench_achievements b
      ON b.a = ((i % :people + 1) * 7 + (i / :people) * 13)
               % (SELECT count(*) FROM bench_achievements)
    """,
    """
    INSERT INTO recognitions (id, organisation_id, person_id, credential_id, competence_id,
                              level, status, method, valid_from, valid_until, ended_at,
                              created_at, updated_at)
    SELECT md5('r' || c.status_index)::uuid, c.organisation_id, c.person_id, c.id,
           b.competence_id, b.level,
           CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'
                WHEN c.valid_until <= now() THEN 'expired'
                ELSE 'active' END,
           'system', c.issued_at, c.valid_until,
           CASE WHEN c.revoked_at IS NOT NULL THEN c.revoked_at
                WHEN c.valid_until <= now() THEN c.valid_until END,
           c.issued_at, coalesce(c.revoked_at, least(c.valid_until, now()), c.issued_at)
    FROM credentials c
    JOIN bench_achievements b ON b.version_id = c.achievement_version_id
    WHERE c.organisation_id = :org
    """,
    # holdings as the recognitions code keeps them: the best active level per person and
    # competence (since and validity of that level's earliest recognition: close enough)
    """
    INSERT INTO competence_holdings (id, organisation_id, person_id, competence_id, level,
                                     since, valid_until, updated_at)
    SELECT DISTINCT ON (person_id, competence_id)
           gen_random_uuid(), organisation_id, person_id, competence_id, level, valid_from,
           valid_until, updated_at
    FROM recognitions
    WHERE status = 'active' AND organisation_id = :org
    ORDER BY person_id, competence_id, level DESC, valid_from
    """,
    "DROP TABLE bench_achievements",
]


def generate(engine: Engine, people: int, teams: int, credentials: int) -> dict[str, float]:
    """Fill the organisation set-based; seconds per step."""
    with engine.connect() as connection:
        org, issuer = connection.execute(
            text(
                "SELECT o.id, i.id FROM organisations o JOIN issuers i "
                "ON i.organisation_id = o.id WHERE o.slug = :slug"
            ),
            {"slug": SLUG},
        ).one()
        status_list = connection.execute(
            text("SELECT id FROM status_lists WHERE issuer_id = :issuer"), {"issuer": issuer}
        ).scalar_one()
    params = {
        "org": org,
        "issuer": issuer,
        "status_list": status_list,
        "people": people,
        "teams": teams,
        "credentials": credentials,
    }
    timings: dict[str, float] = {}
    with engine.begin() as connection:
        for statement in GENERATE:
            began = time.perf_counter()
            connection.execute(text(statement), params)
            key = " ".join(statement.split()[:3])
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - began
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        began = time.perf_counter()
        connection.execute(text("VACUUM ANALYZE"))
        timings["VACUUM ANALYZE"] = time.perf_counter() - began
    return timings


# -- timing ----------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(
    name: str,
    repetitions: int,
    request: Callable[[random.Random], int | None],
    baseline: Callable[[random.Random], None] | None = None,
) -> Result:
    """Run ``request`` (which checks its answer and may return a row count) and time it.

    With ``baseline``, each repetition is preceded by one timed baseline request: other
    work on a shared machine comes and goes, so each query is compared with the baseline
    measured at the same moments (``base_p50_ms``, ``ratio_p50``)."""
    rng = random.Random(name)
    request(rng)  # warm-up: caches, compiled statements
    times: list[float] = []
    base: list[float] = []
    rows: list[int] = []
    for _ in range(repetitions):
        if baseline is not None:
            began = time.perf_counter()
            baseline(rng)
            base.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        count = request(rng)
        times.append((time.perf_counter() - began) * 1000)
        if count is not None:
            rows.append(count)
    return Result(
        workload=name,
        repetitions=repetitions,
        p50_ms=round(_percentile(times, 0.50), 2),
        p95_ms=round(_percentile(times, 0.95), 2),
        p99_ms=round(_percentile(times, 0.99), 2),
        mean_ms=round(statistics.fmean(times), 2),
        rows=round(statistics.fmean(rows)) if rows else None,
        base_p50_ms=round(_percentile(base, 0.50), 2) if base else None,
    )


def measure_timed(
    name: str,
    repetitions: int,
    request: Callable[[random.Random], int | None],
    timed: list[float],
    baseline: Callable[[random.Random], None] | None = None,
) -> Result:
    """As :func:`measure`, timing only the request (``request`` appends its own time to
    ``timed``: the change made before it is not counted)."""
    timed.clear()
    result = measure(name, repetitions, request, baseline)
    times = [t * 1000 for t in timed[1:]]  # the first one was the warm-up
    result.p50_ms = round(_percentile(times, 0.50), 2)
    result.p95_ms = round(_percentile(times, 0.95), 2)
    result.p99_ms = round(_percentile(times, 0.99), 2)
    result.mean_ms = round(statistics.fmean(times), 2)
    return result


# A new recognition today (credential, recognition, holding, competence event) for a random
# person, copying the achievement of the ``template``-th credential: what issuing records.
RECOGNISE = """
WITH template AS (
    SELECT c.*, r.competence_id, r.level
    FROM credentials c JOIN recognitions r ON r.credential_id = c.id
    WHERE c.id = md5('c' || :template)::uuid
), person AS (
    SELECT id FROM people WHERE id = :person
), credential AS (
    INSERT INTO credentials (id, organisation_id, issuer_id, person_id, achievement_version_id,
                             occurrence, status_list_id, status_index, document, issued_at,
                             awarded_by)
    SELECT gen_random_uuid(), t.organisation_id, t.issuer_id, p.id, t.achievement_version_id,
           'bench-' || gen_random_uuid(), t.status_list_id,
           1000000000 + (random() * 1000000000)::int, t.document, now(), 'bench'
    FROM template t, person p
    RETURNING id, organisation_id, person_id
), recognition AS (
    INSERT INTO recognitions (id, organisation_id, person_id, credential_id, competence_id,
                              level, status, method, valid_from, created_at, updated_at)
    SELECT gen_random_uuid(), c.organisation_id, c.person_id, c.id, t.competence_id, t.level,
           'active', 'system', now(), now(), now()
    FROM credential c, template t
    RETURNING id, organisation_id, person_id, competence_id, level
), holding AS (
    INSERT INTO competence_holdings (id, organisation_id, person_id, competence_id, level,
                                     since, updated_at)
    SELECT gen_random_uuid(), organisation_id, person_id, competence_id, level, now(), now()
    FROM recognition
    ON CONFLICT (person_id, competence_id) DO UPDATE
    SET level = greatest(competence_holdings.level, excluded.level), updated_at = now()
)
INSERT INTO competence_events (id, organisation_id, person_id, recognition_id, type, payload,
                               created_at, txid)
SELECT gen_random_uuid(), organisation_id, person_id, id, 'competence.recognised', '{}',
       now(), pg_current_xact_id()::text::bigint
FROM recognition
"""
STORES = (
    "reserve_trend_points",
    "reserve_holder_counts",
    "reserve_trend_excluded",
    "reserve_trend_states",
)


def run_queries(app: Any, token: str, repetitions: int, exports: int) -> list[Result]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    engine: Engine = app.extensions["badgeservice.db"].engine
    with engine.connect() as connection:
        people = [str(row[0]) for row in connection.execute(text("SELECT id FROM people"))]
        credentials = int(connection.execute(text("SELECT count(*) FROM credentials")).scalar_one())
        teams = [str(row[0]) for row in connection.execute(text("SELECT id FROM teams"))]
        targets = [
            (str(c), level)
            for c, level in connection.execute(
                text("SELECT competence_id, level FROM path_targets ORDER BY position, id")
            )
        ]

    # As a server worker does once the app is loaded (badgeservice.runtime).
    tune_gc()

    def get(url: str, expect: str = "application/json", **params: Any) -> Any:
        response = client.get(url, query_string=params, headers=headers)
        if response.status_code != 200 or response.mimetype != expect:
            raise RuntimeError(f"{url} {params}: {response.status_code} {response.data[:300]!r}")
        return response

    def person(rng: random.Random) -> None:
        get(f"/api/v1/people/{rng.choice(people)}")

    def organisation_reserve(rng: random.Random) -> int:
        return len(get("/api/v1/hr/reserve").get_json()["targets"])

    def team_reserve(rng: random.Random) -> int:
        return len(get("/api/v1/hr/reserve", team=rng.choice(teams)).get_json()["targets"])

    def upkeep() -> None:
        """The worker's round of upkeep of the stored counts and points."""
        from badgeservice.db import database, session_scope
        from badgeservice.hr.reserve.targets import maintain_reserve
        from badgeservice.organisations.models import Organisation

        with app.app_context(), session_scope(database()) as session:
            for organisation_id in session.scalars(select(Organisation.id)).all():
                maintain_reserve(session, organisation_id)

    def before(
        change: Callable[[random.Random], Callable[[], None] | None],
        request: Callable[[random.Random], int],
        *,
        then_upkeep: bool = True,
    ) -> Callable[[random.Random], int]:
        """``request`` preceded by ``change`` (untimed); ``change`` may return an undo;
        the worker's upkeep follows (untimed) unless ``then_upkeep`` is False."""

        def run(rng: random.Random) -> int:
            undo = change(rng)
            began = time.perf_counter()
            try:
                return request(rng)
            finally:
                timed.append(time.perf_counter() - began)
                if undo is not None:
                    undo()
                if then_upkeep:
                    upkeep()

        return run

    timed: list[float] = []

    def recognise(rng: random.Random) -> None:
        """A new recognition today for a random person, as the issuing code records it."""
        with engine.begin() as connection:
            connection.execute(
                text(RECOGNISE),
                {"template": rng.randrange(credentials), "person": rng.choice(people)},
            )

    def deactivate(rng: random.Random) -> Callable[[], None] | None:
        person = rng.choice(people)
        with engine.begin() as connection:
            changed = connection.execute(
                text(
                    "UPDATE people SET active = false, updated_at = now() "
                    "WHERE id = :id AND active RETURNING id"
                ),
                {"id": person},
            ).first()
        if changed is None:
            return None  # already inactive: nothing to undo

        def undo() -> None:
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE people SET active = true, updated_at = now() WHERE id = :id"),
                    {"id": person},
                )

        return undo

    def empty_stores(rng: random.Random) -> None:
        with engine.begin() as connection:
            for table in STORES:
                connection.execute(text(f"DELETE FROM {table}"))

    def holders_page(rng: random.Random) -> int:
        competence, level = rng.choice(targets)
        body = get("/api/v1/hr/holders", competence=competence, minLevel=level, limit=100)
        return len(body.get_json()["items"])

    def team_csv(rng: random.Random) -> int:
        competence, _ = rng.choice(targets)
        response = get(
            "/api/v1/hr/holders",
            "text/csv",
            competence=competence,
            team=rng.choice(teams),
            format="csv",
        )
        return int(response.get_data(as_text=True).count("\r\n")) - 1

    def overview(rng: random.Random) -> int:
        return len(get(f"/api/v1/teams/{rng.choice(teams)}/overview").get_json()["members"])

    def overview_since(rng: random.Random) -> int:
        body = get(
            f"/api/v1/teams/{rng.choice(teams)}/overview", since="2030-01-01T00:00:00Z"
        ).get_json()
        return len(body["memberIds"])

    def full_csv(rng: random.Random) -> int:
        competence, level = rng.choice(targets[:6])
        response = get(
            "/api/v1/hr/holders",
            "text/csv",
            competence=competence,
            minLevel=level,
            format="csv",
        )
        return int(response.get_data(as_text=True).count("\r\n")) - 1

    upkeep()
    results = [
        measure("baseline: GET person", repetitions, person),
        measure("organisation reserve", repetitions, organisation_reserve, person),
        measure_timed(
            "org reserve, after a recognition",
            repetitions,
            before(recognise, organisation_reserve),
            timed,
            person,
        ),
        measure_timed(
            "org reserve, after a deactivation",
            repetitions,
            before(deactivate, organisation_reserve),
            timed,
            person,
        ),
        measure_timed(
            "org reserve, stores emptied",
            exports,
            before(empty_stores, organisation_reserve, then_upkeep=False),
            timed,
            person,
        ),
        measure_timed(
            "org reserve, after the upkeep's first round",
            exports,
            before(lambda rng: upkeep(), organisation_reserve, then_upkeep=False),
            timed,
            person,
        ),
        measure("team reserve", repetitions, team_reserve, person),
        measure("holders page (100)", repetitions, holders_page, person),
        measure("team holders CSV", repetitions, team_csv, person),
        measure("team overview", repetitions, overview, person),
        measure("team overview, no changes", repetitions, overview_since, person),
        measure("export: all holders CSV", exports, full_csv, person),
    ]
    for result in results:
        base = result.base_p50_ms or results[0].p50_ms
        result.ratio_p50 = round(result.p50_ms / base, 1) if base else None
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--credentials", type=int, default=2_000_000)
    parser.add_argument("--repetitions", type=int, default=100, help="per query type (100)")
    parser.add_argument("--exports", type=int, default=5, help="whole-competence CSV runs (5)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BADGESERVICE_TEST_DATABASE_URL") or DEFAULT_POSTGRES,
        help="server to create the benchmark database on",
    )
    parser.add_argument("--database-name", default=DEFAULT_NAME)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a kept database again")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.postgres_url.startswith("postgresql"):
        parser.error("the reserve benchmark runs on PostgreSQL")
    if args.people < args.teams or args.teams < 3:
        parser.error("give at least 3 teams and at least as many people as teams")
    if args.credentials > args.people * 150:
        parser.error("at most 150 credentials per person (distinct achievements)")

    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="badgeservice-bench-reserve-") as tmp:
        if args.reuse:
            url = (
                make_url(args.postgres_url)
                .set(database=args.database_name)
                .render_as_string(hide_password=False)
            )
            app = make_app(url, Path(tmp))
            with app.app_context():
                token = _new_token(app)
        else:
            url = create_database(args.postgres_url, args.database_name, replace=True)
            app = make_app(url, Path(tmp))
            began = time.perf_counter()
            token = setup_organisation(app)
            engine = app.extensions["badgeservice.db"].engine
            timings = generate(engine, args.people, args.teams, args.credentials)
            timings["total"] = time.perf_counter() - began
        try:
            results = run_queries(app, token, args.repetitions, args.exports)
        finally:
            app.extensions["badgeservice.db"].engine.dispose()
            if not args.keep and not args.reuse:
                drop_database(args.postgres_url, args.database_name)

    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{args.people} people, {args.teams} teams, {args.credentials} credentials"
    )
    if timings:
        print(f"generated in {timings['total']:.1f} s")
    header = (
        f"{'workload':34} {'reps':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'rows':>7} {'base p50':>9} {'x base':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        rows = "" if r.rows is None else str(r.rows)
        print(
            f"{r.workload:34} {r.repetitions:5d} {r.p50_ms:8.1f} {r.p95_ms:8.1f} "
            f"{r.p99_ms:8.1f} {rows:>7} {r.base_p50_ms or r.p50_ms:9.1f} {r.ratio_p50 or 0:7.1f}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "benchmark": "reserve",
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "people": args.people,
                    "teams": args.teams,
                    "credentials": args.credentials,
                    "generation_seconds": {k: round(v, 2) for k, v in timings.items()},
                    "results": [asdict(r) for r in results],
                },
                indent=2,
            )
            + "\n"
        )
    return 0


def _new_token(app: Any) -> str:
    """An admin token for a kept database (tokens are stored only as hashes)."""
    from badgeservice.db import database, session_scope
    from badgeservice.organisations.services import create_client, organisation_by_slug

    with app.test_request_context(), session_scope(database()) as session:
        organisation = organisation_by_slug(session, SLUG)
        issued = create_client(
            session,
            organisation,
            name=f"bench-{uuid.uuid4().hex[:6]}",
            scopes=["admin"],
            keystore=app.extensions["badgeservice.keystore"],
        )
        return issued.token


if __name__ == "__main__":
    raise SystemExit(main())
