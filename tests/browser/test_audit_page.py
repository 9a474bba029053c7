"""The audit page in a real browser: axe-core in Finnish, Swedish and English with
screenshots (fi, en), filtering with the form, a CSV download, and the retention form
used with the keyboard alone."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ORG, Site
from tests.browser.test_pages import Watch, check, sign_in_at_provider

pytestmark = pytest.mark.browser


def _signed_in(site: Site, new_context: Any, language: str) -> tuple[Any, Watch]:
    page = new_context(language).new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}/admin/audit")
    sign_in_at_provider(page, site, "tuomas")
    assert page.url == f"{site.base}/o/{ORG}/admin/audit"
    return page, watch


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_audit_page_in_every_language(site: Site, new_context: Any, language: str) -> None:
    page, watch = _signed_in(site, new_context, language)
    # Something done on a page, to find in the trail.
    page.goto(f"{site.base}/o/{ORG}/admin/clients")
    page.fill("#client-name", f"audit-{language}")
    page.locator("input[name=scope][value='hr:read']").check()
    page.locator("form[aria-labelledby=new-client] button[type=submit]").click()
    page.wait_for_load_state("load")
    page.goto(f"{site.base}/o/{ORG}/admin/audit")
    check(page, watch, "admin-audit", language)
    page.fill("#action", "client.created")
    page.fill("#target", f"audit-{language}")
    page.locator("form.filters button[type=submit]").first.click()
    page.wait_for_load_state("load")
    rows = page.locator("table.data-table tbody tr")
    assert rows.count() == 1
    assert f"audit-{language}" in rows.first.inner_text()
    assert "Tuomas" in rows.first.inner_text()
    check(page, watch, "admin-audit-filtered", language)


def test_download_and_retention_with_the_keyboard(
    site: Site, new_context: Any, tmp_path: Path
) -> None:
    page, watch = _signed_in(site, new_context, "en")
    page.goto(f"{site.base}/o/{ORG}/admin/audit?action=definitions.")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "audit.csv"
    info.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert rows and all(row["action"].startswith("definitions.") for row in rows)

    page.goto(f"{site.base}/o/{ORG}/admin/audit")
    field = page.locator("#retention-inbox")
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("45")
    for _ in range(3):  # past the other two periods to the button
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert "The retention periods were saved" in page.inner_text("[role=status]")
    assert page.locator("#retention-inbox").input_value() == "45"
    assert "organisation.retention_changed" in page.inner_text("table.data-table")
    check(page, watch, "admin-audit-retention", "en")
