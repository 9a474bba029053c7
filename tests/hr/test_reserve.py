"""The competence reserve and "who holds X at level ≥ N", against numbers worked out by
hand on the organisation of :func:`tests.hr.conftest.res_build`."""

from __future__ import annotations

import csv
import io
import os
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from badgeservice.db import database, session_scope, utcnow
from badgeservice.hr.models import (
    CompetenceEvent,
    Recognition,
    ReserveHolderCount,
    ReserveTrendExcluded,
    ReserveTrendPoint,
    ReserveTrendState,
)
from badgeservice.hr.reserve.targets import month_ends, reserve
from badgeservice.people.models import Person
from tests.conftest import TEST_DATABASE_URL
from tests.hr.conftest import ResWorld

# Month-end trend of 3.1 ≥ 4 (p1 always; p2 from e5; p4 e8.. until revoked now; p5 e2..e5).
T31 = [1, 1, 2, 2, 2, 3, 2, 2, 3, 3, 3, 3]


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    return body


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {target["id"]: target for target in body["targets"]}


def _levels(target: dict[str, Any]) -> list[int]:
    assert [item["level"] for item in target["levels"]] == list(range(1, 9))
    return [item["holders"] for item in target["levels"]]


# -- the reserve ---------------------------------------------------------------------------


def test_organisation_reserve_by_hand(res_world: ResWorld) -> None:
    response = res_world.get("/api/v1/hr/reserve")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["team"] is None
    assert body["population"] == 11  # aino and p1..p10; p11 is inactive
    targets = _by_id(body)
    # the team path's target is not an organisation target
    assert set(targets) == {res_world.targets["t31"], res_world.targets["t41"]}
    assert [t["id"] for t in body["targets"]] == [
        res_world.targets["t31"],
        res_world.targets["t41"],
    ]

    t31 = targets[res_world.targets["t31"]]
    assert t31["competence"]["code"] == "3.1"
    assert t31["competence"]["framework"] == "digcomp22"
    assert t31["path"]["slug"] == "strategy"
    assert (t31["level"], t31["targetShare"], t31["due"], t31["team"]) == (
        4,
        0.5,
        "2027-06-30",
        None,
    )
    # holders: p3 level 3, p2 and p6 level 4, p1 level 5; p4 revoked, p5 expired, p11 inactive
    assert _levels(t31) == [0, 0, 1, 2, 1, 0, 0, 0]
    assert (t31["population"], t31["holders"], t31["reached"]) == (11, 4, 3)
    assert t31["share"] == pytest.approx(3 / 11)
    assert t31["gap"] == 3  # ceil(0.5 * 11) - 3
    assert t31["met"] is False
    months = month_ends(utcnow(), 12)
    assert [p["month"] for p in t31["trend"]] == [m for m, _ in months]
    assert [p["reached"] for p in t31["trend"]] == T31
    assert [p["share"] for p in t31["trend"]] == pytest.approx([n / 11 for n in T31])

    # 4.1 ≥ 3 for 80 % of team b (p6..p10): p6 level 3, p7 level 4, p8 level 2; p1's
    # level 5 is outside the team and does not count, not even in the trend
    t41 = targets[res_world.targets["t41"]]
    assert t41["team"] == res_world.teams["b"]
    assert _levels(t41) == [0, 1, 1, 1, 0, 0, 0, 0]
    assert (t41["population"], t41["reached"], t41["gap"]) == (5, 2, 2)
    assert t41["share"] == pytest.approx(0.4)
    assert [p["reached"] for p in t41["trend"]] == [0] * 12


def test_team_reserve_by_hand(res_world: ResWorld) -> None:
    body = res_world.get("/api/v1/hr/reserve", team=res_world.teams["a"]).get_json()
    assert body["team"]["id"] == res_world.teams["a"]
    assert body["team"]["slug"] == "team-a"
    assert body["population"] == 5  # p1..p5 (p1 counted once though also supervisor)
    # everyone's target and the team path's; not team b's target
    assert [t["id"] for t in body["targets"]] == [
        res_world.targets["t31"],
        res_world.targets["t53"],
    ]
    t31, t53 = body["targets"]
    assert _levels(t31) == [0, 0, 1, 1, 1, 0, 0, 0]
    assert (t31["population"], t31["reached"], t31["gap"]) == (5, 2, 1)  # ceil(2.5) - 2
    assert [p["reached"] for p in t31["trend"]] == T31
    assert [p["share"] for p in t31["trend"]] == pytest.approx([n / 5 for n in T31])
    assert t53["path"]["kind"] == "team"
    assert _levels(t53) == [1, 1, 0, 0, 0, 0, 0, 0]
    assert (t53["reached"], t53["gap"], t53["share"]) == (1, 4, pytest.approx(0.2))
    assert [p["reached"] for p in t53["trend"]] == [1] * 12

    team_b = res_world.get("/api/v1/hr/reserve", team=res_world.teams["b"]).get_json()
    assert [t["id"] for t in team_b["targets"]] == [
        res_world.targets["t31"],
        res_world.targets["t41"],
    ]
    t31_b = team_b["targets"][0]
    assert (t31_b["population"], t31_b["reached"], t31_b["gap"]) == (5, 1, 2)  # p6 only


def test_trend_months_and_definition(res_world: ResWorld) -> None:
    none = res_world.get("/api/v1/hr/reserve", months=0).get_json()
    assert all(t["trend"] == [] for t in none["targets"])
    three = res_world.get("/api/v1/hr/reserve", months=3).get_json()
    t31 = _by_id(three)[res_world.targets["t31"]]
    assert [p["reached"] for p in t31["trend"]] == T31[-3:]
    # a point is the first instant of the next month
    last = t31["trend"][-1]
    assert last["at"].startswith(utcnow().strftime("%Y-%m-01T00:00:00"))

    # the service with an explicit "now": one month later, the current month becomes a point
    with res_world.org.app.app_context(), session_scope(database()) as session:
        later = reserve(
            session,
            res_world.org.tenant.organisation_id,
            months=13,
            now=res_world.ends[-1] + timedelta(days=40),
        )
    item = next(t for t in later.targets if str(t.target.id) == res_world.targets["t31"])
    # the new last point: p1, p2 and p6 (p4 revoked meanwhile)
    assert [p.reached for p in item.trend] == [*T31, 3]


def test_reserve_follows_changes(res_world: ResWorld) -> None:
    """Counts and trends follow a revocation and a deactivation made after a read."""
    org = res_world.org
    for team in (None, res_world.teams["a"]):  # the organisation's stores are filled
        params = {"team": team} if team else {}
        assert res_world.get("/api/v1/hr/reserve", **params).status_code == 200
    org.revoke(res_world.credentials["p6:a31_4"])
    body = res_world.get("/api/v1/hr/reserve").get_json()
    t31 = _by_id(body)[res_world.targets["t31"]]
    assert _levels(t31) == [0, 0, 1, 1, 1, 0, 0, 0]
    assert (t31["reached"], t31["gap"]) == (2, 4)
    assert [p["reached"] for p in t31["trend"]] == T31

    # p2 leaves: no longer in the population, nor in the trend (held 3.1 from e5)
    response = org.client.delete(f"/api/v1/people/{res_world.person('p2')}", headers=org.headers)
    assert response.status_code == 200
    without_p2 = [n - (i >= 5) for i, n in enumerate(T31)]
    body = res_world.get("/api/v1/hr/reserve").get_json()
    t31 = _by_id(body)[res_world.targets["t31"]]
    assert (body["population"], t31["reached"]) == (10, 1)
    assert [p["reached"] for p in t31["trend"]] == without_p2
    assert [p["share"] for p in t31["trend"]] == pytest.approx([n / 10 for n in without_p2])
    team = res_world.get("/api/v1/hr/reserve", team=res_world.teams["a"]).get_json()
    assert team["population"] == 4
    assert [p["reached"] for p in team["targets"][0]["trend"]] == without_p2


def test_counts_respect_validity(res_world: ResWorld) -> None:
    """A holding stops counting once its validity has passed."""
    org_id = res_world.org.tenant.organisation_id

    def reached(now: Any) -> int:
        with res_world.org.app.app_context(), session_scope(database()) as session:
            result = reserve(session, org_id, months=0, now=now)
        return next(
            t.reached for t in result.targets if str(t.target.id) == res_world.targets["t31"]
        )

    assert reached(utcnow()) == 3
    assert reached(utcnow() + timedelta(days=101)) == 2  # p2's holding lapsed


# -- who holds a competence ---------------------------------------------------------------


def _holders(res_world: ResWorld, **params: Any) -> list[tuple[str, int]]:
    response = res_world.get("/api/v1/hr/holders", **params)
    assert response.status_code == 200, response.get_json()
    names = {value: key for key, value in res_world.org.people.items()}
    return [(names[item["id"]], item["level"]) for item in response.get_json()["items"]]


def test_holders_levels_teams_and_paging(res_world: ResWorld) -> None:
    c31 = res_world.org.codes["3.1"]
    assert _holders(res_world, competence=c31, minLevel=4) == [
        ("p1", 5),
        ("p2", 4),  # Aalto before Nieminen
        ("p6", 4),
    ]
    assert _holders(res_world, competence=c31) == [("p1", 5), ("p2", 4), ("p6", 4), ("p3", 3)]
    assert _holders(res_world, competence=c31, minLevel=6) == []  # p11 is inactive
    assert _holders(res_world, competence=c31, minLevel=4, team=res_world.teams["a"]) == [
        ("p1", 5),
        ("p2", 4),
    ]
    assert _holders(res_world, competence=c31, limit=1, offset=1) == [("p2", 4)]

    item = res_world.get("/api/v1/hr/holders", competence=c31, minLevel=5).get_json()["items"][0]
    assert item["employeeNumber"] == "E001"
    assert item["displayName"] == "Helena Korhonen"
    assert item["email"] == "p1@acme.example.org"
    assert [team["slug"] for team in item["teams"]] == ["team-a"]  # once, though two roles
    assert item["since"].startswith(str((res_world.ends[0] - timedelta(days=1)).date()))
    assert item["validUntil"] is None


def test_holders_validity_filter(res_world: ResWorld) -> None:
    c31 = res_world.org.codes["3.1"]
    today = utcnow().date()
    # p2's holding is valid for 100 more days
    in_50 = str(today + timedelta(days=50))
    in_200 = str(today + timedelta(days=200))
    assert _holders(res_world, competence=c31, minLevel=4, validAt=in_50) == [
        ("p1", 5),
        ("p2", 4),
        ("p6", 4),
    ]
    assert _holders(res_world, competence=c31, minLevel=4, validAt=in_200) == [
        ("p1", 5),
        ("p6", 4),
    ]
    # the last day of validity still counts, the next does not
    with res_world.org.app.app_context(), session_scope(database()) as session:
        from sqlalchemy import select

        from badgeservice.hr.models import CompetenceHolding

        until = session.scalar(
            select(CompetenceHolding.valid_until).where(
                CompetenceHolding.person_id == uuid.UUID(res_world.person("p2")),
                CompetenceHolding.competence_id == uuid.UUID(c31),
            )
        )
    assert until is not None
    last_day = (until - timedelta(microseconds=1)).date()
    if until.time() != until.min.time():  # valid until during a day: not the whole day
        last_day = until.date() - timedelta(days=1)
    assert ("p2", 4) in _holders(res_world, competence=c31, minLevel=4, validAt=str(last_day))
    after = str(last_day + timedelta(days=1))
    assert ("p2", 4) not in _holders(res_world, competence=c31, minLevel=4, validAt=after)


def test_holders_csv(res_world: ResWorld) -> None:
    c31 = res_world.org.codes["3.1"]
    response = res_world.get("/api/v1/hr/holders", competence=c31, format="csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "charset=utf-8" in response.headers["Content-Type"]
    assert 'filename="holders-3.1-level-0.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.endswith("\r\n")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
    text = text.removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "id",
        "employeeNumber",
        "givenName",
        "familyName",
        "email",
        "teams",
        "competence",
        "level",
        "since",
        "validUntil",
    ]
    assert [row[3] for row in rows[1:]] == ["Korhonen", "Aalto", "Nieminen", "Virtanen"]
    assert [row[7] for row in rows[1:]] == ["5", "4", "4", "3"]
    aalto = rows[2]
    # RFC 4180: a comma and quotes in a field are quoted and doubled
    assert aalto[2] == 'Aino, "A"'
    assert '"Aino, ""A"""' in text
    assert (aalto[0], aalto[5], aalto[6]) == (res_world.person("p2"), "team-a", "3.1")
    # a cell a spreadsheet would evaluate is defused
    assert rows[3][2] == "'=1+2"
    assert "\r\n" + res_world.person("p6") + ",E006,'=1+2," in text

    by_accept = res_world.org.client.get(
        "/api/v1/hr/holders",
        query_string={"competence": c31, "minLevel": 4, "limit": 2},
        headers={**res_world.org.headers, "Accept": "text/csv"},
    )
    assert by_accept.mimetype == "text/csv"
    assert len(list(csv.reader(io.StringIO(by_accept.get_data(as_text=True))))) == 3
    as_json = res_world.get("/api/v1/hr/holders", competence=c31, format="json")
    assert as_json.mimetype == "application/json"


def test_holders_spreadsheets_open_right_in_excel(res_world: ResWorld) -> None:
    """Excel with a Finnish locale: UTF-8 needs the byte-order mark, the separator is `;`;
    or the XLSX workbook, where a cell starting with '=' stays text."""
    from openpyxl import load_workbook

    c31 = res_world.org.codes["3.1"]
    response = res_world.get(
        "/api/v1/hr/holders", competence=c31, format="csv", separator="semicolon"
    )
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["id", "employeeNumber", "givenName"]
    assert [row[3] for row in rows[1:]] == ["Korhonen", "Aalto", "Nieminen", "Virtanen"]
    assert rows[2][2] == 'Aino, "A"'  # a comma needs no quoting now, a quote still does
    assert rows[3][2] == "'=1+2"

    xlsx = res_world.get("/api/v1/hr/holders", competence=c31, format="xlsx")
    assert xlsx.status_code == 200
    assert xlsx.mimetype == ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="holders-3.1-level-0.xlsx"' in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert table[0] == [
        "id",
        "employeeNumber",
        "givenName",
        "familyName",
        "email",
        "teams",
        "competence",
        "level",
        "since",
        "validUntil",
    ]
    assert [row[3] for row in table[1:]] == ["Korhonen", "Aalto", "Nieminen", "Virtanen"]
    assert [row[7] for row in table[1:]] == [5, 4, 4, 3]  # numbers, not text
    assert table[2][2] == 'Aino, "A"'
    formula = sheet.cell(row=4, column=3)
    assert (formula.value, formula.data_type) == ("=1+2", "s")  # text, never run
    assert isinstance(table[1][8], datetime)  # a date-time, sortable in the spreadsheet
    by_accept = res_world.org.client.get(
        "/api/v1/hr/holders",
        query_string={"competence": c31},
        headers={
            **res_world.org.headers,
            "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert by_accept.data[:2] == b"PK"  # a zip: the workbook


def test_csv_streams_many_rows(res_world: ResWorld) -> None:
    """More rows than one streamed piece (500), every one exactly once."""
    from badgeservice.hr.models import CompetenceHolding
    from badgeservice.people.models import Person

    org = res_world.org
    c53 = uuid.UUID(org.codes["5.3"])
    with org.app.app_context(), session_scope(database()) as session:
        now = utcnow()
        for n in range(1203):
            person = Person(
                organisation_id=org.tenant.organisation_id,
                employee_number=f"X{n:05d}",
                family_name=f"Many{n:05d}",
            )
            session.add(person)
            session.flush()
            session.add(
                CompetenceHolding(
                    organisation_id=org.tenant.organisation_id,
                    person_id=person.id,
                    competence_id=c53,
                    level=1 + n % 8,
                    since=now,
                )
            )
    response = res_world.get("/api/v1/hr/holders", competence=str(c53), format="csv")
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]
    numbers = [row[1] for row in rows if row[1].startswith("X")]
    assert sorted(numbers) == [f"X{n:05d}" for n in range(1203)]
    levels = [int(row[7]) for row in rows]
    assert levels == sorted(levels, reverse=True)


# -- bad input, scopes, isolation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),  # competence is required
        ({"competence": "not-a-uuid"}, 400),
        ({"competence": str(uuid.uuid4())}, 404),
        ({"competence": "3.1", "minLevel": "9"}, 400),
        ({"competence": "3.1", "minLevel": "-1"}, 400),
        ({"competence": "3.1", "minLevel": "high"}, 400),
        ({"competence": "3.1", "validAt": "2026-13-01"}, 400),
        ({"competence": "3.1", "validAt": "tomorrow"}, 400),
        ({"competence": "3.1", "team": str(uuid.uuid4())}, 404),
        ({"competence": "3.1", "format": "pdf"}, 400),
        ({"competence": "3.1", "format": "csv", "separator": "tab"}, 400),
        ({"competence": "3.1", "limit": "0"}, 400),
        ({"competence": "3.1", "colour": "red"}, 400),
        ({"competence": "3.1", "team": "x\x00"}, 400),
    ],
)
def test_holders_bad_input(res_world: ResWorld, params: dict[str, str], status: int) -> None:
    if params.get("competence") == "3.1":
        params = {**params, "competence": res_world.org.codes["3.1"]}
    body = _problem(res_world.get("/api/v1/hr/holders", **params), status)
    assert body["detail"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"months": "37"}, 400),
        ({"months": "-1"}, 400),
        ({"team": "nope"}, 404),  # a team slug that names no team
        ({"team": str(uuid.uuid4())}, 404),
        ({"unknown": "1"}, 400),
    ],
)
def test_reserve_bad_input(res_world: ResWorld, params: dict[str, str], status: int) -> None:
    _problem(res_world.get("/api/v1/hr/reserve", **params), status)


def test_scopes(res_world: ResWorld, make_tenant: Any) -> None:
    client = res_world.org.client
    assert client.get("/api/v1/hr/reserve").status_code == 401
    awards_only = make_tenant("acme", scopes=("awards:write",))
    _problem(client.get("/api/v1/hr/reserve", headers=awards_only.headers), 403)
    hr = make_tenant("acme", scopes=("hr:read",))
    assert client.get("/api/v1/hr/reserve", headers=hr.headers).status_code == 200
    response = client.get(
        "/api/v1/hr/holders",
        query_string={"competence": res_world.org.codes["3.1"]},
        headers=hr.headers,
    )
    assert response.status_code == 200


def test_isolation(res_world: ResWorld, rec_make_org: Any) -> None:
    other = rec_make_org("globex")
    client = other.client
    body = client.get("/api/v1/hr/reserve", headers=other.headers).get_json()
    assert body == {"team": None, "population": 1, "at": body["at"], "targets": []}
    # acme's team and competence are not found for globex
    _problem(
        client.get(
            "/api/v1/hr/reserve", query_string={"team": res_world.teams["a"]}, headers=other.headers
        ),
        404,
    )
    _problem(
        client.get(
            "/api/v1/hr/holders",
            query_string={"competence": res_world.org.codes["3.1"]},
            headers=other.headers,
        ),
        404,
    )
    # globex's own DigComp 3.1 has no holders, acme's are not counted
    response = client.get(
        "/api/v1/hr/holders",
        query_string={"competence": other.codes["3.1"], "format": "csv"},
        headers=other.headers,
    )
    assert response.get_data(as_text=True).count("\r\n") == 1  # the header only


# -- end to end: a completion from the LMS shows in the reserve -----------------------------


def test_completion_reaches_the_reserve(app: Any, client: Any, tmp_path: Any) -> None:
    from tests.factories import completion, load_example, post_signed

    example = load_example(app, tmp_path)
    headers = example.admin_headers
    before = client.get("/api/v1/hr/reserve", headers=headers).get_json()
    target = next(
        t for t in before["targets"] if t["competence"]["code"] == "4.2" and t["team"] is None
    )
    assert target["reached"] == 0
    assert before["population"] > 0
    response = post_signed(client, example, completion(example))  # E1001: data protection
    assert response.status_code == 202, response.get_json()
    after = client.get("/api/v1/hr/reserve", headers=headers).get_json()
    target = next(t for t in after["targets"] if t["id"] == target["id"])
    assert target["reached"] == 1
    assert _levels(target)[2] == 1  # level 3
    assert target["gap"] == max(0, -(-9 * after["population"] // 10) - 1)
    holders = client.get(
        "/api/v1/hr/holders",
        query_string={"competence": target["competence"]["id"], "minLevel": 3},
        headers=headers,
    ).get_json()["items"]
    assert [h["employeeNumber"] for h in holders] == ["E1001"]


# -- the benchmark cannot rot ------------------------------------------------------------------


@pytest.mark.db
@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="the reserve benchmark generates its data with PostgreSQL-only SQL",
)
def test_benchmark_smoke(tmp_path: Any) -> None:
    from benchmarks.reserve import main

    name = f"badgeservice_bench_smoke_{uuid.uuid4().hex[:8]}"
    report = tmp_path / "reserve.json"
    code = main(
        [
            "--postgres-url",
            TEST_DATABASE_URL,
            "--database-name",
            name,
            "--people",
            "2000",
            "--teams",
            "10",
            "--credentials",
            "30000",
            "--repetitions",
            "3",
            "--json",
            str(report),
        ]
    )
    assert code == 0
    assert report.read_text().count('"p95_ms"') >= 6
    assert os.path.exists(report)


# -- stored trend points and holder counts ------------------------------------------------


def _stores(res_world: ResWorld) -> list[int]:
    org_id = res_world.org.tenant.organisation_id
    with res_world.org.db() as session:
        return [
            session.scalar(
                select(func.count()).select_from(model).where(model.organisation_id == org_id)
            )
            or 0
            for model in (
                ReserveTrendState,
                ReserveTrendPoint,
                ReserveHolderCount,
                ReserveTrendExcluded,
            )
        ]


def test_a_read_writes_nothing_and_the_upkeep_keeps_the_stores(res_world: ResWorld) -> None:
    """GETs only read: before any upkeep they count everything, after it they use the
    stored counts and points, and the answer is the same."""
    assert _stores(res_world) == [0, 0, 0, 0]
    before = _t31(res_world)
    team = res_world.get("/api/v1/hr/reserve", team=res_world.teams["a"])
    assert team.status_code == 200
    assert _stores(res_world) == [0, 0, 0, 0]
    res_world.upkeep()
    state, points, counts, left_out = _stores(res_world)
    assert (state, left_out) == (1, 1)  # p11, inactive, is left out of the stores
    assert points >= 12
    assert counts > 0
    assert _t31(res_world) == before
    assert _stores(res_world) == [state, points, counts, left_out]


def _t31(res_world: ResWorld, **params: Any) -> dict[str, Any]:
    body = res_world.get("/api/v1/hr/reserve", **params).get_json()
    target: dict[str, Any] = _by_id(body)[res_world.targets["t31"]]
    target["population"] = body["population"]
    return target


def _stored_points(res_world: ResWorld, column: str = "reached") -> dict[Any, Any]:
    with res_world.org.db() as session:
        rows = session.execute(
            select(ReserveTrendPoint.month_end, getattr(ReserveTrendPoint, column)).where(
                ReserveTrendPoint.organisation_id == res_world.org.tenant.organisation_id,
                ReserveTrendPoint.competence_id == uuid.UUID(res_world.org.codes["3.1"]),
                ReserveTrendPoint.level == 4,
            )
        ).all()
    return dict(rows)


def _backdate(res_world: ResWorld, credential: str, **values: Any) -> None:
    """What a backdated import would have recorded: the recognition's dates in the past."""
    with res_world.org.db() as session:
        session.execute(
            update(Recognition)
            .where(Recognition.credential_id == uuid.UUID(credential))
            .values(**values)
        )


def test_stored_trend_points_follow_backdated_history(res_world: ResWorld) -> None:
    org, day = res_world.org, timedelta(days=1)
    assert [p["reached"] for p in _t31(res_world)["trend"]] == T31
    assert _stored_points(res_world) == {}  # a read stores nothing
    res_world.upkeep()
    stored = _stored_points(res_world)
    assert sorted(stored) == res_world.ends  # every completed month of the trend is kept
    assert [stored[end] for end in res_world.ends] == T31
    computed = _stored_points(res_world, "computed_at")

    # an award today changes today's counts, not history
    org.award(res_world.achievements["a31_5"], "p3")
    t31 = _t31(res_world)
    assert _levels(t31) == [0, 0, 0, 2, 2, 0, 0, 0]
    assert t31["reached"] == 4
    assert [p["reached"] for p in t31["trend"]] == T31
    res_world.upkeep()
    assert _stored_points(res_world) == stored
    if org.app.config["DATABASE_URL"].startswith("sqlite"):
        # nothing was recomputed (on PostgreSQL the horizon is the server's oldest running
        # transaction: while another one runs, the fixture's own backdating is seen again)
        assert _stored_points(res_world, "computed_at") == computed

    # a recognition dated before e3: the points from e3 on change, the older ones are kept
    credential = org.award(res_world.achievements["a31_4"], "p7")["id"]
    _backdate(res_world, credential, valid_from=res_world.ends[3] - day)
    t31 = _t31(res_world)
    assert t31["reached"] == 5
    later = [n + (i >= 3) for i, n in enumerate(T31)]
    assert [p["reached"] for p in t31["trend"]] == later  # the stale points not used
    assert _stored_points(res_world) == stored  # until the worker's upkeep
    res_world.upkeep()
    assert [p["reached"] for p in _t31(res_world)["trend"]] == later
    again = _stored_points(res_world)
    assert [again[end] - stored[end] for end in res_world.ends] == [0] * 3 + [1] * 9


def test_stored_trend_points_follow_a_backdated_end(res_world: ResWorld) -> None:
    """A revocation recorded as ended in a completed month rewrites that month on."""
    org, day = res_world.org, timedelta(days=1)
    res_world.upkeep()
    assert [p["reached"] for p in _t31(res_world)["trend"]] == T31
    org.revoke(res_world.credentials["p2:a31_4"])
    _backdate(res_world, res_world.credentials["p2:a31_4"], ended_at=res_world.ends[7] - day)
    t31 = _t31(res_world)
    assert t31["reached"] == 2  # p1 and p6
    # p2 counted from e5 and now stops before e7
    assert [p["reached"] for p in t31["trend"]] == [n - (i >= 7) for i, n in enumerate(T31)]


def test_stored_points_and_counts_follow_activity(res_world: ResWorld) -> None:
    """People deactivated or reactivated after the points and counts were stored."""
    org = res_world.org
    res_world.upkeep()
    assert _t31(res_world)["population"] == 11
    response = org.client.delete(f"/api/v1/people/{res_world.person('p1')}", headers=org.headers)
    assert response.status_code == 200
    t31 = _t31(res_world)
    assert t31["population"] == 10
    assert _levels(t31) == [0, 0, 1, 2, 0, 0, 0, 0]  # p1 held 3.1 at level 5
    assert [p["reached"] for p in t31["trend"]] == [n - 1 for n in T31]
    # p11 (inactive since before the first read, holding 3.1 at level 6) comes back
    with org.db() as session:
        session.execute(
            update(Person)
            .where(Person.id == uuid.UUID(res_world.person("p11")))
            .values(active=True)
        )
    t31 = _t31(res_world)
    assert t31["population"] == 11
    assert _levels(t31) == [0, 0, 1, 2, 0, 1, 0, 0]
    assert [p["reached"] for p in t31["trend"]] == [n - 1 + 1 for n in T31]  # from before e0


def test_rebuild_after_many_activity_changes(
    res_world: ResWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgeservice.hr.reserve import trends

    org = res_world.org
    res_world.upkeep()
    assert [p["reached"] for p in _t31(res_world)["trend"]] == T31
    monkeypatch.setattr(trends, "REBUILD_AFTER", 0)
    response = org.client.delete(f"/api/v1/people/{res_world.person('p1')}", headers=org.headers)
    assert response.status_code == 200
    t31 = _t31(res_world)  # counted afresh: too many changes for the stored points
    assert (t31["population"], t31["reached"]) == (10, 2)
    assert [p["reached"] for p in t31["trend"]] == [n - 1 for n in T31]
    res_world.upkeep()  # rebuilt: p1 is now one of the people left out
    t31 = _t31(res_world)
    assert (t31["population"], t31["reached"]) == (10, 2)
    assert [p["reached"] for p in t31["trend"]] == [n - 1 for n in T31]
    with org.db() as session:
        left_out = set(
            session.scalars(
                select(ReserveTrendExcluded.person_id).where(
                    ReserveTrendExcluded.organisation_id == org.tenant.organisation_id
                )
            )
        )
    assert left_out == {uuid.UUID(res_world.person(key)) for key in ("p1", "p11")}
    monkeypatch.setattr(trends, "REBUILD_AFTER", 100)
    assert _levels(_t31(res_world)) == [0, 0, 1, 2, 0, 0, 0, 0]  # the stored counts too


def test_python_and_database_trends_agree(res_world: ResWorld) -> None:
    """The live count (in Python, for teams and corrections) and the stored one (in the
    database) implement one definition."""
    from badgeservice.hr.reserve.history import compute, live_trends

    org_id = res_world.org.tenant.organisation_id
    pairs = [
        (uuid.UUID(res_world.org.codes[code]), level)
        for code in ("3.1", "4.1", "5.3")
        for level in range(1, 7)
    ]
    inactive = select(Person.id).where(Person.organisation_id == org_id, Person.active.is_(False))
    with res_world.org.db() as session:
        for ends in ([res_world.now], res_world.ends[4:7], res_world.ends):
            live = live_trends(session, org_id, pairs, ends, Recognition.person_id.not_in(inactive))
            assert live == compute(session, org_id, pairs, ends)
    assert live[(uuid.UUID(res_world.org.codes["3.1"]), 4)] == T31


@pytest.mark.parametrize("slices", [32, 0])
def test_stored_counts_match_a_direct_count(
    res_world: ResWorld, monkeypatch: pytest.MonkeyPatch, slices: int
) -> None:
    """After changes, the sliced counts (slices counted again, or whole competences when
    too many changed) equal a count of every holding."""
    from badgeservice.hr.reserve import holder_counts

    monkeypatch.setattr(holder_counts, "SLICES_AT_ONCE", slices)
    org, org_id = res_world.org, res_world.org.tenant.organisation_id
    competences = [uuid.UUID(org.codes[code]) for code in ("3.1", "4.1", "5.3")]

    def both(maintain: bool = False) -> tuple[dict[Any, int], dict[Any, int]]:
        with org.db() as session:
            now = utcnow()
            stored = holder_counts.organisation_counts(
                session, org_id, competences, now, maintain=maintain
            )
            direct = holder_counts._direct(session, org_id, competences, now)
        return stored, {key: n for key, n in direct.items() if n}

    stored, direct = both(maintain=True)
    assert stored == direct
    assert sum(stored.values()) == 10  # 3.1: p1-p3, p6; 4.1: p1, p6-p8; 5.3: p1, p2
    org.award(res_world.achievements["a41_5"], "p9")
    org.award(res_world.achievements["a53_2"], "p10")
    org.revoke(res_world.credentials["p1:a31_5"])  # p1 keeps 3.1 at level 4
    stored, direct = both()  # a read: the touched slices counted again, not stored
    assert stored == direct
    stored, direct = both(maintain=True)
    assert stored == direct
    assert (stored[(competences[0], 4)], stored.get((competences[0], 5))) == (3, None)
    with org.db() as session:
        state = session.get(ReserveTrendState, org_id)
        assert state is not None
        assert (state.counts_txid, state.counts_seq) != (None, None)


def test_horizon_moves_on(res_world: ResWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once enough events were looked at, the horizon moves past them."""
    from badgeservice.hr.reserve import holder_counts, trends

    org, org_id = res_world.org, res_world.org.tenant.organisation_id

    def horizon() -> tuple[Any, ...]:
        with org.db() as session:
            state = session.get(ReserveTrendState, org_id)
            assert state is not None
            return (state.horizon_txid, state.horizon_seq)

    def newest_event_txid() -> int | None:
        with org.db() as session:
            return session.scalar(
                select(func.max(CompetenceEvent.txid)).where(
                    CompetenceEvent.organisation_id == org_id
                )
            )

    res_world.upkeep()
    assert [p["reached"] for p in _t31(res_world)["trend"]] == T31
    first = horizon()
    # On PostgreSQL the horizon is the oldest transaction running on the server; another
    # test's open transaction can hold it behind this world's own events, and then every
    # round sees them again and rightly writes. Only a horizon past them all is quiet.
    newest = newest_event_txid()
    deadline = time.monotonic() + 30
    while newest is not None and first[0] <= newest and time.monotonic() < deadline:
        time.sleep(0.1)  # wait for the other transaction to end; the next round moves on
        res_world.upkeep()
        first = horizon()
    passed = newest is None or first[0] > newest
    org.award(res_world.achievements["a31_3"], "p8")
    _t31(res_world)
    res_world.upkeep()
    if passed:
        assert horizon() == first  # one event: checked on every round, no write
    monkeypatch.setattr(trends, "ADVANCE_AFTER", 1)
    monkeypatch.setattr(holder_counts, "ADVANCE_AFTER", 1)
    res_world.upkeep()
    t31 = _t31(res_world)
    if org.app.config["DATABASE_URL"].startswith("sqlite"):
        assert horizon() > first
    else:  # the oldest transaction running on the server: may be older than the award
        assert horizon()[0] >= first[0]
    assert [p["reached"] for p in t31["trend"]] == T31
    assert _levels(t31)[2] == 2  # p3 and p8 at level 3
