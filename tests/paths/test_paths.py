"""Paths API through HTTP: organisation and team paths with targets, sub-goals, triggers and
prerequisites; changing and deleting them; isolation between organisations."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import (
    API,
    add_path,
    add_person,
    add_team,
    created,
    problem,
    seed_achievements,
    seed_competence,
    sub_goal,
)
from tests.factories import award_sub_goal as award

SLUGS = ("video-basics", "video-editing", "accessibility", "content-creator")


@pytest.fixture
def acme(app: Any, make_tenant: Any) -> Any:
    tenant = make_tenant("acme")
    tenant.achievements = seed_achievements(app, tenant, *SLUGS)
    tenant.competence = seed_competence(app, tenant)
    return tenant


def _content_path(tenant: Any, team: str | None = None) -> dict[str, Any]:
    ids, competence = tenant.achievements, tenant.competence
    return {
        "slug": "digital-content",
        "kind": "organisation",
        "name": "Digital content 2027",
        "description": "Every trainer produces accessible learning videos.",
        "achievement": ids["content-creator"],
        "targets": [
            {"competence": competence, "level": 4, "share": 0.8, "due": "2027-06-30", "team": team}
        ],
        "subGoals": [
            sub_goal(
                "video-basics",
                ids["video-basics"],
                competence=competence,
                level=3,
                triggers=[
                    {"kind": "lms", "connection": "moodle", "activity": "course:101"},
                    {"kind": "manual"},
                ],
            ),
            sub_goal(
                "video-editing",
                ids["video-editing"],
                competence=competence,
                level=4,
                prerequisites=["video-basics"],
                triggers=[
                    {
                        "kind": "xapi",
                        "connection": "lrs",
                        "activity": "https://lms.example.org/xapi/activities/edit",
                    }
                ],
            ),
            sub_goal(
                "accessibility",
                ids["accessibility"],
                required=False,
                triggers=[{"kind": "evidence"}],
            ),
        ],
    }


def test_create_and_read_organisation_path(client: Any, acme: Any) -> None:
    team = add_team(client, acme, "trainers")
    path = created(
        client.post(f"{API}/paths", json=_content_path(acme, team["id"]), headers=acme.headers)
    )
    assert (path["kind"], path["team"], path["person"]) == ("organisation", None, None)
    assert path["achievement"] == acme.achievements["content-creator"]
    assert path["targets"] == [
        {
            "competence": acme.competence,
            "level": 4,
            "share": 0.8,
            "due": "2027-06-30",
            "team": team["id"],
            "position": 1,
        }
    ]
    goals = path["subGoals"]
    assert [g["slug"] for g in goals] == ["video-basics", "video-editing", "accessibility"]
    assert [g["position"] for g in goals] == [1, 2, 3]
    assert [g["required"] for g in goals] == [True, True, False]
    assert goals[0]["achievement"] == acme.achievements["video-basics"]
    assert (goals[0]["competence"], goals[0]["level"]) == (acme.competence, 3)
    assert goals[1]["prerequisites"] == ["video-basics"]
    # The trigger shape integrators read: exactly kind, connection, activity.
    assert goals[0]["triggers"] == [
        {"kind": "lms", "connection": "moodle", "activity": "course:101"},
        {"kind": "manual", "connection": None, "activity": None},
    ]
    assert goals[1]["triggers"] == [
        {
            "kind": "xapi",
            "connection": "lrs",
            "activity": "https://lms.example.org/xapi/activities/edit",
        }
    ]
    assert "inherited" not in path
    fetched = client.get(f"{API}/paths/{path['id']}", headers=acme.headers)
    assert fetched.status_code == 200
    assert fetched.get_json() == path


def test_team_path_and_filters(client: Any, acme: Any) -> None:
    team = add_team(client, acme, "trainers")
    ids = acme.achievements
    org = created(client.post(f"{API}/paths", json=_content_path(acme), headers=acme.headers))
    team_path = add_path(
        client,
        acme,
        "trainers-video",
        "team",
        team=team["id"],
        subGoals=[sub_goal("editing", ids["video-editing"])],
    )
    assert team_path["team"] == team["id"]
    person = add_person(client, acme, "E-1")
    own = add_path(client, acme, "e1-plan", "individual", person=person["id"])

    def slugs(query: str) -> list[str]:
        response = client.get(f"{API}/paths?{query}", headers=acme.headers)
        assert response.status_code == 200, response.get_json()
        return [p["slug"] for p in response.get_json()["items"]]

    assert slugs("") == ["digital-content", "e1-plan", "trainers-video"]
    assert slugs("kind=team") == ["trainers-video"]
    assert slugs("kind=organisation") == [org["slug"]]
    assert slugs(f"team={team['id']}") == ["trainers-video"]
    assert slugs(f"person={person['id']}") == [own["slug"]]
    assert slugs("limit=1&offset=1") == ["e1-plan"]
    listed = client.get(f"{API}/paths?kind=organisation", headers=acme.headers).get_json()
    assert listed["items"][0]["subGoals"][1]["prerequisites"] == ["video-basics"]
    problem(client.get(f"{API}/paths?kind=weekly", headers=acme.headers), 400)


@pytest.mark.parametrize(
    ("kind", "owner", "field", "message"),
    [
        ("team", {}, "team", "needs a team"),
        ("individual", {}, "person", "needs a person"),
        ("organisation", {"team": "TEAM"}, "team", "only team paths"),
        ("organisation", {"person": "PERSON"}, "person", "only individual paths"),
        ("team", {"team": "TEAM", "person": "PERSON"}, "person", "only individual paths"),
        ("individual", {"person": "PERSON", "team": "TEAM"}, "team", "only team paths"),
        ("team", {"team": "RANDOM"}, "team", "no team"),
        ("individual", {"person": "RANDOM"}, "person", "no person"),
    ],
)
def test_kind_decides_team_and_person(
    client: Any, acme: Any, kind: str, owner: dict[str, str], field: str, message: str
) -> None:
    refs = {
        "TEAM": add_team(client, acme, "trainers")["id"],
        "PERSON": add_person(client, acme, "E-1")["id"],
        "RANDOM": str(uuid.uuid4()),
    }
    body = {"slug": "p", "kind": kind, "name": "P", **{k: refs[v] for k, v in owner.items()}}
    answer = problem(client.post(f"{API}/paths", json=body, headers=acme.headers), 400)
    assert message in answer["errors"][field][0], answer


def test_patch_adds_and_replaces_sub_goals(client: Any, acme: Any) -> None:
    ids = acme.achievements
    path = created(client.post(f"{API}/paths", json=_content_path(acme), headers=acme.headers))
    url = f"{API}/paths/{path['id']}"
    old = {g["slug"]: g["id"] for g in path["subGoals"]}

    added = client.patch(
        url,
        json={
            "name": "Digital content 2028",
            "addSubGoals": [
                sub_goal("publishing", ids["content-creator"], prerequisites=["video-editing"])
            ],
        },
        headers=acme.headers,
    )
    assert added.status_code == 200, added.get_json()
    body = added.get_json()
    assert body["name"] == "Digital content 2028"
    assert [g["slug"] for g in body["subGoals"]][-1] == "publishing"
    assert body["subGoals"][-1]["position"] == 4
    assert {g["slug"]: g["id"] for g in body["subGoals"][:3]} == old

    replaced = client.patch(
        url,
        json={
            "subGoals": [
                sub_goal("video-editing", ids["video-editing"], triggers=[{"kind": "manual"}]),
                sub_goal("review", ids["accessibility"], prerequisites=["video-editing"]),
            ]
        },
        headers=acme.headers,
    ).get_json()
    goals = {g["slug"]: g for g in replaced["subGoals"]}
    assert set(goals) == {"video-editing", "review"}
    assert goals["video-editing"]["id"] == old["video-editing"]
    assert goals["video-editing"]["prerequisites"] == []
    assert goals["video-editing"]["triggers"] == [
        {"kind": "manual", "connection": None, "activity": None}
    ]
    assert goals["review"]["prerequisites"] == ["video-editing"]
    assert client.get(url, headers=acme.headers).get_json() == replaced

    cleared = client.patch(
        url, json={"achievement": None, "description": None, "targets": []}, headers=acme.headers
    ).get_json()
    assert (cleared["achievement"], cleared["description"], cleared["targets"]) == (None, None, [])
    assert len(cleared["subGoals"]) == 2
    body = problem(
        client.patch(
            url,
            json={"addSubGoals": [sub_goal("review", ids["accessibility"])]},
            headers=acme.headers,
        ),
        400,
    )
    assert "used twice" in body["errors"]["addSubGoals"]["0"]["slug"][0]


def test_credentials_protect_paths_and_sub_goals(client: Any, acme: Any) -> None:
    path = created(client.post(f"{API}/paths", json=_content_path(acme), headers=acme.headers))
    url = f"{API}/paths/{path['id']}"
    person = add_person(client, acme, "E-1")
    award(client, acme, path["subGoals"][0]["id"], person["id"])
    keep_others = [sub_goal("video-editing", acme.achievements["video-editing"])]
    body = problem(client.patch(url, json={"subGoals": keep_others}, headers=acme.headers), 409)
    assert "'video-basics' has credentials" in body["detail"]
    assert "credentials" in problem(client.delete(url, headers=acme.headers), 409)["detail"]
    assert len(client.get(url, headers=acme.headers).get_json()["subGoals"]) == 3

    unused = add_path(
        client, acme, "unused", subGoals=[sub_goal("basics", acme.achievements["video-basics"])]
    )
    response = client.delete(f"{API}/paths/{unused['id']}", headers=acme.headers)
    assert response.status_code == 204
    problem(client.get(f"{API}/paths/{unused['id']}", headers=acme.headers), 404)


def test_slug_conflict(client: Any, acme: Any) -> None:
    created(client.post(f"{API}/paths", json=_content_path(acme), headers=acme.headers))
    body = problem(client.post(f"{API}/paths", json=_content_path(acme), headers=acme.headers), 409)
    assert "digital-content" in body["detail"]


def test_isolation(app: Any, client: Any, acme: Any, make_tenant: Any) -> None:
    other = make_tenant("other")
    other.achievements = seed_achievements(app, other, "own-badge")
    path = created(client.post(f"{API}/paths", json=_content_path(acme), headers=acme.headers))
    url = f"{API}/paths/{path['id']}"
    problem(client.get(url, headers=other.headers), 404)
    problem(client.patch(url, json={"name": "Mine"}, headers=other.headers), 404)
    problem(client.delete(url, headers=other.headers), 404)
    problem(
        client.post(
            f"{url}/approve", json={"supervisor": str(uuid.uuid4())}, headers=other.headers
        ),
        404,
    )
    assert client.get(f"{API}/paths", headers=other.headers).get_json()["items"] == []
    assert client.get(url, headers=acme.headers).get_json()["name"] == path["name"]

    # A sub-goal of acme cannot be awarded by the other organisation either.
    eve = add_person(client, other, "E-9")
    problem(
        client.post(
            f"{API}/awards",
            json={"subGoal": path["subGoals"][0]["id"], "person": eve["id"]},
            headers=other.headers,
        ),
        404,
    )

    # Another organisation's achievements, competences, teams and people are refused.
    team = add_team(client, acme, "trainers")
    foreign = {**_content_path(acme, team["id"]), "slug": "stolen"}
    answer = problem(client.post(f"{API}/paths", json=foreign, headers=other.headers), 400)
    errors = answer["errors"]
    assert "no achievement" in errors["achievement"][0]
    assert "no achievement" in errors["subGoals"]["0"]["achievement"][0]
    assert "no competence" in errors["subGoals"]["0"]["competence"][0]
    assert "no competence" in errors["targets"]["0"]["competence"][0]
    assert "no team" in errors["targets"]["0"]["team"][0]
    own = add_path(client, other, "own", subGoals=[sub_goal("a", other.achievements["own-badge"])])
    answer = problem(
        client.patch(
            f"{API}/paths/{own['id']}",
            json={"addSubGoals": [sub_goal("b", acme.achievements["video-basics"])]},
            headers=other.headers,
        ),
        400,
    )
    assert "addSubGoals" in answer["errors"]
    ada = add_person(client, acme, "E-1")
    answer = problem(
        client.post(
            f"{API}/paths",
            json={"slug": "x", "kind": "individual", "name": "X", "person": ada["id"]},
            headers=other.headers,
        ),
        400,
    )
    assert "no person" in answer["errors"]["person"][0]
    answer = problem(
        client.post(
            f"{API}/paths",
            json={"slug": "x", "kind": "team", "name": "X", "team": team["id"]},
            headers=other.headers,
        ),
        400,
    )
    assert "no team" in answer["errors"]["team"][0]
