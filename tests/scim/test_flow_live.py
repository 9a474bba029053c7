"""A SCIM client flow against a real server process, checked through the REST API.

The example organisation is loaded, an IdP token with the scope ``scim`` is made with the
CLI, and the flow runs over real HTTP: users with managers (one manager arriving after
their report), a group, PATCHed membership, an award, deactivation. The REST API then has
to show the people, the team with members and supervisors, the supervisor overview, and
the deactivated person still holding their credential.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import fresh_database
from tests.live import serve_example
from tests.scim.support import ENTERPRISE, GROUP, MEDIA, PATCH, USER


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with fresh_database(tmp_path_factory) as database_url:
        yield from serve_example(tmp_path_factory, database_url)


def _call(method: str, url: str, token: str, body: Any = None) -> tuple[int, str, Any]:
    """Status, media type and parsed body of one request."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", MEDIA)
    if body is not None:
        request.add_header("Content-Type", MEDIA)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw, status, media = response.read(), response.status, response.headers
    except urllib.error.HTTPError as exc:
        raw, status, media = exc.read(), exc.code, exc.headers
    return status, media.get_content_type(), json.loads(raw) if raw else None


def test_scim_client_flow_end_to_end(live: dict[str, Any]) -> None:
    base, admin = live["base"], live["token"]
    scim_token = json.loads(
        live["cli"](
            "clients", "create", "--organisation", "esimerkkiopisto", "--scopes", "scim", "--json"
        )
    )["token"]

    def scim(method: str, path: str, body: Any = None, status: int = 200) -> Any:
        code, media, answer = _call(method, f"{base}/scim/v2{path}", scim_token, body)
        assert code == status, answer
        assert media == MEDIA or code == 204
        return answer

    def rest(method: str, path: str, body: Any = None, status: int = 200) -> Any:
        code, _, answer = _call(method, f"{base}/api/v1{path}", admin, body)
        assert code == status, answer
        return answer

    def new_user(user_name: str, **attributes: Any) -> dict[str, Any]:
        body = {"schemas": [USER, ENTERPRISE], "userName": user_name, **attributes}
        return dict(scim("POST", "/Users", body, 201))

    # The report first, naming a manager the server has not seen (by the IdP's id).
    aino = new_user(
        "aino.scim@esimerkki.example",
        externalId="idp-aino",
        name={"givenName": "Aino", "familyName": "Scim"},
        emails=[{"value": "aino.scim@esimerkki.example", "type": "work", "primary": True}],
        **{ENTERPRISE: {"employeeNumber": "S-100", "manager": {"value": "idp-boss"}}},
    )
    boss = new_user(
        "boss.scim@esimerkki.example",
        externalId="idp-boss",
        name={"givenName": "Pomo", "familyName": "Scim"},
        **{ENTERPRISE: {"employeeNumber": "S-001"}},
    )
    ville = new_user(
        "ville.scim@esimerkki.example",
        **{ENTERPRISE: {"employeeNumber": "S-101", "manager": {"value": boss["id"]}}},
    )
    assert scim("GET", f"/Users/{aino['id']}")[ENTERPRISE]["manager"]["value"] == boss["id"]
    query = urllib.parse.urlencode({"filter": 'userName eq "AINO.SCIM@esimerkki.example"'})
    found = scim("GET", f"/Users?{query}")
    assert [r["id"] for r in found["Resources"]] == [aino["id"]]

    group = scim(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "SCIM-tiimi", "externalId": "idp-team"},
        201,
    )
    patch = {
        "schemas": [PATCH],
        "Operations": [
            {
                "op": "add",
                "path": "members",
                "value": [{"value": aino["id"]}, {"value": ville["id"]}],
            }
        ],
    }
    scim("PATCH", f"/Groups/{group['id']}", patch)
    removal = {
        "schemas": [PATCH],
        "Operations": [{"op": "remove", "path": f'members[value eq "{ville["id"]}"]'}],
    }
    after = scim("PATCH", f"/Groups/{group['id']}", removal)
    assert [m["value"] for m in after["members"]] == [aino["id"]]

    # The REST API sees the people, the team, its members and supervisors.
    person = rest("GET", f"/people/{aino['id']}")
    assert (person["employeeNumber"], person["email"], person["active"]) == (
        "S-100",
        "aino.scim@esimerkki.example",
        True,
    )
    team = rest("GET", f"/teams/{group['id']}")
    assert team["name"] == "SCIM-tiimi"
    assert team["slug"] == "scim-tiimi"
    assert {(m["person"], m["role"]) for m in team["members"]} == {
        (aino["id"], "member"),
        (boss["id"], "supervisor"),
    }
    assert [p["id"] for p in rest("GET", f"/people?team={group['id']}")["items"]] == [
        aino["id"],
        boss["id"],
    ]

    # The team's competence reserve counts its provisioned people, nobody holding anything.
    reserve = rest("GET", f"/hr/reserve?team={group['id']}")
    assert reserve["population"] == 2  # aino and her manager, who supervises the team
    target = reserve["targets"][0]
    assert (target["population"], target["reached"]) == (2, 0)

    # An award to the report, of an achievement recognising that target's competence at
    # its level, shows in the team's reserve and in the supervisor's overview of the team.
    achievement = next(
        detail["id"]
        for item in rest("GET", "/achievements?limit=100")["items"]
        for detail in [rest("GET", f"/achievements/{item['id']}")]
        if any(
            a["competence"] == target["competence"]["id"] and (a["level"] or 0) >= target["level"]
            for a in detail["current"]["alignments"]
        )
    )
    credential = rest("POST", "/awards", {"achievement": achievement, "person": aino["id"]}, 201)
    reserve = rest("GET", f"/hr/reserve?team={group['id']}")
    same = next(t for t in reserve["targets"] if t["id"] == target["id"])
    assert (same["population"], same["reached"], same["share"]) == (2, 1, 0.5)
    overview = rest("GET", f"/teams/{group['id']}/overview")
    members = {m["id"]: m for m in overview["members"]}
    assert set(overview["memberIds"]) >= {aino["id"]}
    assert [c["credential"] for c in members[aino["id"]]["latest"]] == [credential["id"]]

    # Deactivation: gone for SCIM, kept (inactive, with the credential) for the service.
    scim("DELETE", f"/Users/{aino['id']}", status=204)
    code, media, error = _call("GET", f"{base}/scim/v2/Users/{aino['id']}", scim_token)
    assert (code, media, error["status"]) == (404, MEDIA, "404")
    person = rest("GET", f"/people/{aino['id']}")
    assert person["active"] is False
    assert person["teams"] == []
    kept = rest("GET", f"/credentials/{credential['id']}")
    assert kept["status"] == "active"
    assert [c["id"] for c in rest("GET", f"/credentials?person={aino['id']}")["items"]] == [
        credential["id"]
    ]
    team = rest("GET", f"/teams/{group['id']}")
    assert team["members"] == []  # no members, so no supervisors either
    emptied = rest("GET", f"/hr/reserve?team={group['id']}")
    assert emptied["population"] == 0
    assert next(t for t in emptied["targets"] if t["id"] == target["id"])["reached"] == 0

    # Errors from the real server are SCIM documents too (auth, size).
    code, media, error = _call("GET", f"{base}/scim/v2/Users", "bst_wrong")
    assert (code, media, error["schemas"]) == (
        401,
        MEDIA,
        ["urn:ietf:params:scim:api:messages:2.0:Error"],
    )
    big = {"schemas": [USER], "userName": "x" * (2 * 1024 * 1024)}
    code, media, error = _call("POST", f"{base}/scim/v2/Users", scim_token, big)
    assert (code, media, error["status"]) == (413, MEDIA, "413")
