"""A person's paths and progress: awards mark sub-goals achieved, and completing every
required sub-goal of a path with a badge issues the path credential."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.factories import (
    API,
    add_path,
    add_person,
    add_team,
    problem,
    seed_achievements,
    sub_goal,
)
from tests.factories import award_sub_goal as award


@pytest.fixture
def org(app: Any, client: Any, make_tenant: Any) -> SimpleNamespace:
    tenant = make_tenant("acme")
    ids = seed_achievements(
        app,
        tenant,
        "safety",
        "wellbeing",
        "video",
        "editing",
        "podcast",
        "all-staff-badge",
        "media-badge",
        "plan-badge",
    )
    aino, bob = add_person(client, tenant, "E-1"), add_person(client, tenant, "E-2")
    trainers = add_team(client, tenant, "trainers", members=[{"person": aino["id"]}])
    organisation = add_path(
        client,
        tenant,
        "all-staff",
        achievement=ids["all-staff-badge"],
        subGoals=[
            sub_goal("safety", ids["safety"]),
            sub_goal("wellbeing", ids["wellbeing"], required=False),
        ],
    )
    team = add_path(
        client,
        tenant,
        "trainer-media",
        "team",
        team=trainers["id"],
        achievement=ids["media-badge"],
        subGoals=[
            sub_goal("video", ids["video"]),
            sub_goal("editing", ids["editing"], prerequisites=["video"]),
        ],
    )
    return SimpleNamespace(
        tenant=tenant,
        ids=ids,
        aino=aino,
        bob=bob,
        trainers=trainers,
        organisation=organisation,
        team=team,
    )


def _progress(client: Any, org: SimpleNamespace, person: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"{API}/people/{person['id']}/paths", headers=org.tenant.headers)
    assert response.status_code == 200, response.get_json()
    return {item["slug"]: item for item in response.get_json()["items"]}


def _achieved(item: dict[str, Any]) -> dict[str, bool]:
    return {goal["slug"]: goal["achieved"] for goal in item["subGoals"]}


def test_paths_of_a_person(client: Any, org: SimpleNamespace) -> None:
    own = add_path(
        client,
        org.tenant,
        "aino-2027",
        "individual",
        person=org.aino["id"],
        subGoals=[sub_goal("podcast", org.ids["podcast"])],
    )
    add_path(client, org.tenant, "bob-2027", "individual", person=org.bob["id"])
    paths = _progress(client, org, org.aino)
    assert set(paths) == {"all-staff", "trainer-media", "aino-2027"}
    assert set(_progress(client, org, org.bob)) == {"all-staff", "bob-2027"}
    start = paths["all-staff"]
    assert start["kind"] == "organisation"
    assert start["achievement"] == org.ids["all-staff-badge"]
    assert _achieved(start) == {"safety": False, "wellbeing": False}
    assert (start["requiredTotal"], start["requiredAchieved"], start["share"]) == (1, 0, 0.0)
    assert start["complete"] is False
    plan = paths["aino-2027"]
    assert plan["id"] == own["id"]
    assert [(g["slug"], g["inherited"], g["required"]) for g in plan["subGoals"]] == [
        ("podcast", False, True),
        ("safety", True, True),
        ("video", True, True),
        ("editing", True, True),
    ]
    assert plan["requiredTotal"] == 4


def test_awards_mark_progress_and_issue_path_badges(client: Any, org: SimpleNamespace) -> None:
    plan = add_path(
        client,
        org.tenant,
        "aino-2027",
        "individual",
        person=org.aino["id"],
        achievement=org.ids["plan-badge"],
        subGoals=[sub_goal("podcast", org.ids["podcast"])],
    )
    video, editing = org.team["subGoals"]

    first = award(client, org.tenant, video["id"], org.aino["id"])
    assert first["pathCredentials"] == []
    paths = _progress(client, org, org.aino)
    assert _achieved(paths["trainer-media"]) == {"video": True, "editing": False}
    assert (paths["trainer-media"]["share"], paths["trainer-media"]["complete"]) == (0.5, False)
    assert _achieved(paths["aino-2027"])["video"] is True

    # The last required sub-goal of the team path issues its badge.
    second = award(client, org.tenant, editing["id"], org.aino["id"])
    badges = second["pathCredentials"]
    assert [(b["achievement"], b["path"]) for b in badges] == [
        (org.ids["media-badge"], org.team["id"])
    ]
    assert badges[0]["person"] == org.aino["id"]
    assert badges[0]["credential"]["credentialSubject"]["achievement"]["name"] == "Media badge"
    paths = _progress(client, org, org.aino)
    assert paths["trainer-media"]["complete"] is True
    assert paths["trainer-media"]["share"] == 1.0
    assert paths["all-staff"]["complete"] is False

    # The organisation path is done with its one required sub-goal; the optional one is not
    # needed. The individual path still waits for its own sub-goal.
    third = award(client, org.tenant, org.organisation["subGoals"][0]["id"], org.aino["id"])
    assert [b["path"] for b in third["pathCredentials"]] == [org.organisation["id"]]
    paths = _progress(client, org, org.aino)
    assert paths["all-staff"]["complete"] is True
    assert (paths["aino-2027"]["requiredAchieved"], paths["aino-2027"]["complete"]) == (3, False)

    # Its own sub-goal completes the individual path, inherited ones included.
    last = award(client, org.tenant, plan["subGoals"][0]["id"], org.aino["id"])
    assert [b["path"] for b in last["pathCredentials"]] == [plan["id"]]
    assert _progress(client, org, org.aino)["aino-2027"]["complete"] is True

    # Bob, in no team, saw none of this.
    assert _achieved(_progress(client, org, org.bob)["all-staff"])["safety"] is False


def test_revoked_credential_no_longer_counts(client: Any, org: SimpleNamespace) -> None:
    video = org.team["subGoals"][0]
    credential = award(client, org.tenant, video["id"], org.aino["id"])
    client.post(
        f"{API}/credentials/{credential['id']}/revoke",
        json={"reason": "mistake"},
        headers=org.tenant.headers,
    )
    assert _achieved(_progress(client, org, org.aino)["trainer-media"])["video"] is False


def test_progress_isolation(client: Any, org: SimpleNamespace, make_tenant: Any) -> None:
    other = make_tenant("other")
    problem(client.get(f"{API}/people/{org.aino['id']}/paths", headers=other.headers), 404)
    eve = add_person(client, other, "E-1")
    response = client.get(f"{API}/people/{eve['id']}/paths", headers=other.headers)
    assert response.get_json() == {"items": []}
    reader = make_tenant("acme", scopes=("hr:read",))
    response = client.get(f"{API}/people/{org.aino['id']}/paths", headers=reader.headers)
    assert response.status_code == 200


def test_an_individual_path_of_inherited_goals_only_earns_its_badge(
    client: Any, org: SimpleNamespace
) -> None:
    add_path(
        client,
        org.tenant,
        "bob-2027",
        "individual",
        person=org.bob["id"],
        achievement=org.ids["plan-badge"],
    )
    safety = org.organisation["subGoals"][0]
    result = award(client, org.tenant, safety["id"], org.bob["id"])
    earned = {b["achievement"] for b in result["pathCredentials"]}
    assert earned == {org.ids["all-staff-badge"], org.ids["plan-badge"]}
