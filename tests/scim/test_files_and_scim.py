"""Definition files and SCIM share people and teams without undoing each other: a SCIM
User's e-mail and names and a SCIM Group's name, members and supervisors belong to the IdP,
a reload of issuers/ leaves them (and says what it skipped and why), and a second load
changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from badgeservice.db import database, session_scope
from badgeservice.definitions.loader import load_definitions
from tests.factories import load_example
from tests.scim.support import ENTERPRISE, GROUP, Idp

API = "/api/v1"


def _load(app: Any, folder: Path) -> str:
    with app.test_request_context(), session_scope(database()) as session:
        (line,) = load_definitions(session, folder / "issuers", app)
    return line


def _team(client: Any, headers: dict[str, str], slug: str) -> dict[str, set[str]]:
    team = client.get(f"{API}/teams/{slug}", headers=headers).get_json()
    roles: dict[str, set[str]] = {"member": set(), "supervisor": set()}
    for member in team["members"]:
        roles[member["role"]].add(member["person"])
    return roles


def test_a_reload_of_the_files_does_not_undo_scim(app: Any, client: Any, tmp_path: Path) -> None:
    example = load_example(app, tmp_path)
    admin = example.admin_headers
    token = _scim_token(app)
    idp = Idp(client, token)

    # The IdP adopts two people of the files (by employee number) and groups them.
    boss = idp.create_user(
        "e1002@idp.example",
        externalId="idp-e1002",
        emails=[{"value": "satu.boss@idp.example", "primary": True}],
        **{ENTERPRISE: {"employeeNumber": "E1002"}},
    )
    aino = idp.create_user(
        "e1003@idp.example",
        externalId="idp-e1003",
        name={"givenName": "Aino", "familyName": "Virtanen-Scim"},
        emails=[{"value": "aino@idp.example", "primary": True}],
        **{ENTERPRISE: {"employeeNumber": "E1003", "manager": {"value": "idp-e1002"}}},
    )
    group = idp.ok(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Digital pedagogy", "members": [{"value": aino["id"]}]},
        201,
    )
    slug = client.get(f"{API}/teams/{group['id']}", headers=admin).get_json()["slug"]
    before = _team(client, admin, slug)
    assert before == {"member": {aino["id"]}, "supervisor": {boss["id"]}}
    trainers = _team(client, admin, "kouluttajat")

    first = _load(app, tmp_path)
    # Nothing of the IdP's was changed, and the summary says what was left and why.
    assert _team(client, admin, slug) == before
    assert _team(client, admin, "kouluttajat") == trainers
    person = client.get(f"{API}/people/E1003", headers=admin).get_json()
    assert (person["email"], person["familyName"]) == ("aino@idp.example", "Virtanen-Scim")
    assert "people updated" not in first and "teams updated" not in first, first
    assert "skipped, provisioned by SCIM" in first, first
    assert "e-mail and names of person E1003" in first, first
    assert "e-mail and names of person E1002" in first, first
    # A second load changes nothing either and says the same.
    assert _load(app, tmp_path) == first

    # Deprovisioned by the IdP: out of their teams, and the files do not bring them back.
    idp.ok("DELETE", f"/Users/{aino['id']}", status=204)
    third = _load(app, tmp_path)
    assert aino["id"] not in _team(client, admin, "kouluttajat")["member"]
    assert "skipped, deactivated: person E1003" in third, third


def _scim_token(app: Any) -> str:
    from badgeservice.organisations.services import create_client, organisation_by_slug

    with app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        issued = create_client(
            session,
            org,
            name="idp",
            scopes=["scim"],
            keystore=app.extensions["badgeservice.keystore"],
        )
        return issued.token
