"""Personal data in a real browser: the learner downloads their data from their settings
(the zip validates against the schema the site publishes); an admin erases a person —
the people list, the person, the confirmation that says what will happen (a wrong name
first), the report — axe-core on every page in Finnish, Swedish and English, screenshots
in fi and en. Each language erases its own person, made for the test, so the other
browser tests' people stay."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.browser.conftest import ORG, Site
from tests.browser.test_pages import Watch, check, sign_in_at_provider
from tests.live import http

pytestmark = pytest.mark.browser

PEOPLE = {
    "fi": ("E7101", "Ville", "Väliaikainen"),
    "sv": ("E7102", "Vera", "Tillfällig"),
    "en": ("E7103", "Tessa", "Temporary"),
}


def _signed_in(site: Site, new_context: Any, language: str, login: str, path: str) -> Any:
    page = new_context(language).new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}/{path}")
    sign_in_at_provider(page, site, login)
    assert page.url == f"{site.base}/o/{ORG}/{path}"
    return page, watch


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_an_admin_erases_a_person(site: Site, new_context: Any, language: str) -> None:
    number, given, family = PEOPLE[language]
    status, person = http(
        "POST",
        f"{site.base}/api/v1/people",
        {"employeeNumber": number, "givenName": given, "familyName": family},
        site.token,
    )
    assert status == 201, person
    page, watch = _signed_in(site, new_context, language, "tuomas", "admin")
    page.locator(f"a[href='/o/{ORG}/admin/people']").click()
    page.fill("#people-query", family)
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_load_state("load")
    check(page, watch, "admin-people", language)
    page.locator("table a", has_text=f"{given} {family}").click()
    page.wait_for_load_state("load")
    check(page, watch, "admin-person", language)
    page.locator(f"a[href$='/admin/people/{person['id']}/erase']").click()
    page.wait_for_load_state("load")
    check(page, watch, "admin-erase", language)
    page.fill("#confirm", "Someone Else")
    page.locator("form.stack-form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator("[role=alert]").count() == 1
    assert page.get_attribute("#confirm", "aria-invalid") == "true"
    check(page, watch, "admin-erase-refused", language)
    page.fill("#confirm", f"{given} {family}")
    page.locator("form.stack-form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator("[role=status]").count() == 1
    check(page, watch, "admin-erased", language)
    status, body = http("GET", f"{site.base}/api/v1/people/{person['id']}", token=site.token)
    assert status == 200 and body["employeeNumber"] is None and body["active"] is False


def test_the_learner_downloads_their_data(site: Site, new_context: Any, tmp_path: Path) -> None:
    page, watch = _signed_in(site, new_context, "fi", "aino", "settings")
    check(page, watch, "my-settings-data", "fi")
    with page.expect_download() as info:
        page.locator(f"form[action='/o/{ORG}/settings/export'] button").click()
    saved = tmp_path / "data.zip"
    info.value.save_as(str(saved))
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    document = json.loads(archive.read("export.json"))
    with urllib.request.urlopen(document["$schema"], timeout=30) as answer:
        schema = json.loads(answer.read())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [error.message for error in validator.iter_errors(document)] == []
    assert document["person"]["employee_number"] == "E1003"
    assert document["$schema"].startswith(site.base)
