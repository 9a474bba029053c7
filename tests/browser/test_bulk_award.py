"""Bulk award in a real browser against the served application (its background thread
does the awarding): a file of 1,000 lines with 10 bad ones — the dry run shows the 10,
confirming issues 990 with the progress followed on the page, and uploading the same file
again issues nothing. axe-core on each page; screenshots in English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ORG, Site
from tests.browser.test_pages import Watch, check, sign_in_at_provider
from tests.live import http

pytestmark = pytest.mark.browser

BADGES = [
    "search-strategies", "evaluating-sources", "managing-learner-records",
    "digital-customer-service", "hybrid-teaching", "shared-workspaces", "online-etiquette",
    "accessible-materials", "instructional-video", "moodle-course-design",
    "copyright-and-licences", "automating-routines", "phishing-awareness",
    "securing-devices", "data-protection", "digital-wellbeing", "sustainable-it",
    "classroom-troubleshooting", "choosing-digital-tools", "ai-in-teaching",
    "digital-development-plan", "digital-trainer",
]  # fmt: skip


@pytest.fixture(scope="module")
def csv_file(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    people = [f"BULK{index:03d}" for index in range(45)]
    for number in people:
        body = {"employeeNumber": number, "email": f"{number.lower()}@esimerkkiopisto.example.org"}
        status, answer = http("POST", f"{site.base}/api/v1/people", body, site.token)
        assert status == 201, answer
    lines = ["person,badge,narrative,evidence_url"]
    lines += [f"{person},{badge},," for person in people for badge in BADGES]
    lines += [f"NOBODY{index},data-protection,," for index in range(5)]
    lines += [f"{people[0]},no-such-badge-{index},," for index in range(4)]
    lines += [f"{people[1]},{BADGES[0]},again,"]  # repeats an earlier line
    assert len(lines) == 1 + 1000
    path = tmp_path_factory.mktemp("bulk") / "spring-2026.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _upload(page: Any, site: Site, csv_file: Path) -> None:
    page.goto(f"{site.base}/o/{ORG}/admin/bulk")
    page.set_input_files("#bulk-file", str(csv_file))
    page.locator("button", has_text="Check the file").click()
    page.wait_for_url(f"{site.base}/o/{ORG}/admin/bulk/*")


def _facts(page: Any) -> dict[str, str]:
    terms = page.locator("dl.facts dt").all_inner_texts()
    values = page.locator("dl.facts dd").all_inner_texts()
    return dict(zip(terms, values, strict=True))


def test_a_thousand_lines_with_ten_bad_ones(site: Site, new_context: Any, csv_file: Path) -> None:
    page = new_context("en").new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}/admin/bulk")
    sign_in_at_provider(page, site, "tuomas")
    check(page, watch, "admin-bulk", "en")
    _upload(page, site, csv_file)
    check(page, watch, "admin-bulk-preview", "en")
    facts = _facts(page)
    assert facts["Lines"] == "1,000" and facts["With a problem (not awarded)"] == "10"
    assert facts["To be issued"] == "990"
    assert page.locator("h2", has_text="Lines with a problem").is_visible()
    problem_rows = page.locator("table").first.locator("tbody tr")
    assert problem_rows.count() == 10

    page.locator("button", has_text="Confirm: issue 990 badges").click()
    page.wait_for_load_state("load")
    # The page follows the background work without a reload, until every line is done.
    page.locator("text=Done: every line has its outcome.").wait_for(timeout=240_000)
    facts = _facts(page)
    assert facts["Issued"] == "990" and facts["Already held"] == "0", facts
    check(page, watch, "admin-bulk-done", "en")

    _upload(page, site, csv_file)
    facts = _facts(page)
    assert facts["Already held (nothing to issue)"] == "990" and facts["To be issued"] == "0"
    page.locator("button", has_text="Confirm: issue 0 badges").click()
    page.wait_for_load_state("load")
    page.locator("text=Done: every line has its outcome.").wait_for(timeout=120_000)
    facts = _facts(page)
    assert facts["Issued"] == "0" and facts["Already held"] == "990", facts


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_bulk_pages_in_other_languages(
    site: Site, new_context: Any, language: str, tmp_path: Path
) -> None:
    page = new_context(language).new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}/admin/bulk")
    sign_in_at_provider(page, site, "tuomas")
    check(page, watch, "admin-bulk", language)
    small = tmp_path / "small.csv"
    small.write_text("person;badge\nE1005;digital-wellbeing\nNOBODY;x\n", encoding="utf-8")
    page.set_input_files("#bulk-file", str(small))
    page.locator("form.stack-form button[type=submit]").click()
    page.wait_for_url(f"{site.base}/o/{ORG}/admin/bulk/*")
    check(page, watch, "admin-bulk-preview", language)
    page.locator("form[action$='/confirm'] button").click()
    page.wait_for_load_state("load")
    page.locator("#bulk-progress[data-running=false]").wait_for(timeout=60_000)
    check(page, watch, "admin-bulk-done", language)
