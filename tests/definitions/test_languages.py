"""Texts in several languages in the definition files: a field is a plain string or a table
of language → text; the plain value is the default language's; a missing translation is a
warning naming file, key and language (never an error, never silent); loading twice
changes nothing; right-to-left languages load, issue and verify like any other."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from badgeservice.credentials.did import default_resolver
from badgeservice.credentials.verify import verify_credential
from badgeservice.db import database, session_scope
from badgeservice.definitions import read_organisation
from badgeservice.definitions.loader import WARNING, load_definitions
from badgeservice.organisations.services import create_client, organisation_by_slug
from tests.factories import write_language_school


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_language_school(tmp_path / "issuers")


def test_tables_give_the_default_languages_text_and_every_translation(folder: Path) -> None:
    definition = read_organisation(folder)
    assert definition.default_language == "fi"
    assert definition.languages == ("fi", "sv", "ar")
    assert definition.name == "Kielitalo"
    assert definition.texts["name"]["ar"] == "بيت اللغات"
    (issuer,) = definition.issuers
    assert issuer.name == "Kielitalon akatemia"
    assert issuer.texts["name"]["sv"] == "Språkhusets akademi"
    (badge,) = definition.achievements
    assert (badge.name, badge.criteria_narrative) == ("Verkkoetiketti", "Suorita kurssi.")
    assert badge.texts["criteria_narrative"]["sv"] == "Gå kursen."
    assert badge.image_caption == "Kaksi puhekuplaa"
    (team,) = definition.teams
    assert team.texts["name"] == {"fi": "Opettajat", "sv": "Lärare", "ar": "المعلمون"}
    assert definition.people[0].language == "ar"


def test_a_missing_translation_is_a_warning_naming_file_key_and_language(folder: Path) -> None:
    warnings = [str(warning) for warning in read_organisation(folder).warnings]
    assert warnings == [
        # a plain string in an organisation that writes in three languages
        "issuers/kielitalo/organisation.toml: organisation.description: not translated into sv, ar",
        "issuers/kielitalo/achievements.toml: achievements[0].description: not translated into ar",
    ]


def test_an_organisation_in_one_language_has_no_warnings(folder: Path) -> None:
    text = (folder / "organisation.toml").read_text(encoding="utf-8")
    (folder / "organisation.toml").write_text(
        text.replace('languages = ["fi", "sv", "ar"]\n', ""), encoding="utf-8"
    )
    definition = read_organisation(folder)
    assert definition.languages == ("fi",)
    assert definition.warnings == ()


def test_a_bad_language_tag_is_an_error(folder: Path, problems: Any) -> None:
    text = (folder / "achievements.toml").read_text(encoding="utf-8")
    (folder / "achievements.toml").write_text(
        text.replace('sv = "Nätetikett"', '"svenska språket" = "Nätetikett"'), encoding="utf-8"
    )
    (found,) = problems(folder)
    assert found.startswith("issuers/kielitalo/achievements.toml: achievements[0].name: ")
    assert "table of language to text" in found


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BADGESERVICE_DATABASE_URL": f"sqlite:///{folder.parent.parent / 'cli.sqlite3'}",
        "BADGESERVICE_SECRET_KEY": "a test secret",
        "BADGESERVICE_PUBLIC_URL": "https://badges.example.org",
    }
    return subprocess.run(
        [sys.executable, "-m", "badgeservice", *args],
        cwd=folder.parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_issuers_load_warns_on_standard_error_and_a_second_load_changes_nothing(
    folder: Path,
) -> None:
    assert _cli(folder, "db", "upgrade").returncode == 0
    first = _cli(folder, "issuers", "load", str(folder.parent))
    assert first.returncode == 0, first.stderr
    assert (
        "warning: issuers/kielitalo/achievements.toml: achievements[0].description: "
        "not translated into ar"
    ) in first.stderr.splitlines()
    assert "warning" not in first.stdout
    second = _cli(folder, "issuers", "load", str(folder.parent))
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "kielitalo: 1 achievements unchanged, 1 frameworks unchanged"


def test_an_arabic_badge_loads_issues_and_verifies(app: Any, folder: Path) -> None:
    with app.test_request_context(), session_scope(database()) as session:
        lines = list(load_definitions(session, folder.parent, app))
        organisation = organisation_by_slug(session, "kielitalo")
        token = create_client(
            session,
            organisation,
            name="test",
            scopes=["admin"],
            keystore=app.extensions["badgeservice.keystore"],
        ).token
    assert any(line.startswith(WARNING) for line in lines)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    person = client.get("/api/v1/people/K1", headers=headers).get_json()
    assert person["preferredLanguage"] == "ar"
    response = client.post(
        "/api/v1/awards",
        headers=headers,
        json={"achievement": "verkkoetiketti", "person": {"employeeNumber": "K1"}},
    )
    assert response.status_code == 201, response.get_json()
    credential = response.get_json()["credential"]
    badge = credential["credentialSubject"]["achievement"]
    assert badge["inLanguage"] == "ar"
    assert credential["name"] == badge["name"] == "آداب التواصل عبر الإنترنت"
    assert credential["issuer"]["name"] == "أكاديمية بيت اللغات"
    assert badge["image"]["caption"] == "فقاعتا حوار"
    # No Arabic description: the default language's (Finnish) stands in.
    assert badge["description"] == "Toimii asiallisesti verkossa."
    did_document = client.get("/issuers/kielitalo/akatemia/did.json").get_json()
    report = verify_credential(
        credential, resolver=default_resolver([did_document]), check_status=False
    )
    assert report.verified, report.errors
    public = client.get("/achievements/kielitalo/verkkoetiketti", headers={"Accept-Language": "ar"})
    assert public.headers["Content-Language"] == "ar"
    assert public.get_json()["name"] == "آداب التواصل عبر الإنترنت"
    profile = client.get("/issuers/kielitalo/akatemia", headers={"Accept-Language": "sv"})
    assert profile.headers["Content-Language"] == "sv"
    assert profile.get_json()["name"] == "Språkhusets akademi"
