"""The supervisor's team overview: path progress, latest achievements, following changes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from badgeservice.db import utcnow
from badgeservice.hr.models import Recognition
from badgeservice.hr.reserve.schemas import TeamOverviewSchema
from badgeservice.issuing.models import Credential
from badgeservice.people.models import Person
from tests.hr.conftest import ResWorld


def _overview(res_world: ResWorld, team: str = "a", **params: Any) -> Any:
    return res_world.get(f"/api/v1/teams/{res_world.teams[team]}/overview", **params)


def _keys(res_world: ResWorld, ids: list[str]) -> list[str]:
    names = {value: key for key, value in res_world.org.people.items()}
    return [names[i] for i in ids]


def test_overview_progress_and_latest(res_world: ResWorld) -> None:
    # issued_at has whole seconds: give p1's credentials distinct times in award order
    with res_world.org.db() as session:
        start = utcnow() - timedelta(hours=1)
        for n, key in enumerate(("p1:a31_5", "p1:a41_5", "p1:a53_2", "p1:a31_4")):
            session.execute(
                update(Credential)
                .where(Credential.id == uuid.UUID(res_world.credentials[key]))
                .values(issued_at=start + timedelta(minutes=n))
            )
    response = _overview(res_world, latest=2)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    # built by hand for speed: still exactly the documented shape (unknown keys would raise)
    TeamOverviewSchema().load(body)
    assert body["team"]["slug"] == "team-a"
    members = {m["id"]: m for m in body["members"]}
    # by family name: Aalto, Korhonen, Laine, Makinen, Salo (inactive, still a member), Virtanen
    assert _keys(res_world, [m["id"] for m in body["members"]]) == [
        "p2",
        "p1",
        "p4",
        "p5",
        "p11",
        "p3",
    ]
    assert sorted(body["memberIds"]) == sorted(members)
    p1 = members[res_world.person("p1")]
    assert p1["roles"] == ["member", "supervisor"]
    assert p1["displayName"] == "Helena Korhonen"
    assert p1["employeeNumber"] == "E001"
    assert members[res_world.person("p11")]["active"] is False
    # organisation path strategy: a31_4 and a53_2; team path trainers: a31_5
    paths = {p["slug"]: p for p in p1["paths"]}
    assert set(paths) == {"strategy", "trainers"}
    assert (paths["strategy"]["requiredAchieved"], paths["strategy"]["requiredTotal"]) == (2, 2)
    assert paths["strategy"]["complete"] is True
    assert paths["trainers"]["kind"] == "team"
    assert paths["trainers"]["complete"] is True
    progress = {
        key: {p["slug"]: (p["requiredAchieved"], p["complete"]) for p in m["paths"]}
        for key, m in zip(_keys(res_world, list(members)), members.values(), strict=True)
    }
    assert progress["p2"] == {"strategy": (1, False), "trainers": (0, False)}
    assert progress["p3"] == {"strategy": (0, False), "trainers": (0, False)}
    assert progress["p4"]["strategy"] == (0, False)  # revoked credentials do not count
    # newest first: p1 was awarded a31_5, a41_5, a53_2, a31_4 in that order
    assert [item["name"] for item in p1["latest"]] == ["Badge a31-4", "Badge a53-2"]
    assert p1["latest"][0]["credential"] == res_world.credentials["p1:a31_4"]
    p4_latest = members[res_world.person("p4")]["latest"]
    assert p4_latest[0]["revokedAt"] is not None

    # the same progress as the one-person endpoint
    single = res_world.get(f"/api/v1/people/{res_world.person('p2')}/paths").get_json()["items"]
    assert {p["slug"]: (p["requiredAchieved"], p["complete"]) for p in single} == progress["p2"]

    none = _overview(res_world, latest=0).get_json()
    assert all(m["latest"] == [] for m in none["members"])


def test_overview_follows_changes(res_world: ResWorld) -> None:
    org = res_world.org
    # everything so far happened two hours ago
    earlier = utcnow() - timedelta(hours=2)
    with org.db() as session:
        org_id = org.tenant.organisation_id
        session.execute(
            update(Credential).where(Credential.organisation_id == org_id).values(issued_at=earlier)
        )
        session.execute(
            update(Credential)
            .where(Credential.organisation_id == org_id, Credential.revoked_at.is_not(None))
            .values(revoked_at=earlier)
        )
        session.execute(
            update(Recognition)
            .where(Recognition.organisation_id == org_id)
            .values(updated_at=earlier)
        )
        session.execute(
            update(Person).where(Person.organisation_id == org_id).values(updated_at=earlier)
        )
    first = _overview(res_world)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    body = first.get_json()
    cursor = body["cursor"]
    assert len(body["members"]) == 6

    # nothing changed: an empty delta, the whole membership, and a 304 for the same ETag
    delta = _overview(res_world, since=cursor).get_json()
    assert delta["members"] == []
    assert sorted(delta["memberIds"]) == sorted(body["memberIds"])
    again = org.client.get(
        f"/api/v1/teams/{res_world.teams['a']}/overview",
        headers={**org.headers, "If-None-Match": etag},
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.get_data() == b""

    # one award: only that member is in the delta, and the ETag changes
    org.award(res_world.achievements["a53_1"], "p3")
    delta = _overview(res_world, since=cursor).get_json()
    assert _keys(res_world, [m["id"] for m in delta["members"]]) == ["p3"]
    assert delta["members"][0]["latest"][0]["name"] == "Badge a53-1"
    changed = org.client.get(
        f"/api/v1/teams/{res_world.teams['a']}/overview",
        headers={**org.headers, "If-None-Match": etag},
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag

    # a revocation is a change too
    cursor = changed.get_json()["cursor"]
    org.revoke(res_world.credentials["p2:a31_4"])
    delta = _overview(res_world, since=cursor).get_json()
    assert "p2" in _keys(res_world, [m["id"] for m in delta["members"]])


def test_overview_bad_input_and_isolation(res_world: ResWorld, rec_make_org: Any) -> None:
    for params, status in (
        ({"since": "yesterday"}, 400),
        ({"since": "2026-02-30T00:00:00Z"}, 400),
        ({"latest": "21"}, 400),
        ({"latest": "-1"}, 400),
        ({"other": "1"}, 400),
    ):
        response = _overview(res_world, **params)
        assert response.status_code == status, (params, response.get_json())
        assert response.mimetype == "application/problem+json"
    assert _overview(res_world, since="0001-01-01T00:00:00Z").status_code == 200
    assert _overview(res_world, since="9999-12-31T23:59:59Z").get_json()["members"] == []
    for team in (str(uuid.uuid4()), "not-a-team"):
        response = res_world.get(f"/api/v1/teams/{team}/overview")
        assert response.status_code == 404
    other = rec_make_org("globex")
    response = other.client.get(
        f"/api/v1/teams/{res_world.teams['a']}/overview", headers=other.headers
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("size", [60])
def test_overview_queries_do_not_grow_with_the_team(
    res_world: ResWorld, size: int, app: Any
) -> None:
    """The number of SQL statements is the same for a team of 6 and of 66."""
    from sqlalchemy import event

    from badgeservice.db import database

    def count() -> int:
        statements: list[str] = []
        with app.app_context():
            engine = database().engine

        def log(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", log)
        try:
            assert _overview(res_world, latest=3).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", log)
        return len(statements)

    small = count()
    org = res_world.org
    members = [{"person": person, "role": "member"} for person in org.people.values()]
    for n in range(size):
        key = f"extra{n}"
        org.add_person(key, employee_number=f"X{n:03d}", family_name=f"Extra{n:03d}")
        members.append({"person": org.people[key], "role": "member"})
    response = org.client.put(
        f"/api/v1/teams/{res_world.teams['a']}/members",
        json={"members": members},
        headers=org.headers,
    )
    assert response.status_code == 200, response.get_json()
    for n in range(0, size, 7):
        org.award(res_world.achievements["a53_1"], f"extra{n}")
    assert len(_overview(res_world).get_json()["members"]) == len(members)
    assert count() == small
