"""SCIM Users over HTTP (Flask test client): the person behind each, as the REST API sees it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scim.support import ENTERPRISE, LIST, USER, Idp, scim_error, user

API = "/api/v1"


@pytest.fixture
def idp(client: Any, make_tenant: Any) -> Idp:
    return Idp(client, make_tenant("acme", scopes=("scim",)).token)


@pytest.fixture
def admin(client: Any, make_tenant: Any) -> Any:
    tenant = make_tenant("acme", scopes=("admin",))
    return lambda path: client.get(f"{API}{path}", headers=tenant.headers)


def test_create_returns_the_resource_with_meta_location_and_version(idp: Idp, admin: Any) -> None:
    response = idp.call(
        "POST",
        "/Users",
        user(
            "aino@acme.example",
            externalId="aad-1",
            name={"givenName": "Aino", "familyName": "Esimerkki"},
            emails=[
                {"value": "home@example.org", "type": "home"},
                {"value": "Aino@acme.example", "type": "work", "primary": True},
            ],
            title="Trainer",
            active=True,
            phoneNumbers=[{"value": "+358 40 1", "type": "work"}],
            **{ENTERPRISE: {"employeeNumber": "E100", "department": "Training"}},
        ),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert response.headers["Location"] == body["meta"]["location"]
    assert body["meta"]["location"] == f"https://badges.example.org/scim/v2/Users/{body['id']}"
    assert response.headers["ETag"] == body["meta"]["version"]
    assert response.headers["ETag"].startswith('W/"')
    assert body["meta"]["resourceType"] == "User"
    assert body["userName"] == "aino@acme.example"
    assert body["name"] == {
        "givenName": "Aino",
        "familyName": "Esimerkki",
        "formatted": "Aino Esimerkki",
    }
    assert body["emails"] == [{"value": "Aino@acme.example", "type": "work", "primary": True}]
    assert body[ENTERPRISE] == {"employeeNumber": "E100", "department": "Training"}
    assert "phoneNumbers" not in body  # accepted, not stored

    person = admin(f"/people/{body['id']}").get_json()
    assert person["employeeNumber"] == "E100"
    assert person["email"] == "Aino@acme.example"
    assert person["givenName"] == "Aino"
    assert person["active"] is True

    again = idp.ok("GET", f"/Users/{body['id']}")
    assert again == body | {"meta": again["meta"]}


def test_username_is_unique_case_insensitively_and_other_keys_too(idp: Idp) -> None:
    idp.create_user(
        "Aino",
        externalId="x1",
        emails=[{"value": "a@x.org"}],
        **{ENTERPRISE: {"employeeNumber": "E1"}},
    )
    scim_error(idp.call("POST", "/Users", user("aino")), 409, "uniqueness")
    scim_error(
        idp.call("POST", "/Users", user("b", **{ENTERPRISE: {"employeeNumber": "E1"}})),
        409,
        "uniqueness",
    )
    scim_error(
        idp.call("POST", "/Users", user("c", emails=[{"value": "A@X.org"}])), 409, "uniqueness"
    )
    scim_error(idp.call("POST", "/Users", user("d", externalId="x1")), 409, "uniqueness")
    scim_error(idp.call("POST", "/Users", user("")), 400, "invalidValue")
    scim_error(idp.call("POST", "/Users", {"userName": "e"}), 400, "invalidSyntax")
    scim_error(idp.call("POST", "/Users", user("f", active="maybe")), 400, "invalidValue")
    scim_error(
        idp.call("POST", "/Users", user("g", emails=[{"value": "not an address"}])),
        400,
        "invalidValue",
    )


def test_list_filters_and_pages(idp: Idp) -> None:
    boss = idp.create_user("boss@x.org", **{ENTERPRISE: {"employeeNumber": "B1"}})
    for index in range(5):
        idp.create_user(
            f"user{index}@x.org",
            externalId=f"ext-{index}",
            active=index % 2 == 0,
            emails=[{"value": f"user{index}@mail.x.org", "type": "work"}],
            title="Trainer" if index < 2 else None,
            **{ENTERPRISE: {"manager": {"value": boss["id"]}, "department": "D"}},
        )

    def names(query: str) -> list[str]:
        body = idp.ok("GET", f"/Users?{query}")
        assert body["schemas"] == [LIST]
        assert body["itemsPerPage"] == len(body["Resources"])
        return [r["userName"] for r in body["Resources"]]

    assert names('filter=userName eq "USER1@x.org"') == ["user1@x.org"]
    assert names('filter=UserName Eq "user1@x.org"') == ["user1@x.org"]
    assert names(f'filter={USER}:userName eq "user2@x.org"') == ["user2@x.org"]
    assert names('filter=externalId eq "ext-3"') == ["user3@x.org"]
    assert names('filter=externalId eq "EXT-3"') == []  # externalId is case-exact
    assert names('filter=emails.value eq "user4@mail.x.org"') == ["user4@x.org"]
    assert names('filter=emails[value eq "user4@mail.x.org"]') == ["user4@x.org"]
    assert names("filter=active eq false") == ["user1@x.org", "user3@x.org"]
    assert names('filter=active eq true and userName sw "user"') == [
        "user0@x.org",
        "user2@x.org",
        "user4@x.org",
    ]
    assert names('filter=userName eq "user0@x.org" or externalId eq "ext-4"') == [
        "user0@x.org",
        "user4@x.org",
    ]
    assert names("filter=title pr") == ["user0@x.org", "user1@x.org"]
    assert names('filter=not (title pr) and userName co "USER"') == [
        "user2@x.org",
        "user3@x.org",
        "user4@x.org",
    ]
    assert names('filter=userName ew "2@x.org"') == ["user2@x.org"]
    assert names(f'filter={ENTERPRISE}:employeeNumber eq "B1"') == ["boss@x.org"]
    assert len(names(f'filter={ENTERPRISE}:manager.value eq "{boss["id"]}"')) == 5
    assert names('filter=userName eq "nobody"') == []

    page = idp.ok("GET", "/Users?startIndex=2&count=2")
    assert page["totalResults"] == 6
    assert page["startIndex"] == 2
    assert [r["userName"] for r in page["Resources"]] == ["user0@x.org", "user1@x.org"]
    assert idp.ok("GET", "/Users?count=0")["Resources"] == []
    assert idp.ok("GET", "/Users?startIndex=-5&count=1")["startIndex"] == 1
    assert idp.ok("GET", "/Users?startIndex=100")["Resources"] == []

    picked = idp.ok(
        "GET", '/Users?filter=userName eq "user0@x.org"&attributes=userName,emails.value'
    )
    assert picked["Resources"][0] == {
        "schemas": [USER, ENTERPRISE],
        "id": picked["Resources"][0]["id"],
        "userName": "user0@x.org",
        "emails": [{"value": "user0@mail.x.org"}],
    }
    trimmed = idp.ok(
        "GET",
        f'/Users?filter=userName eq "user0@x.org"&excludedAttributes=emails,{ENTERPRISE}:manager',
    )
    resource = trimmed["Resources"][0]
    assert "emails" not in resource
    assert resource[ENTERPRISE] == {"department": "D"}


@pytest.mark.parametrize(
    ("query", "scim_type"),
    [
        ("filter=userName eq", "invalidFilter"),
        ('filter=userName xx "a"', "invalidFilter"),
        ('filter=nickName eq "a"', "invalidFilter"),
        ('filter=urn:example:foo:bar eq "a"', "invalidFilter"),
        ('filter=active eq "yes"', "invalidFilter"),
        ('filter=(userName eq "a"', "invalidFilter"),
        ('filter=userName eq "a" extra', "invalidFilter"),
        ("filter=" + "(" * 100 + 'userName eq "a"' + ")" * 100, "invalidFilter"),
        ("count=many", "invalidValue"),
        ("startIndex=1.5", "invalidValue"),
    ],
)
def test_bad_list_queries_are_scim_errors(idp: Idp, query: str, scim_type: str) -> None:
    scim_error(idp.call("GET", f"/Users?{query}"), 400, scim_type)


def test_put_replaces_everything(idp: Idp) -> None:
    created = idp.create_user(
        "p@x.org",
        title="Chief",
        emails=[{"value": "p@x.org"}],
        **{ENTERPRISE: {"employeeNumber": "P1"}},
    )
    replaced = idp.ok("PUT", f"/Users/{created['id']}", user("p2@x.org", name={"givenName": "Pia"}))
    assert replaced["userName"] == "p2@x.org"
    assert replaced["name"]["givenName"] == "Pia"
    assert "title" not in replaced
    assert "emails" not in replaced
    assert ENTERPRISE not in replaced
    assert replaced["meta"]["version"] != created["meta"]["version"]


def test_patch_operations_as_idps_send_them(idp: Idp) -> None:
    created = idp.create_user("q@x.org", emails=[{"value": "q@x.org", "type": "work"}])
    path = f"/Users/{created['id']}"
    # Entra ID style: capitalised ops, string booleans, filter paths, manager as a bare id.
    boss = idp.create_user("boss@x.org")
    patched = idp.patch(
        path,
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "name.givenName", "value": "Quinn"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "quinn@x.org"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]},
        {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "Q7"},
    )
    assert patched["active"] is False
    assert patched["name"]["givenName"] == "Quinn"
    assert patched["emails"] == [{"value": "quinn@x.org", "type": "work", "primary": True}]
    assert patched[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert patched[ENTERPRISE]["manager"]["$ref"].endswith(f"/Users/{boss['id']}")
    assert patched[ENTERPRISE]["employeeNumber"] == "Q7"
    # Okta style: no path, a value object.
    patched = idp.patch(
        path, {"op": "replace", "value": {"active": True, "id": created["id"], "title": "Lead"}}
    )
    assert patched["active"] is True
    assert patched["title"] == "Lead"
    # Removals.
    patched = idp.patch(
        path,
        {"op": "remove", "path": f"{ENTERPRISE}:manager"},
        {"op": "remove", "path": 'emails[type eq "work"]'},
        {"op": "remove", "path": "title"},
    )
    assert "manager" not in patched[ENTERPRISE]
    assert "emails" not in patched
    assert "title" not in patched
    # A user without an e-mail gets one through a filtered path (added, not "no target").
    patched = idp.patch(
        path, {"op": "replace", "path": 'emails[type eq "work"].value', "value": "q2@x.org"}
    )
    assert patched["emails"][0]["value"] == "q2@x.org"
    # Unstored attributes of the RFC schemas are accepted without effect.
    idp.patch(path, {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": "1"})


def test_patch_is_atomic_and_errors_are_precise(idp: Idp) -> None:
    created = idp.create_user("r@x.org", title="Before")
    other = idp.create_user("s@x.org")
    path = f"/Users/{created['id']}"

    def fails(status: int, scim_type: str | None, *operations: Any) -> None:
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": list(operations),
        }
        scim_error(idp.call("PATCH", path, body), status, scim_type)

    fails(
        409,
        "uniqueness",
        {"op": "replace", "path": "title", "value": "After"},
        {"op": "replace", "path": "userName", "value": "S@x.org"},
    )
    fails(400, "invalidPath", {"op": "replace", "path": "nosuch", "value": 1})
    fails(400, "invalidPath", {"op": "replace", "path": "name[given eq", "value": 1})
    fails(400, "invalidPath", {"op": "replace", "path": "urn:example:other:Thing:x", "value": 1})
    fails(400, "noTarget", {"op": "remove"})
    fails(400, "mutability", {"op": "replace", "path": "id", "value": other["id"]})
    fails(400, "invalidSyntax", {"op": "move", "path": "title"})
    fails(400, "invalidValue", {"op": "replace", "path": "userName", "value": None})
    fails(
        400,
        "invalidValue",
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": created["id"]},
    )
    fails(
        400,
        "noTarget",
        {"op": "replace", "path": 'emails[value co "x"]', "value": {"type": "home"}},
    )
    scim_error(idp.call("PATCH", path, {"Operations": []}), 400, "invalidSyntax")
    assert idp.ok("GET", path)["title"] == "Before"


def test_if_match_guards_writes(idp: Idp) -> None:
    created = idp.create_user("t@x.org")
    path = f"/Users/{created['id']}"
    tag = idp.call("GET", path).headers["ETag"]
    assert idp.call("GET", path, **{"If-None-Match": tag}).status_code == 304
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "One"}],
    }
    response = idp.call("PATCH", path, body, **{"If-Match": tag})
    assert response.status_code == 200
    assert response.headers["ETag"] != tag
    scim_error(idp.call("PATCH", path, body, **{"If-Match": tag}), 412)
    scim_error(idp.call("DELETE", path, **{"If-Match": tag}), 412)
    assert idp.call("DELETE", path, **{"If-Match": "*"}).status_code == 204


def test_delete_deactivates_keeps_the_person_and_a_new_post_adopts_them(
    idp: Idp, admin: Any, client: Any, make_tenant: Any
) -> None:
    boss = idp.create_user("boss@x.org")
    created = idp.create_user(
        "u@x.org",
        externalId="aad-u",
        emails=[{"value": "u@x.org"}],
        **{ENTERPRISE: {"employeeNumber": "U1", "manager": {"value": boss["id"]}}},
    )
    group = idp.ok(
        "POST",
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Team U",
            "members": [{"value": created["id"]}],
        },
        201,
    )
    assert idp.call("DELETE", f"/Users/{created['id']}").status_code == 204
    scim_error(idp.call("GET", f"/Users/{created['id']}"), 404)
    scim_error(idp.call("DELETE", f"/Users/{created['id']}"), 404)
    assert idp.ok("GET", '/Users?filter=userName eq "u@x.org"')["totalResults"] == 0
    assert idp.ok("GET", f"/Groups/{group['id']}")["members"] == []

    person = admin(f"/people/{created['id']}").get_json()
    assert person["active"] is False
    assert person["employeeNumber"] == "U1"
    assert person["teams"] == []
    team = admin(f"/teams/{group['id']}").get_json()
    assert team["members"] == []

    # The same userName with nothing else in common: a new person.
    stranger = idp.create_user("u@x.org")
    assert stranger["id"] != created["id"]
    idp.ok("DELETE", f"/Users/{stranger['id']}", status=204)
    # The returning employee (same externalId): the same person again, active.
    back = idp.create_user("u.new@x.org", externalId="aad-u")
    assert back["id"] == created["id"]
    assert back["active"] is True
    # What the POST did not send is kept (a PUT would replace it).
    assert back[ENTERPRISE]["employeeNumber"] == "U1"
    assert back[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert back["emails"][0]["value"] == "u@x.org"


def test_post_adopts_people_loaded_through_the_api(idp: Idp, client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme", scopes=("admin",))
    made = client.post(
        f"{API}/people", json={"employeeNumber": "E9", "email": "e9@x.org"}, headers=tenant.headers
    )
    person_id = made.get_json()["id"]
    other = client.post(
        f"{API}/people", json={"employeeNumber": "E8", "email": "e8@x.org"}, headers=tenant.headers
    )
    assert idp.ok("GET", "/Users")["totalResults"] == 0  # not provisioned, not Users
    adopted = idp.create_user("e9", emails=[{"value": "E9@x.org"}])
    assert adopted["id"] == person_id
    assert adopted[ENTERPRISE]["employeeNumber"] == "E9"
    # Identifiers naming two different (unprovisioned) people: refused.
    scim_error(
        idp.call(
            "POST",
            "/Users",
            user("e8", emails=[{"value": "e8@x.org"}], **{ENTERPRISE: {"employeeNumber": "E9"}}),
        ),
        409,
        "uniqueness",
    )
    response = idp.call(
        "POST", "/Users", user("e8", emails=[{"value": "e8@x.org"}], externalId="z")
    )
    assert response.status_code == 201
    assert response.get_json()["id"] == other.get_json()["id"]


def test_manager_arriving_after_the_report_is_resolved(idp: Idp, admin: Any) -> None:
    report = idp.create_user("r@x.org", **{ENTERPRISE: {"manager": {"value": "okta-boss"}}})
    assert report[ENTERPRISE]["manager"] == {"value": "okta-boss"}
    assert idp.ok("GET", "/Users")["totalResults"] == 1  # the placeholder is no User
    boss = idp.create_user("boss@x.org", externalId="okta-boss", name={"givenName": "Bo"})
    again = idp.ok("GET", f"/Users/{report['id']}")
    assert again[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert again[ENTERPRISE]["manager"]["displayName"] == "Bo"
    # By employee number and by userName too.
    by_number = idp.create_user("n@x.org", **{ENTERPRISE: {"manager": {"value": "M-77"}}})
    manager = idp.create_user("m@x.org", **{ENTERPRISE: {"employeeNumber": "M-77"}})
    assert (
        idp.ok("GET", f"/Users/{by_number['id']}")[ENTERPRISE]["manager"]["value"] == manager["id"]
    )
    by_login = idp.create_user("o@x.org", **{ENTERPRISE: {"manager": {"value": "m@x.org"}}})
    assert by_login[ENTERPRISE]["manager"]["value"] == manager["id"]


def test_tenants_are_isolated(client: Any, make_tenant: Any) -> None:
    acme = Idp(client, make_tenant("acme", scopes=("scim",)).token)
    globex = Idp(client, make_tenant("globex", scopes=("scim",)).token)
    mine = acme.create_user("same@x.org", externalId="e1", **{ENTERPRISE: {"employeeNumber": "E1"}})
    theirs = globex.create_user(
        "same@x.org", externalId="e1", **{ENTERPRISE: {"employeeNumber": "E1"}}
    )
    assert mine["id"] != theirs["id"]
    scim_error(globex.call("GET", f"/Users/{mine['id']}"), 404)
    scim_error(globex.call("DELETE", f"/Users/{mine['id']}"), 404)
    scim_error(globex.call("PUT", f"/Users/{mine['id']}", user("x")), 404)
    assert globex.ok("GET", "/Users")["totalResults"] == 1
    # A manager reference to another organisation's user does not cross over.
    linked = globex.create_user("g@x.org", **{ENTERPRISE: {"manager": {"value": mine["id"]}}})
    assert linked[ENTERPRISE]["manager"] == {"value": mine["id"]}  # a placeholder of globex
    assert acme.ok("GET", f"/Users/{mine['id']}")["active"] is True


def test_preferred_language_sets_the_language_badges_are_issued_in(idp: Idp, admin: Any) -> None:
    created = idp.create_user("s@x.org", preferredLanguage="sv-fi, en;q=0.8")
    assert created["preferredLanguage"] == "sv-FI"  # the most preferred, in its usual case
    assert admin(f"/people/{created['id']}").get_json()["preferredLanguage"] == "sv-FI"
    path = f"/Users/{created['id']}"
    patched = idp.patch(
        path, {"op": "replace", "path": "preferredLanguage", "value": "fi;q=0.5, en"}
    )
    assert patched["preferredLanguage"] == "en"
    patched = idp.patch(path, {"op": "remove", "path": "preferredLanguage"})
    assert "preferredLanguage" not in patched
    assert admin(f"/people/{created['id']}").get_json()["preferredLanguage"] is None
    for bad in ("Swedish please", "sv;q=x"):
        response = idp.call("POST", "/Users", user(f"{len(bad)}@x.org", preferredLanguage=bad))
        assert "preferredLanguage" in scim_error(response, 400, "invalidValue")["detail"]
