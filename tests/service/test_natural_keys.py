"""Identifiers people know: wherever the API takes an id it also takes the natural key —
a person by employee number or e-mail, a team, path or achievement by slug, a sub-goal as
path-slug/sub-goal-slug, a competence as framework-slug:code. Unknown keys are not found,
malformed ones are a 400, and another organisation's keys find nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.factories import load_example

API = "/api/v1"
AINO = "E1003"  # a trainer in the example organisation


def _get(client: Any, headers: dict[str, str], url: str, status: int = 200) -> Any:
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.get_data(as_text=True))
    return response.get_json()


def test_natural_keys_everywhere_an_id_is_taken(app: Any, client: Any, tmp_path: Path) -> None:
    example = load_example(app, tmp_path)
    headers = example.admin_headers
    person = _get(client, headers, f"{API}/people/{AINO}")
    assert person["employeeNumber"] == AINO
    by_email = _get(client, headers, f"{API}/people/{person['email'].upper()}")
    assert by_email["id"] == person["id"]

    # An award by sub-goal path-slug/sub-goal-slug and the person's employee number ...
    award = client.post(
        f"{API}/awards",
        headers=headers,
        json={"subGoal": "digital-strategy-2027/data-protection", "person": AINO},
    )
    assert award.status_code == 201, award.get_json()
    credential = award.get_json()
    assert credential["person"] == person["id"]
    # ... and by achievement slug and e-mail: the same achievement, the same credential.
    again = client.post(
        f"{API}/awards",
        headers=headers,
        json={"achievement": "data-protection", "person": person["email"]},
    )
    assert (again.status_code, again.get_json()["id"]) == (200, credential["id"])

    listed = _get(client, headers, f"{API}/credentials?person={AINO}")["items"]
    assert [c["id"] for c in listed] == [credential["id"]]
    achievement = _get(client, headers, f"{API}/achievements/data-protection")
    assert achievement["id"] == credential["achievement"]
    path = _get(client, headers, f"{API}/paths/digital-strategy-2027")
    assert path["kind"] == "organisation"
    assert _get(client, headers, f"{API}/paths?person={AINO}&kind=individual")["items"]
    team = _get(client, headers, f"{API}/teams/kouluttajat")
    assert person["id"] in {m["person"] for m in team["members"]}
    assert _get(client, headers, f"{API}/people?team=kouluttajat&limit=1000")["items"]
    progress = _get(client, headers, f"{API}/people/{AINO}/paths")["items"]
    assert progress

    # HR asks who holds DigComp 4.2, in the trainers' team, without digging out a UUID.
    holders = _get(client, headers, f"{API}/hr/holders?competence=digcomp22:4.2")["items"]
    assert person["id"] in {h["id"] for h in holders}
    team_holders = _get(
        client, headers, f"{API}/hr/holders?competence=digcomp22:4.2&team=kouluttajat"
    )["items"]
    assert person["id"] in {h["id"] for h in team_holders}
    reserve = _get(client, headers, f"{API}/hr/reserve?team=kouluttajat")
    assert reserve["targets"]
    overview = _get(client, headers, f"{API}/teams/kouluttajat/overview")
    assert overview["team"]["id"] == team["id"]

    # Team members by employee number and e-mail.
    members = client.put(
        f"{API}/teams/{team['id']}/members",
        headers=headers,
        json={"members": [{"person": AINO}, {"person": "E1002", "role": "supervisor"}]},
    )
    assert members.status_code == 200, members.get_json()
    assert {(m["person"], m["role"]) for m in members.get_json()["members"]} == {
        (person["id"], "member"),
        (_get(client, headers, f"{API}/people/E1002")["id"], "supervisor"),
    }


def test_unknown_and_malformed_natural_keys(app: Any, client: Any, tmp_path: Path) -> None:
    example = load_example(app, tmp_path)
    headers = example.admin_headers
    for url in (
        f"{API}/people/E9999",
        f"{API}/people/nobody@example.org",
        f"{API}/teams/no-such-team",
        f"{API}/paths/no-such-path",
        f"{API}/achievements/no-such-badge",
        f"{API}/hr/holders?competence=digcomp22:9.9",
        f"{API}/hr/holders?competence=nosuch:4.2",
        f"{API}/credentials?person=E9999",
    ):
        _get(client, headers, url, 404)
    _get(client, headers, f"{API}/hr/holders?competence=4.2", 400)  # framework missing
    award = client.post(
        f"{API}/awards", headers=headers, json={"subGoal": "data-protection", "person": AINO}
    )
    assert award.status_code == 400  # a sub-goal key names its path
    missing = client.post(
        f"{API}/awards",
        headers=headers,
        json={"subGoal": "digital-strategy-2027/no-such-goal", "person": AINO},
    )
    assert missing.status_code == 404


def test_another_organisations_natural_keys_find_nothing(
    app: Any, client: Any, tmp_path: Path, make_tenant: Any
) -> None:
    load_example(app, tmp_path)
    other = make_tenant("other")
    for url in (
        f"{API}/people/{AINO}",
        f"{API}/teams/kouluttajat",
        f"{API}/paths/digital-strategy-2027",
        f"{API}/achievements/data-protection",
        f"{API}/hr/holders?competence=digcomp22:4.2",
    ):
        _get(client, other.headers, url, 404)
    award = client.post(
        f"{API}/awards",
        headers=other.headers,
        json={"subGoal": "digital-strategy-2027/data-protection", "person": AINO},
    )
    assert award.status_code == 404


def test_natural_keys_in_path_bodies(app: Any, client: Any, tmp_path: Path) -> None:
    example = load_example(app, tmp_path)
    headers = example.admin_headers
    body = {
        "slug": "aino-2027",
        "kind": "individual",
        "name": "Aino 2027",
        "person": "aino.virtanen@esimerkkiopisto.example.org",
        "achievement": "digital-trainer",
        "subGoals": [
            {
                "slug": "privacy",
                "name": "Privacy",
                "achievement": "data-protection",
                "competence": "digcomp22:4.2",
                "level": 3,
            }
        ],
    }
    created = client.post(f"{API}/paths", headers=headers, json=body)
    assert created.status_code == 201, created.get_json()
    path = created.get_json()
    person = _get(client, headers, f"{API}/people/{AINO}")
    achievement = _get(client, headers, f"{API}/achievements/data-protection")
    assert path["person"] == person["id"]
    (goal,) = path["subGoals"]
    assert goal["achievement"] == achievement["id"]
    changed = client.patch(
        f"{API}/paths/aino-2027",
        headers=headers,
        json={
            "addSubGoals": [{"slug": "phishing", "name": "P", "achievement": "phishing-awareness"}]
        },
    )
    assert changed.status_code == 200, changed.get_json()
    approved = client.post(
        f"{API}/paths/aino-2027/approve", headers=headers, json={"supervisor": "E1002"}
    )
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["approvedBy"] == _get(client, headers, f"{API}/people/E1002")["id"]
    team_path = {
        "slug": "trainers-extra",
        "kind": "team",
        "name": "Extra",
        "team": "kouluttajat",
        "targets": [{"competence": "digcomp22:4.2", "level": 3, "share": 0.5, "due": "2027-12-31"}],
        "subGoals": [{"slug": "privacy", "name": "Privacy", "achievement": "data-protection"}],
    }
    assert client.post(f"{API}/paths", headers=headers, json=team_path).status_code == 201
    wrong = dict(team_path, slug="wrong", team="no-such-team")
    answer = client.post(f"{API}/paths", headers=headers, json=wrong)
    assert answer.status_code == 400
    assert "team" in answer.get_json()["errors"]
