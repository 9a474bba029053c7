"""Individual paths: what they inherit from the organisation and team paths, and approval by
a supervisor of one of the person's teams."""

from __future__ import annotations

import uuid
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
    seed_competence,
    sub_goal,
)


@pytest.fixture
def org(app: Any, client: Any, make_tenant: Any) -> SimpleNamespace:
    """Acme: Aino in the trainers team supervised by Sami; Pekka supervises the advisers;
    an organisation path (one required, one optional sub-goal) and a trainers' team path."""
    tenant = make_tenant("acme")
    ids = seed_achievements(app, tenant, "safety", "wellbeing", "video", "podcast", "plan")
    aino, sami, pekka = (add_person(client, tenant, n) for n in ("E-1", "E-2", "E-3"))
    trainers = add_team(
        client,
        tenant,
        "trainers",
        members=[{"person": aino["id"]}, {"person": sami["id"], "role": "supervisor"}],
    )
    add_team(client, tenant, "advisers", members=[{"person": pekka["id"], "role": "supervisor"}])
    organisation = add_path(
        client,
        tenant,
        "all-staff",
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
        subGoals=[sub_goal("video", ids["video"])],
    )
    return SimpleNamespace(
        tenant=tenant,
        ids=ids,
        aino=aino,
        sami=sami,
        pekka=pekka,
        trainers=trainers,
        organisation=organisation,
        team=team,
    )


def _plan(client: Any, org: SimpleNamespace, **fields: Any) -> dict[str, Any]:
    return add_path(
        client,
        org.tenant,
        "aino-2027",
        "individual",
        person=org.aino["id"],
        subGoals=[sub_goal("podcast", org.ids["podcast"])],
        **fields,
    )


def test_individual_path_shows_inherited_sub_goals(client: Any, org: SimpleNamespace) -> None:
    path = _plan(client, org)
    assert path["person"] == org.aino["id"]
    assert [g["slug"] for g in path["subGoals"]] == ["podcast"]
    inherited = {g["slug"]: g["path"] for g in path["inherited"]}
    assert inherited == {"safety": org.organisation["id"], "video": org.team["id"]}
    fetched = client.get(f"{API}/paths/{path['id']}", headers=org.tenant.headers).get_json()
    assert fetched["inherited"] == path["inherited"]
    assert fetched["inherited"][0]["triggers"] == []

    # Someone outside every team inherits only the organisation path.
    outsider = add_person(client, org.tenant, "E-9")
    own = add_path(client, org.tenant, "e9-plan", "individual", person=outsider["id"])
    assert [g["slug"] for g in own["inherited"]] == ["safety"]
    assert own["subGoals"] == []


def test_individual_paths_have_no_targets(client: Any, app: Any, org: SimpleNamespace) -> None:
    target = {
        "competence": seed_competence(app, org.tenant),
        "level": 3,
        "share": 1,
        "due": "2027-06-30",
    }
    body = {
        "slug": "p",
        "kind": "individual",
        "name": "P",
        "person": org.aino["id"],
        "targets": [target],
    }
    answer = problem(client.post(f"{API}/paths", json=body, headers=org.tenant.headers), 400)
    assert "targets belong to organisation and team paths" in answer["errors"]["targets"][0]


def test_supervisor_approves_once(client: Any, org: SimpleNamespace) -> None:
    path = _plan(client, org)
    assert (path["approvedBy"], path["approvedAt"]) == (None, None)
    url = f"{API}/paths/{path['id']}/approve"
    response = client.post(url, json={"supervisor": org.sami["id"]}, headers=org.tenant.headers)
    assert response.status_code == 200, response.get_json()
    approved = response.get_json()
    assert approved["approvedBy"] == org.sami["id"]
    assert approved["approvedAt"]
    stored = client.get(f"{API}/paths/{path['id']}", headers=org.tenant.headers).get_json()
    assert (stored["approvedBy"], stored["approvedAt"]) == (
        approved["approvedBy"],
        approved["approvedAt"],
    )

    again = problem(
        client.post(url, json={"supervisor": org.sami["id"]}, headers=org.tenant.headers), 409
    )
    assert "approved already" in again["detail"]


@pytest.mark.parametrize(
    ("who", "status", "text"),
    [
        ("pekka", 403, "not a supervisor of any team"),  # supervises another team
        ("aino", 403, "own path"),
        ("colleague", 403, "not a supervisor"),  # a member of the same team, no supervisor
        ("nobody", 400, "no person"),
    ],
)
def test_only_a_supervisor_of_the_persons_team_approves(
    client: Any, org: SimpleNamespace, who: str, status: int, text: str
) -> None:
    colleague = add_person(client, org.tenant, "E-4")
    client.put(
        f"{API}/teams/{org.trainers['id']}/members",
        headers=org.tenant.headers,
        json={
            "members": [
                {"person": org.aino["id"]},
                {"person": colleague["id"]},
                {"person": org.sami["id"], "role": "supervisor"},
            ]
        },
    )
    supervisor = {
        "pekka": org.pekka["id"],
        "aino": org.aino["id"],
        "colleague": colleague["id"],
        "nobody": str(uuid.uuid4()),
    }[who]
    path = _plan(client, org)
    answer = problem(
        client.post(
            f"{API}/paths/{path['id']}/approve",
            json={"supervisor": supervisor},
            headers=org.tenant.headers,
        ),
        status,
    )
    assert text in answer["detail"]
    stored = client.get(f"{API}/paths/{path['id']}", headers=org.tenant.headers).get_json()
    assert stored["approvedBy"] is None


def test_approval_rules(client: Any, make_tenant: Any, org: SimpleNamespace) -> None:
    headers = org.tenant.headers
    answer = problem(
        client.post(
            f"{API}/paths/{org.team['id']}/approve",
            json={"supervisor": org.sami["id"]},
            headers=headers,
        ),
        409,
    )
    assert "only individual paths" in answer["detail"]
    path = _plan(client, org)
    url = f"{API}/paths/{path['id']}/approve"
    # A deactivated supervisor no longer approves.
    client.delete(f"{API}/people/{org.sami['id']}", headers=headers)
    assert (
        "deactivated"
        in problem(client.post(url, json={"supervisor": org.sami["id"]}, headers=headers), 403)[
            "detail"
        ]
    )
    # Another organisation's person is no supervisor here.
    other = make_tenant("other")
    boss = add_person(client, other, "B-1")
    problem(client.post(url, json={"supervisor": boss["id"]}, headers=headers), 400)
    for body in ({}, {"supervisor": "sami"}, {"supervisor": org.sami["id"], "note": "ok"}):
        problem(client.post(url, json=body, headers=headers), 400)
    problem(
        client.post(url, data="{", headers={**headers, "Content-Type": "application/json"}), 400
    )


def test_a_changed_plan_needs_approving_again(client: Any, org: SimpleNamespace) -> None:
    path = _plan(client, org)
    url = f"{API}/paths/{path['id']}"
    headers = org.tenant.headers
    client.post(f"{url}/approve", json={"supervisor": org.sami["id"]}, headers=headers)
    renamed = client.patch(url, json={"name": "Aino's plan"}, headers=headers).get_json()
    assert renamed["approvedBy"] == org.sami["id"]
    same = client.patch(
        url, json={"subGoals": [sub_goal("podcast", org.ids["podcast"])]}, headers=headers
    ).get_json()
    assert same["approvedBy"] == org.sami["id"]
    extended = client.patch(
        url, json={"addSubGoals": [sub_goal("plan", org.ids["plan"])]}, headers=headers
    ).get_json()
    assert (extended["approvedBy"], extended["approvedAt"]) == (None, None)
    again = client.post(f"{url}/approve", json={"supervisor": org.sami["id"]}, headers=headers)
    assert again.status_code == 200


def test_deactivated_person_gets_no_new_path(client: Any, org: SimpleNamespace) -> None:
    client.delete(f"{API}/people/{org.aino['id']}", headers=org.tenant.headers)
    body = {"slug": "late", "kind": "individual", "name": "Late", "person": org.aino["id"]}
    answer = problem(client.post(f"{API}/paths", json=body, headers=org.tenant.headers), 400)
    assert "deactivated" in answer["errors"]["person"][0]
