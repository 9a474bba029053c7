"""The learner's pages in a real browser, signed in through the OpenID Provider: my path,
my badges and one badge, my settings — axe-core in Finnish, Swedish and English,
screenshots in Finnish and English; a completion arriving over the webhook shows on the path
after a reload; the baked PNG downloaded verifies with ``badgeservice credentials verify``;
sharing a badge with the keyboard alone, then its public page signed out."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import NEIGHBOUR, ORG, Site, verify_with_cli
from tests.browser.test_pages import Watch, check, sign_in_at_provider
from tests.live import http

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def wellbeing(site: Site) -> dict[str, Any]:
    """A badge of Aino's (Digital wellbeing), private as every badge starts."""
    status, body = http(
        "POST",
        f"{site.base}/api/v1/awards",
        {"achievement": "digital-wellbeing", "person": "E1003"},
        site.token,
    )
    assert status in (200, 201), body
    return dict(body)


def _signed_in(site: Site, new_context: Any, language: str) -> tuple[Any, Watch]:
    page = new_context(language).new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}/path")
    sign_in_at_provider(page, site, "aino")
    assert page.url == f"{site.base}/o/{ORG}/path"
    return page, watch


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_learner_pages_in_every_language(
    site: Site, new_context: Any, wellbeing: dict[str, Any], language: str
) -> None:
    page, watch = _signed_in(site, new_context, language)
    check(page, watch, "my-path", language)
    assert page.locator("svg.trail").count() >= 2
    assert page.locator("ol.steps li").count() >= 3

    page.goto(f"{site.base}/o/{ORG}/badges")
    check(page, watch, "my-badges", language)
    card = page.locator(f"a[href='/o/{ORG}/badges/{wellbeing['id']}']")
    assert card.count() == 1
    assert page.locator(".badge-card img").first.evaluate("img => img.naturalWidth") > 0

    card.click()
    page.wait_for_load_state("load")
    check(page, watch, "my-badge", language)
    assert page.locator("a[href$='/badge.png']").count() == 1

    page.goto(f"{site.base}/o/{ORG}/settings")
    check(page, watch, "my-settings", language)

    # Signed in here is signed out next door: another organisation's pages ask to sign in.
    page.goto(f"{site.base}/o/{NEIGHBOUR}/badges")
    assert page.url.startswith(f"{site.base}/o/{NEIGHBOUR}/sign-in")


def test_a_completion_shows_on_the_path_after_a_reload(site: Site, new_context: Any) -> None:
    page, _watch = _signed_in(site, new_context, "en")
    step = page.locator("ol.steps li", has_text="Accessible course materials")
    assert "achieved" not in step.first.inner_text()
    event = {
        "id": f"browser-{uuid.uuid4()}",
        "type": "completion",
        "time": "2026-12-01T10:00:00+02:00",
        "source": {"connection": "moodle"},
        "person": {"employeeNumber": "E1003"},
        "activity": {"id": "course:101", "name": "Accessible course materials"},
        "result": {"completion": True, "success": True},
    }
    status, body = http("POST", f"{site.base}/api/v1/events", event, site.token)
    assert status == 202, body
    page.reload()
    page.wait_for_load_state("load")
    step = page.locator("ol.steps li", has_text="Accessible course materials")
    assert "achieved" in step.first.inner_text()


def test_the_downloaded_png_verifies_with_the_cli(
    site: Site, new_context: Any, wellbeing: dict[str, Any], tmp_path: Path
) -> None:
    page, _watch = _signed_in(site, new_context, "en")
    page.goto(f"{site.base}/o/{ORG}/badges/{wellbeing['id']}")
    with page.expect_download() as info:
        page.locator("a[href$='/badge.png']").click()
    saved = tmp_path / "badge.png"
    info.value.save_as(str(saved))
    assert saved.read_bytes().startswith(b"\x89PNG")
    verify_with_cli(saved)


def test_share_a_badge_with_the_keyboard_then_open_it_signed_out(
    site: Site, new_context: Any, wellbeing: dict[str, Any]
) -> None:
    page, watch = _signed_in(site, new_context, "en")
    page.goto(f"{site.base}/o/{ORG}/badges/{wellbeing['id']}")
    page.locator("#visibility-private").focus()
    page.keyboard.press("ArrowDown")  # radio group: the arrow keys move the choice
    assert page.locator("#visibility-public").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "show-name"
    page.keyboard.press("Space")
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**?saved=1*")
    assert "saved" in page.inner_text("#sharing")
    assert page.locator("figure.qr svg").count() == 1
    check(page, watch, "my-badge-shared", "en")

    stranger = new_context("en").new_page()
    stranger.goto(wellbeing["url"])
    stranger.wait_for_load_state("load")
    assert "Aino Virtanen" in stranger.inner_text("main")
    assert stranger.locator("img.badge-image").count() == 1
