"""Teams API through HTTP: members and supervisors, parents without cycles, isolation, bad
input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import API, add_person, add_team, problem


def _members(team: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m["person"], m["role"]) for m in team["members"]}


def test_create_read_list_and_replace_members(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    ada, bob, cy = (add_person(client, tenant, n) for n in ("E-1", "E-2", "E-3"))
    school = add_team(client, tenant, "school")
    team = add_team(
        client,
        tenant,
        "trainers",
        parent=school["id"],
        members=[
            {"person": ada["id"], "role": "supervisor"},
            {"person": bob["id"]},
        ],
    )
    assert team["slug"] == "trainers"
    assert team["parent"] == school["id"]
    assert _members(team) == {(ada["id"], "supervisor"), (bob["id"], "member")}
    assert client.get(f"{API}/teams/{team['id']}", headers=tenant.headers).get_json() == team
    listed = client.get(f"{API}/teams", headers=tenant.headers).get_json()["items"]
    assert [t["slug"] for t in listed] == ["school", "trainers"]
    person = client.get(f"{API}/people/{ada['id']}", headers=tenant.headers).get_json()
    assert person["teams"] == [{"team": team["id"], "role": "supervisor"}]

    members = [
        {"person": ada["id"], "role": "supervisor"},
        {"person": ada["id"]},
        {"person": cy["id"]},
    ]
    response = client.put(
        f"{API}/teams/{team['id']}/members", json={"members": members}, headers=tenant.headers
    )
    assert response.status_code == 200, response.get_json()
    assert _members(response.get_json()) == {
        (ada["id"], "supervisor"),
        (ada["id"], "member"),
        (cy["id"], "member"),
    }
    stored = client.get(f"{API}/teams/{team['id']}", headers=tenant.headers).get_json()
    assert _members(stored) == _members(response.get_json())
    cleared = client.put(
        f"{API}/teams/{team['id']}/members", json={"members": []}, headers=tenant.headers
    )
    assert cleared.get_json()["members"] == []


def test_patch_and_slug_conflict(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    add_team(client, tenant, "trainers")
    team = add_team(client, tenant, "advisers")
    url = f"{API}/teams/{team['id']}"
    response = client.patch(
        url, json={"name": "Career advisers", "slug": "career"}, headers=tenant.headers
    )
    assert response.status_code == 200
    assert (response.get_json()["slug"], response.get_json()["name"]) == (
        "career",
        "Career advisers",
    )
    body = problem(client.patch(url, json={"slug": "trainers"}, headers=tenant.headers), 409)
    assert "trainers" in body["detail"]
    problem(
        client.post(
            f"{API}/teams", json={"slug": "trainers", "name": "Again"}, headers=tenant.headers
        ),
        409,
    )
    # Keeping its own slug is no conflict.
    assert client.patch(url, json={"slug": "career"}, headers=tenant.headers).status_code == 200


def test_parent_cycles_are_refused(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    top = add_team(client, tenant, "top")
    middle = add_team(client, tenant, "middle", parent=top["id"])
    bottom = add_team(client, tenant, "bottom", parent=middle["id"])
    body = problem(
        client.patch(
            f"{API}/teams/{top['id']}", json={"parent": bottom["id"]}, headers=tenant.headers
        ),
        400,
    )
    assert "cycle" in body["errors"]["parent"][0]
    body = problem(
        client.patch(
            f"{API}/teams/{top['id']}", json={"parent": top["id"]}, headers=tenant.headers
        ),
        400,
    )
    assert "cycle" in body["detail"]
    assert (
        client.get(f"{API}/teams/{top['id']}", headers=tenant.headers).get_json()["parent"] is None
    )
    moved = client.patch(
        f"{API}/teams/{bottom['id']}", json={"parent": None}, headers=tenant.headers
    )
    assert moved.get_json()["parent"] is None
    problem(
        client.post(
            f"{API}/teams",
            json={"slug": "x", "name": "X", "parent": str(uuid.uuid4())},
            headers=tenant.headers,
        ),
        400,
    )


def test_isolation(client: Any, make_tenant: Any) -> None:
    acme, other = make_tenant("acme"), make_tenant("other")
    ada = add_person(client, acme, "E-1")
    team = add_team(client, acme, "trainers", members=[{"person": ada["id"]}])
    url = f"{API}/teams/{team['id']}"
    problem(client.get(url, headers=other.headers), 404)
    problem(client.patch(url, json={"name": "Mine"}, headers=other.headers), 404)
    problem(client.put(f"{url}/members", json={"members": []}, headers=other.headers), 404)
    assert client.get(f"{API}/teams", headers=other.headers).get_json()["items"] == []
    problem(client.get(f"{API}/people?team={team['id']}", headers=other.headers), 404)
    # Another organisation's person or team cannot be referenced.
    eve = add_person(client, other, "E-9")
    body = problem(
        client.put(
            f"{url}/members", json={"members": [{"person": eve["id"]}]}, headers=acme.headers
        ),
        400,
    )
    assert "members.0.person" in body["errors"]
    own = add_team(client, other, "own")
    body = problem(
        client.patch(
            f"{API}/teams/{own['id']}", json={"parent": team["id"]}, headers=other.headers
        ),
        400,
    )
    assert "parent" in body["errors"]
    body = problem(
        client.post(
            f"{API}/teams",
            json={"slug": "mixed", "name": "Mixed", "members": [{"person": ada["id"]}]},
            headers=other.headers,
        ),
        400,
    )
    assert "members.0.person" in body["errors"]
    assert _members(client.get(url, headers=acme.headers).get_json()) == {(ada["id"], "member")}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "Trainers", "name": "T"}, "slug"),
        ({"slug": "-trainers", "name": "T"}, "slug"),
        ({"slug": "t" * 64, "name": "T"}, "slug"),
        ({"name": "T"}, "slug"),
        ({"slug": "t"}, "name"),
        ({"slug": "t", "name": ""}, "name"),
        ({"slug": "t", "name": 7}, "name"),
        ({"slug": "t", "name": "T", "colour": "red"}, "colour"),
        ({"slug": "t", "name": "T", "parent": "nope"}, "parent"),
        # "nope" could be an employee number: no such person.
        ({"slug": "t", "name": "T", "members": [{"person": "nope"}]}, "members.0.person"),
        (
            {"slug": "t", "name": "T", "members": [{"person": str(uuid.uuid4()), "role": "boss"}]},
            "members",
        ),
        ({"slug": "t", "name": "T", "members": [{"person": str(uuid.uuid4()), "x": 1}]}, "members"),
        ({"slug": "t", "name": "T", "members": "everyone"}, "members"),
    ],
)
def test_bad_team_input(client: Any, make_tenant: Any, body: dict[str, Any], field: str) -> None:
    tenant = make_tenant("acme")
    answer = problem(client.post(f"{API}/teams", json=body, headers=tenant.headers), 400)
    assert field in answer["errors"], answer


def test_bad_member_lists(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    ada = add_person(client, tenant, "E-1")
    team = add_team(client, tenant, "trainers")
    url = f"{API}/teams/{team['id']}/members"
    twice = [{"person": ada["id"]}, {"person": ada["id"], "role": "member"}]
    body = problem(client.put(url, json={"members": twice}, headers=tenant.headers), 400)
    assert "listed twice" in body["detail"]
    problem(client.put(url, json=[{"person": ada["id"]}], headers=tenant.headers), 400)
    problem(client.put(url, json={}, headers=tenant.headers), 400)
    unknown = {"members": [{"person": str(uuid.uuid4())}]}
    assert (
        "members.0.person"
        in problem(client.put(url, json=unknown, headers=tenant.headers), 400)["errors"]
    )
    problem(client.patch(f"{API}/teams/{team['id']}", json={}, headers=tenant.headers), 400)
    headers = {**tenant.headers, "Content-Type": "application/json"}
    problem(client.put(url, data='{"members": [', headers=headers), 400)
    problem(client.put(url, data="[" + "0," * 600_000 + "0]", headers=headers), 413)
    assert (
        client.get(f"{API}/teams/{team['id']}", headers=tenant.headers).get_json()["members"] == []
    )
