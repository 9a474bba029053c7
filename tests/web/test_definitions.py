"""The organisation's files declare its accent colour, its identity provider (the secret by
environment variable, never in the file) and people's page roles; loading applies them
idempotently and leaves what an admin set through the API alone."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from badgeservice.access.models import RoleGrant, SignInSettings
from badgeservice.access.roles import Role, grant_role
from badgeservice.access.signin import client_secret
from badgeservice.db import database, session_scope
from badgeservice.definitions import DefinitionErrors, read_organisation
from badgeservice.definitions.loader import load_definitions
from badgeservice.errors import BadRequest
from badgeservice.organisations.models import Organisation
from badgeservice.people.models import Person
from tests.conftest import ROOT
from tests.definitions.conftest import EXAMPLE, append, edit

SIGN_IN = """
[sign_in]
issuer = "https://login.esimerkkiopisto.example.fi/realms/staff"
client_id = "badges"
client_secret_env = "ESIMERKKI_TEST_OIDC_SECRET"
match = "employee_number"
claim = "employeeId"
"""


@pytest.fixture
def issuers_dir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    return tmp_path / "issuers"


@pytest.fixture
def org_folder(tmp_path: Path) -> Path:
    target = tmp_path / "issuers" / "esimerkkiopisto"
    shutil.copytree(EXAMPLE, target)
    return target


def problems(folder: Path) -> list[str]:
    with pytest.raises(DefinitionErrors) as caught:
        read_organisation(folder)
    return [str(error) for error in caught.value.errors]


def _load(app: Any, root: Path) -> list[str]:
    with app.test_request_context(), session_scope(database()) as session:
        return list(load_definitions(session, root, app))


def _grants(app: Any) -> dict[tuple[str, str], str]:
    with app.app_context(), session_scope(database()) as session:
        rows = session.execute(
            select(Person.employee_number, RoleGrant.role, RoleGrant.source).join(
                Person, Person.id == RoleGrant.person_id
            )
        )
        return {(number, role): source for number, role, source in rows}


def test_the_example_declares_its_colour_and_roles(app: Any, issuers_dir: Path) -> None:
    _load(app, issuers_dir)
    with app.app_context(), session_scope(database()) as session:
        assert session.scalar(select(Organisation.accent_color)) == "#0b5b6b"
    assert _grants(app) == {
        ("E1001", "hr"): "file",
        ("E1008", "assessor"): "file",
        ("E1009", "admin"): "file",
    }


def test_file_roles_follow_the_file_and_api_grants_stay(app: Any, issuers_dir: Path) -> None:
    _load(app, issuers_dir)
    with app.test_request_context(), session_scope(database()) as session:
        noora = session.scalar(select(Person).where(Person.employee_number == "E1010"))
        grant_role(session, noora, Role.HR)  # an admin's grant through the API
    people = issuers_dir / "esimerkkiopisto" / "people.toml"
    edit(people, 'roles = ["hr"]  # follows the competence reserve', 'roles = ["hr", "admin"]')
    edit(people, 'roles = ["assessor"]  # assesses evidence of prior learning', "")
    summary = _load(app, issuers_dir)[0]
    assert "2 role grants changed" in summary
    assert _grants(app) == {
        ("E1001", "hr"): "file",
        ("E1001", "admin"): "file",
        ("E1009", "admin"): "file",
        ("E1010", "hr"): "api",
    }
    assert "role grants" not in _load(app, issuers_dir)[0]  # idempotent


def test_sign_in_from_the_files_reads_the_secret_from_the_environment(
    app: Any, issuers_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation = issuers_dir / "esimerkkiopisto" / "organisation.toml"
    append(organisation, SIGN_IN)
    monkeypatch.delenv("ESIMERKKI_TEST_OIDC_SECRET", raising=False)
    with pytest.raises(BadRequest, match="ESIMERKKI_TEST_OIDC_SECRET is not set"):
        _load(app, issuers_dir)

    monkeypatch.setenv("ESIMERKKI_TEST_OIDC_SECRET", "from the environment")
    assert "1 sign-in created" in _load(app, issuers_dir)[0]
    keystore = app.extensions["badgeservice.keystore"]
    with app.app_context(), session_scope(database()) as session:
        row = session.scalar(select(SignInSettings))
        assert (row.match, row.claim, row.source) == ("employee_number", "employeeId", "file")
        assert client_secret(row, keystore) == "from the environment"
        assert b"from the environment" not in row.client_secret_ciphertext
    assert "sign-in" not in _load(app, issuers_dir)[0]  # unchanged
    # Unset later (another operator's shell): the stored secret of the same client stays.
    monkeypatch.delenv("ESIMERKKI_TEST_OIDC_SECRET")
    assert "sign-in" not in _load(app, issuers_dir)[0]
    # Removed from the file: the file's settings go.
    edit(organisation, SIGN_IN, "")
    assert "1 sign-in removed" in _load(app, issuers_dir)[0]


def test_a_secret_in_the_file_and_a_bad_colour_are_refused(org_folder: Path) -> None:
    org_copy = org_folder
    organisation = org_copy / "organisation.toml"
    edit(organisation, 'accent_color = "#0b5b6b"', 'accent_color = "teal"')
    append(
        organisation,
        SIGN_IN.replace('client_id = "badges"', 'client_id = "badges"\nclient_secret = "oops"'),
    )
    found = problems(org_copy)
    assert any(
        "organisation.accent_color: must be a colour as #rrggbb" in line for line in found
    ), found
    assert any("sign_in.client_secret: never put a secret in a file" in line for line in found), (
        found
    )


def test_unknown_roles_in_people_toml_are_refused(org_folder: Path) -> None:
    org_copy = org_folder
    edit(org_copy / "people.toml", 'roles = ["hr"]', 'roles = ["boss"]')
    found = problems(org_copy)
    assert any("roles[0]: must be 'assessor', 'hr' or 'admin'" in line for line in found), found
