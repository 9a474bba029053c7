"""The admin's pages in a real browser: the dashboard, the event inbox and the HR
deliveries — axe-core in Finnish, Swedish and English, screenshots in fi and en — and
replaying an event with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ORG, Site
from tests.browser.test_pages import Watch, check, sign_in_at_provider
from tests.live import http

pytestmark = pytest.mark.browser


def _signed_in(site: Site, new_context: Any, language: str) -> tuple[Any, Watch]:
    page = new_context(language).new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}/admin")
    sign_in_at_provider(page, site, "tuomas")
    assert page.url == f"{site.base}/o/{ORG}/admin"
    return page, watch


@pytest.fixture(scope="module")
def unmatched(site: Site) -> dict[str, Any]:
    """An event for an activity no sub-goal knows: accepted and recorded as unmatched."""
    event = {
        "id": "evt-admin-browser",
        "time": "2026-11-20T10:00:00+00:00",
        "source": {"connection": "moodle"},
        "person": {"employeeNumber": "E1003"},
        "activity": {"id": "course:999", "name": "Not on any path"},
        "result": {"completion": True},
    }
    status, body = http("POST", f"{site.base}/api/v1/events", event, site.token)
    assert status == 202, body
    assert body["event"]["state"] == "unmatched", body
    return dict(body["event"])


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_admin_pages_in_every_language(
    site: Site, new_context: Any, unmatched: dict[str, Any], language: str
) -> None:
    page, watch = _signed_in(site, new_context, language)
    check(page, watch, "admin", language)
    page.goto(f"{site.base}/o/{ORG}/admin/events?state=unmatched")
    check(page, watch, "admin-events", language)
    assert page.locator("input[name=event]").count() >= 1
    page.goto(f"{site.base}/o/{ORG}/admin/deliveries")
    check(page, watch, "admin-deliveries", language)
    page.goto(f"{site.base}/o/{ORG}/admin/clients")
    check(page, watch, "admin-clients", language)
    page.goto(f"{site.base}/o/{ORG}/admin/endpoints")
    check(page, watch, "admin-endpoints", language)
    page.goto(f"{site.base}/o/{ORG}/admin/catalogue")
    check(page, watch, "admin-catalogue", language)
    # A new HR endpoint's secret, shown once; then a delivery to it with its attempts.
    page.goto(f"{site.base}/o/{ORG}/admin/endpoints")
    page.fill("#endpoint-name", f"hr-{language}")
    page.fill("#endpoint-url", f"https://hr-{language}.example.org/hooks")
    page.locator("form.stack-form button[type=submit]").click()
    page.wait_for_load_state("load")
    check(page, watch, "admin-secret", language)
    status, _body = http(
        "POST",
        f"{site.base}/api/v1/awards",
        {"achievement": "sustainable-it", "person": "E1004"},
        site.token,
    )
    assert status in (200, 201)
    page.goto(f"{site.base}/o/{ORG}/admin/deliveries?state=pending")
    page.locator("table a").first.click()
    check(page, watch, "admin-delivery", language)


def test_replay_an_event_with_the_keyboard(
    site: Site, new_context: Any, unmatched: dict[str, Any]
) -> None:
    page, watch = _signed_in(site, new_context, "en")
    page.goto(f"{site.base}/o/{ORG}/admin/events?state=unmatched")
    box = page.locator(f"input[name=event][value='{unmatched['id']}']")
    box.focus()
    page.keyboard.press("Space")
    assert box.is_checked()
    page.keyboard.press("Tab")  # to the button
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert "1 event was processed again" in page.inner_text("[role=status]")
    check(page, watch, "admin-events-replayed", "en")


def test_replay_a_parked_event_after_creating_the_person(site: Site, new_context: Any) -> None:
    event = {
        "id": "evt-admin-parked",
        "time": "2026-11-20T10:00:00+00:00",
        "source": {"connection": "moodle"},
        "person": {"employeeNumber": "E7788"},
        "activity": {"id": "course:100", "name": "Data protection"},
        "result": {"completion": True, "success": True},
    }
    status, body = http("POST", f"{site.base}/api/v1/events", event, site.token)
    assert status == 202 and body["event"]["state"] == "parked", body
    status, person = http(
        "POST",
        f"{site.base}/api/v1/people",
        {"employeeNumber": "E7788", "email": "new.colleague@esimerkkiopisto.example.org"},
        site.token,
    )
    assert status == 201, person
    page, _watch = _signed_in(site, new_context, "en")
    page.goto(f"{site.base}/o/{ORG}/admin")
    page.locator("a", has_text="parked (person unknown)").click()
    page.locator(f"input[name=event][value='{body['event']['id']}']").check()
    page.locator("button", has_text="Process the chosen events again").click()
    page.wait_for_load_state("load")
    assert "1 event was processed again" in page.inner_text("[role=status]")
    status, after = http(
        "GET", f"{site.base}/api/v1/events/{body['event']['id']}", token=site.token
    )
    assert status == 200 and after["state"] == "processed" and after["credentials"], after
