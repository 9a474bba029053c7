"""SCIM Groups are teams; supervisors follow the members' managers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scim.support import ENTERPRISE, GROUP, Idp, scim_error

API = "/api/v1"


@pytest.fixture
def idp(client: Any, make_tenant: Any) -> Idp:
    return Idp(client, make_tenant("acme", scopes=("scim",)).token)


@pytest.fixture
def admin(client: Any, make_tenant: Any) -> Any:
    tenant = make_tenant("acme", scopes=("admin",))

    def call(method: str, path: str, body: Any = None) -> Any:
        return client.open(f"{API}{path}", method=method, json=body, headers=tenant.headers)

    return call


def _group(name: str, *members: str, **attributes: Any) -> dict[str, Any]:
    return {
        "schemas": [GROUP],
        "displayName": name,
        "members": [{"value": m} for m in members],
        **attributes,
    }


def _roles(admin: Any, team_id: str) -> set[tuple[str, str]]:
    team = admin("GET", f"/teams/{team_id}").get_json()
    return {(m["person"], m["role"]) for m in team["members"]}


def test_groups_are_teams_with_derived_slugs_and_supervisors(idp: Idp, admin: Any) -> None:
    chief = idp.create_user("chief@x.org")
    lead = idp.create_user("lead@x.org", **{ENTERPRISE: {"manager": {"value": chief["id"]}}})
    a = idp.create_user("a@x.org", **{ENTERPRISE: {"manager": {"value": lead["id"]}}})
    b = idp.create_user("b@x.org")

    created = idp.ok(
        "POST", "/Groups", _group("Kouluttajat Äö", lead["id"], a["id"], externalId="g1"), 201
    )
    assert created["displayName"] == "Kouluttajat Äö"
    assert {m["value"] for m in created["members"]} == {lead["id"], a["id"]}
    assert created["meta"]["location"].endswith(f"/scim/v2/Groups/{created['id']}")
    team = admin("GET", f"/teams/{created['id']}").get_json()
    assert team["slug"] == "kouluttajat-ao"
    assert team["name"] == "Kouluttajat Äö"
    # Supervisors: the active managers of the members (the lead is both).
    assert _roles(admin, created["id"]) == {
        (lead["id"], "member"),
        (a["id"], "member"),
        (lead["id"], "supervisor"),
        (chief["id"], "supervisor"),
    }
    same_name = idp.ok("POST", "/Groups", _group("Kouluttajat Äö"), 201)
    assert admin("GET", f"/teams/{same_name['id']}").get_json()["slug"] == "kouluttajat-ao-2"
    scim_error(idp.call("POST", "/Groups", _group("Other", externalId="g1")), 409, "uniqueness")

    # PATCH membership as Entra ID and Okta send it.
    path = f"/Groups/{created['id']}"
    idp.patch(path, {"op": "Add", "path": "members", "value": [{"value": b["id"]}]})
    idp.patch(path, {"op": "Remove", "path": "members", "value": [{"value": a["id"]}]})
    assert _roles(admin, created["id"]) == {
        (lead["id"], "member"),
        (b["id"], "member"),
        (chief["id"], "supervisor"),
    }
    patched = idp.patch(path, {"op": "remove", "path": f'members[value eq "{lead["id"]}"]'})
    assert [m["value"] for m in patched["members"]] == [b["id"]]
    assert _roles(admin, created["id"]) == {(b["id"], "member")}

    # A manager change on a User moves the supervisor role with it.
    idp.patch(
        f"/Users/{b['id']}", {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": lead["id"]}
    )
    assert (lead["id"], "supervisor") in _roles(admin, created["id"])
    # A deactivated manager supervises nobody; reactivated, again.
    idp.patch(f"/Users/{lead['id']}", {"op": "replace", "path": "active", "value": False})
    assert (lead["id"], "supervisor") not in _roles(admin, created["id"])
    idp.patch(f"/Users/{lead['id']}", {"op": "replace", "path": "active", "value": True})
    assert (lead["id"], "supervisor") in _roles(admin, created["id"])

    # Rename keeps the slug; replace-all membership.
    renamed = idp.patch(
        path,
        {"op": "replace", "value": {"displayName": "Trainers", "id": created["id"]}},
        {"op": "replace", "path": "members", "value": [{"value": a["id"]}]},
    )
    assert renamed["displayName"] == "Trainers"
    assert [m["value"] for m in renamed["members"]] == [a["id"]]
    assert admin("GET", f"/teams/{created['id']}").get_json()["slug"] == "kouluttajat-ao"

    listed = idp.ok("GET", '/Groups?filter=displayName eq "trainers"')
    assert [g["id"] for g in listed["Resources"]] == [created["id"]]
    assert idp.ok("GET", '/Groups?filter=externalId eq "g1"')["totalResults"] == 1
    assert idp.ok("GET", f'/Groups?filter=members.value eq "{a["id"]}"')["totalResults"] == 1
    assert (
        idp.ok("GET", "/Groups?excludedAttributes=members")["Resources"][0].get("members") is None
    )
    scim_error(idp.call("GET", '/Groups?filter=userName eq "x"'), 400, "invalidFilter")


def test_group_members_must_be_users_of_the_organisation(
    idp: Idp, client: Any, make_tenant: Any
) -> None:
    other = Idp(client, make_tenant("globex", scopes=("scim",)).token)
    foreign = other.create_user("f@x.org")
    scim_error(idp.call("POST", "/Groups", _group("T", foreign["id"])), 400, "invalidValue")
    scim_error(idp.call("POST", "/Groups", _group("T", "not-an-id")), 400, "invalidValue")
    scim_error(
        idp.call(
            "POST",
            "/Groups",
            {
                "schemas": [GROUP],
                "displayName": "T",
                "members": [{"value": foreign["id"], "type": "Group"}],
            },
        ),
        400,
        "invalidValue",
    )
    scim_error(idp.call("POST", "/Groups", {"schemas": [GROUP]}), 400, "invalidValue")
    mine = idp.ok("POST", "/Groups", _group("Mine"), 201)
    scim_error(other.call("GET", f"/Groups/{mine['id']}"), 404)
    scim_error(other.call("DELETE", f"/Groups/{mine['id']}"), 404)
    assert other.ok("GET", "/Groups")["totalResults"] == 0


def test_put_keeps_members_added_outside_scim(idp: Idp, admin: Any) -> None:
    person = admin("POST", "/people", {"employeeNumber": "X1"}).get_json()
    user = idp.create_user("u@x.org")
    created = idp.ok("POST", "/Groups", _group("Mixed", user["id"]), 201)
    admin(
        "PUT",
        f"/teams/{created['id']}/members",
        {"members": [{"person": person["id"]}, {"person": user["id"]}]},
    )
    replaced = idp.ok("PUT", f"/Groups/{created['id']}", _group("Mixed"))
    assert replaced["members"] == []
    assert _roles(admin, created["id"]) == {(person["id"], "member")}


def test_delete_group_refuses_when_paths_refer_to_it(idp: Idp, admin: Any, app: Any) -> None:
    from badgeservice.db import database, session_scope
    from badgeservice.paths.models import Path
    from badgeservice.people.models import Team

    user = idp.create_user("u@x.org")
    kept = idp.ok("POST", "/Groups", _group("Has path", user["id"]), 201)
    gone = idp.ok("POST", "/Groups", _group("No path", user["id"]), 201)
    with app.app_context(), session_scope(database()) as session:
        team = session.get(Team, __import__("uuid").UUID(kept["id"]))
        session.add(
            Path(
                organisation_id=team.organisation_id,
                slug="p",
                kind="team",
                name="P",
                team_id=team.id,
            )
        )
    scim_error(idp.call("DELETE", f"/Groups/{kept['id']}"), 409)
    assert idp.call("DELETE", f"/Groups/{gone['id']}").status_code == 204
    scim_error(idp.call("GET", f"/Groups/{gone['id']}"), 404)
    assert admin("GET", f"/teams/{gone['id']}").status_code == 404
    assert idp.ok("GET", f"/Users/{user['id']}")["active"] is True
