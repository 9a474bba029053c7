"""The supervisor's and HR's pages in a real browser, signed in through the OpenID
Provider: my teams, the team page, a member's own path and the award form (supervisor);
the competence reserve and who holds a competence (HR) — axe-core in Finnish, Swedish and
English, screenshots in Finnish and English. A completion arriving over the webhook
changes the member's row without a reload; a supervisor approves a path; HR filters the
heat map, drills into a cell and exports XLSX, opened with openpyxl."""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ORG, Site
from tests.browser.test_pages import Watch, check, sign_in_at_provider
from tests.live import http

pytestmark = pytest.mark.browser

# Generous: the page asks once a second; the target of two seconds is the benchmark's.
LIVE_BOUND = 15.0


def _signed_in(site: Site, new_context: Any, login: str, path: str, language: str = "en") -> Any:
    page = new_context(language).new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}{path}")
    sign_in_at_provider(page, site, login)
    assert page.url == f"{site.base}/o/{ORG}{path}"
    return page, watch


@pytest.fixture(scope="module")
def asked(site: Site, chromium: Any) -> None:
    """Aino adds a goal to her own path and asks her supervisor to approve it."""
    context = chromium.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{site.base}/o/{ORG}/path")
        sign_in_at_provider(page, site, "aino")
        page.locator("#add-goal").select_option(index=0)
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_url("**added=1*")
        # By the form, not its words: Aino's own language setting may differ by now.
        asking = page.locator(f"form[action='/o/{ORG}/path/approval'] button")
        if asking.count():  # not asked already
            asking.click()
            page.wait_for_url("**asked=1*")
    finally:
        context.close()


def _team_link(page: Any) -> str:
    href = page.locator(f"a[href^='/o/{ORG}/teams/']").first.get_attribute("href")
    assert href
    return str(href)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_supervisor_pages_in_every_language(
    site: Site, new_context: Any, asked: None, language: str
) -> None:
    page, watch = _signed_in(site, new_context, "mikko", "/teams", language)
    check(page, watch, "teams", language)
    page.goto(site.base + _team_link(page))
    check(page, watch, "team", language)
    assert page.locator("tr.member").count() >= 3
    assert page.locator("svg.progress").count() >= 3
    assert page.locator("#live-note.live-on").count() == 1  # the script runs (CSP allows it)
    page.locator("#approvals a").first.click()
    page.wait_for_load_state("load")
    check(page, watch, "team-path", language)
    page.go_back()
    page.locator("a[href$='/award']").click()
    page.wait_for_load_state("load")
    page.locator("#q").fill("Aino")
    page.locator("#q").press("Enter")
    page.wait_for_load_state("load")
    page.locator("a[href*='/award?member=']").first.click()
    page.wait_for_load_state("load")
    check(page, watch, "team-award", language)
    assert page.locator("#sub-goal option").count() >= 1


def test_a_completion_changes_the_row_without_a_reload(site: Site, new_context: Any) -> None:
    page, watch = _signed_in(site, new_context, "mikko", "/teams")
    page.goto(site.base + _team_link(page))
    page.wait_for_load_state("load")
    row = page.locator("tr.member", has_text="Juha Nieminen")
    before = row.get_attribute("data-digest")
    page.evaluate("window.stillTheSamePage = true")
    page.wait_for_timeout(1500)  # the first poll has run
    event = {
        "id": f"browser-{uuid.uuid4()}",
        "type": "completion",
        "time": "2026-12-01T10:00:00+02:00",
        "source": {"connection": "moodle"},
        "person": {"employeeNumber": "E1004"},
        "activity": {"id": "course:101", "name": "Accessible course materials"},
        "result": {"completion": True, "success": True},
    }
    sent = time.monotonic()
    status, body = http("POST", f"{site.base}/api/v1/events", event, site.token)
    assert status == 202, body
    # A locator's wait (the page's policy forbids the eval behind wait_for_function).
    page.locator("tr.member-updated", has_text="Juha Nieminen").wait_for(timeout=LIVE_BOUND * 1000)
    took = time.monotonic() - sent
    assert page.evaluate("window.stillTheSamePage") is True  # no reload happened
    assert row.get_attribute("data-digest") != before
    assert "Juha Nieminen" in page.inner_text("tr.member-updated")
    assert "Juha Nieminen" in page.inner_text("#live-region")
    assert watch.problems == []
    print(f"row changed {took:.2f} s after the completion was accepted")


def test_a_supervisor_approves_a_path_with_the_keyboard(
    site: Site, new_context: Any, asked: None
) -> None:
    page, watch = _signed_in(site, new_context, "mikko", "/teams")
    page.goto(site.base + _team_link(page))
    page.locator("#approvals a", has_text="Aino Virtanen").first.click()
    page.wait_for_load_state("load")
    page.locator("#comment").focus()
    page.keyboard.type("A good plan for the spring.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "approve"
    page.keyboard.press("Enter")
    page.wait_for_url("**decided=approve*")
    assert "The path was approved." in page.inner_text("main")
    assert page.locator("#approvals a", has_text="Aino Virtanen").count() == 0
    check(page, watch, "team-approved", "en")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_hr_pages_in_every_language(site: Site, new_context: Any, language: str) -> None:
    page, watch = _signed_in(site, new_context, "helena", "/hr/reserve", language)
    check(page, watch, "hr-reserve", language)
    assert page.locator("table.heat tbody tr").count() >= 3
    assert page.locator("svg.trend").count() >= 3
    page.locator("details.data summary").first.click()
    assert page.locator("details.data[open] table").count() == 1
    page.goto(f"{site.base}/o/{ORG}/hr/holders?competence=digcomp22:4.2&level=3")
    check(page, watch, "hr-holders", language)


def test_hr_filters_the_heat_map_drills_down_and_exports_xlsx(
    site: Site, new_context: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    status, body = http(
        "POST",
        f"{site.base}/api/v1/awards",
        {"achievement": "data-protection", "person": "E1004"},
        site.token,
    )
    assert status in (200, 201), body
    page, _watch = _signed_in(site, new_context, "helena", "/hr/reserve")
    page.locator("#q").fill("4.2")
    page.locator("#team").select_option("kouluttajat")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**q=4.2*")
    assert page.locator("table.heat tbody tr").count() == 1
    assert page.locator("table.heat thead th").count() == 2  # the target and one team
    cell = page.locator("table.heat td a").first
    assert "%" in cell.inner_text()
    cell.click()
    page.wait_for_load_state("load")
    assert "Juha Nieminen" in page.inner_text("table.holders")
    with page.expect_download() as info:
        page.locator("a[href*='/hr/holders.xlsx']").click()
    saved = tmp_path / "holders.xlsx"
    info.value.save_as(str(saved))
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "employeeNumber", "givenName")
    assert "E1004" in {row[1] for row in rows[1:]}
    assert all(row[6] == "digcomp22:4.2" and row[7] >= 3 for row in rows[1:])
