"""People API through HTTP: create, read, filter, change, deactivate; duplicates, isolation
between organisations and bad input."""

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
    sub_goal,
)
from tests.factories import award_sub_goal as award

ADA = {
    "employeeNumber": "E-100",
    "email": "Ada.Lovelace@example.org",
    "givenName": "Ada",
    "familyName": "Lovelace",
    "did": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "lmsAccounts": [{"connection": "moodle", "account": "ada"}],
}


def test_create_read_and_list(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    person = created(client.post(f"{API}/people", json=ADA, headers=tenant.headers))
    assert person["employeeNumber"] == "E-100"
    assert person["email"] == "Ada.Lovelace@example.org"
    assert (person["givenName"], person["familyName"]) == ("Ada", "Lovelace")
    assert person["displayName"] == "Ada Lovelace"
    assert person["did"] == ADA["did"]
    assert person["active"] is True
    assert person["lmsAccounts"] == [{"connection": "moodle", "account": "ada"}]
    assert person["teams"] == []
    uuid.UUID(person["id"])

    fetched = client.get(f"{API}/people/{person['id']}", headers=tenant.headers)
    assert fetched.status_code == 200
    assert fetched.get_json() == person

    add_person(client, tenant, "E-200")
    listed = client.get(f"{API}/people", headers=tenant.headers).get_json()["items"]
    assert {p["employeeNumber"] for p in listed} == {"E-100", "E-200"}


def test_filters(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    ada = created(client.post(f"{API}/people", json=ADA, headers=tenant.headers))
    bob = add_person(client, tenant, "E-200")
    add_team(client, tenant, "trainers", members=[{"person": bob["id"]}])

    def ids(query: str) -> list[str]:
        response = client.get(f"{API}/people?{query}", headers=tenant.headers)
        assert response.status_code == 200, response.get_json()
        return [p["id"] for p in response.get_json()["items"]]

    assert ids("employeeNumber=E-100") == [ada["id"]]
    assert ids("email=ada.lovelace@EXAMPLE.org") == [ada["id"]]
    team = client.get(f"{API}/teams", headers=tenant.headers).get_json()["items"][0]
    assert ids(f"team={team['id']}") == [bob["id"]]
    assert ids("employeeNumber=E-999") == []
    assert ids("limit=1&offset=1") in ([ada["id"]], [bob["id"]])
    assert len(ids("limit=1")) == 1


def test_duplicates_conflict(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    created(client.post(f"{API}/people", json=ADA, headers=tenant.headers))
    same_number = {"employeeNumber": "E-100", "email": "other@example.org"}
    body = problem(client.post(f"{API}/people", json=same_number, headers=tenant.headers), 409)
    assert "employee number 'E-100'" in body["detail"]
    same_email = {"employeeNumber": "E-101", "email": "ADA.lovelace@example.org"}
    body = problem(client.post(f"{API}/people", json=same_email, headers=tenant.headers), 409)
    assert "e-mail" in body["detail"]
    same_account = {
        "employeeNumber": "E-102",
        "lmsAccounts": [{"connection": "moodle", "account": "ada"}],
    }
    body = problem(client.post(f"{API}/people", json=same_account, headers=tenant.headers), 409)
    assert "LMS account 'ada' of connection 'moodle'" in body["detail"]
    # The same account name in another connection is another account.
    other_lms = {
        "employeeNumber": "E-103",
        "lmsAccounts": [{"connection": "canvas", "account": "ada"}],
    }
    created(client.post(f"{API}/people", json=other_lms, headers=tenant.headers))
    # Another organisation may use the same identifiers.
    other = make_tenant("other")
    created(client.post(f"{API}/people", json=ADA, headers=other.headers))


def test_patch_changes_given_fields_and_replaces_accounts(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    ada = created(client.post(f"{API}/people", json=ADA, headers=tenant.headers))
    url = f"{API}/people/{ada['id']}"
    accounts = [
        {"connection": "moodle", "account": "ada"},
        {"connection": "lrs", "account": "mailto:ada@example.org"},
    ]
    response = client.patch(
        url, json={"givenName": "Augusta Ada", "lmsAccounts": accounts}, headers=tenant.headers
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["givenName"] == "Augusta Ada"
    assert body["familyName"] == "Lovelace"
    assert sorted(a["connection"] for a in body["lmsAccounts"]) == ["lrs", "moodle"]
    response = client.patch(url, json={"lmsAccounts": [], "did": None}, headers=tenant.headers)
    assert response.get_json()["lmsAccounts"] == []
    assert response.get_json()["did"] is None

    bob = add_person(client, tenant, "E-200")
    body = problem(
        client.patch(
            f"{API}/people/{bob['id']}", json={"email": ADA["email"]}, headers=tenant.headers
        ),
        409,
    )
    assert "belongs to another person" in body["detail"]
    body = problem(
        client.patch(url, json={"employeeNumber": None, "email": None}, headers=tenant.headers), 400
    )
    assert "employee number or an e-mail" in body["detail"]
    # Nothing of the refused changes was stored.
    assert client.get(url, headers=tenant.headers).get_json()["email"] == ADA["email"]


def test_delete_deactivates_and_keeps_credentials(app: Any, client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    ada = created(client.post(f"{API}/people", json=ADA, headers=tenant.headers))
    ids = seed_achievements(app, tenant, "first-aid", "fire-safety")
    path = add_path(client, tenant, "safety", subGoals=[sub_goal("first-aid", ids["first-aid"])])
    credential = award(client, tenant, path["subGoals"][0]["id"], ada["id"])

    response = client.delete(f"{API}/people/{ada['id']}", headers=tenant.headers)
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    again = client.get(f"{API}/people/{ada['id']}", headers=tenant.headers).get_json()
    assert again["active"] is False
    inactive = client.get(f"{API}/people?active=false", headers=tenant.headers).get_json()
    assert [p["id"] for p in inactive["items"]] == [ada["id"]]
    kept = client.get(f"{API}/credentials/{credential['id']}", headers=tenant.headers)
    assert kept.status_code == 200
    assert kept.get_json()["status"] == "active"
    # Deactivated: nothing more is issued to them.
    response = client.post(
        f"{API}/awards",
        headers=tenant.headers,
        json={"achievement": ids["fire-safety"], "person": ada["id"]},
    )
    assert "deactivated" in problem(response, 409)["detail"]


def test_isolation(client: Any, make_tenant: Any) -> None:
    acme, other = make_tenant("acme"), make_tenant("other")
    ada = created(client.post(f"{API}/people", json=ADA, headers=acme.headers))
    url = f"{API}/people/{ada['id']}"
    problem(client.get(url, headers=other.headers), 404)
    problem(client.patch(url, json={"givenName": "Eve"}, headers=other.headers), 404)
    problem(client.delete(url, headers=other.headers), 404)
    problem(client.get(f"{url}/paths", headers=other.headers), 404)
    assert client.get(f"{API}/people", headers=other.headers).get_json()["items"] == []
    found = client.get(f"{API}/people?employeeNumber=E-100", headers=other.headers)
    assert found.get_json()["items"] == []
    # The owner's view is unchanged.
    body = client.get(url, headers=acme.headers).get_json()
    assert (body["givenName"], body["active"]) == ("Ada", True)
    problem(client.get(f"{API}/people/not-a-uuid", headers=acme.headers), 404)


def test_scopes(client: Any, make_tenant: Any) -> None:
    admin = make_tenant("acme")
    reader = make_tenant("acme", scopes=("hr:read",))
    ada = created(client.post(f"{API}/people", json=ADA, headers=admin.headers))
    assert client.get(f"{API}/people/{ada['id']}", headers=reader.headers).status_code == 200
    problem(
        client.post(f"{API}/people", json={"email": "x@example.org"}, headers=reader.headers), 403
    )
    problem(client.delete(f"{API}/people/{ada['id']}", headers=reader.headers), 403)
    problem(client.get(f"{API}/people"), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.org", "nickname": "x"}, "nickname"),
        ({"email": "a@example.org", "givenName": 5}, "givenName"),
        ({"email": "not-an-email"}, "email"),
        ({"employeeNumber": "has space"}, "employeeNumber"),
        ({"employeeNumber": ""}, "employeeNumber"),
        ({"email": "a@example.org", "givenName": "   "}, "givenName"),
        ({"email": "a@example.org", "did": "https://example.org"}, "did"),
        ({"email": "a@example.org", "active": "yes"}, "active"),
        ({"email": "a@example.org", "lmsAccounts": {"moodle": "a"}}, "lmsAccounts"),
        (
            {"email": "a@example.org", "lmsAccounts": [{"connection": "Moodle!", "account": "a"}]},
            "lmsAccounts",
        ),
        ({"email": "a@example.org", "lmsAccounts": [{"connection": "moodle"}]}, "lmsAccounts"),
        (
            {"email": "a@example.org", "lmsAccounts": [{"connection": "m", "account": "a"}] * 2},
            "lmsAccounts",
        ),
        ({}, "employeeNumber"),
    ],
)
def test_bad_person_input(client: Any, make_tenant: Any, body: dict[str, Any], field: str) -> None:
    tenant = make_tenant("acme")
    answer = problem(client.post(f"{API}/people", json=body, headers=tenant.headers), 400)
    assert field in answer["errors"], answer
    assert client.get(f"{API}/people", headers=tenant.headers).get_json()["items"] == []


def test_bad_bodies(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    headers = {**tenant.headers, "Content-Type": "application/json"}
    body = problem(client.post(f"{API}/people", data="{not json", headers=headers), 400)
    assert "not valid JSON" in body["detail"]
    problem(client.post(f"{API}/people", data="[]", headers=headers), 400)
    problem(client.post(f"{API}/people", data="email=a", headers=tenant.headers), 400)
    huge = '{"email": "a@example.org", "givenName": "' + "a" * (1024 * 1024) + '"}'
    problem(client.post(f"{API}/people", data=huge, headers=headers), 413)
    ada = add_person(client, tenant, "E-1")
    problem(client.patch(f"{API}/people/{ada['id']}", json={}, headers=tenant.headers), 400)
    problem(
        client.patch(
            f"{API}/people/{ada['id']}", json={"id": str(uuid.uuid4())}, headers=tenant.headers
        ),
        400,
    )
    # "nope" could be a team slug: not found, like any unknown team.
    problem(client.get(f"{API}/people?team=nope", headers=tenant.headers), 404)
    problem(client.get(f"{API}/people?limit=0", headers=tenant.headers), 400)
    problem(client.get(f"{API}/people?colour=red", headers=tenant.headers), 400)


def test_a_uniqueness_race_is_a_conflict(
    client: Any, make_tenant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request storing the same account between check and write: the database rule
    answers, and the client gets a 409, not a 500."""
    tenant = make_tenant("acme")
    created(client.post(f"{API}/people", json=ADA, headers=tenant.headers))
    monkeypatch.setattr("badgeservice.people.services.check_accounts", lambda *_: None)
    body = {"employeeNumber": "E-2", "lmsAccounts": [{"connection": "moodle", "account": "ada"}]}
    answer = problem(client.post(f"{API}/people", json=body, headers=tenant.headers), 409)
    assert "stored meanwhile" in answer["detail"]
    assert len(client.get(f"{API}/people", headers=tenant.headers).get_json()["items"]) == 1
