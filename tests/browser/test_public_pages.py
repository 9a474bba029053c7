"""The public side in a real browser, signed out: a badge shared over the API and opened
by anyone, a revoked badge saying so, a private one saying only that it is not shared, the
achievement and issuer pages, and /verify with an upload of a baked PNG — axe-core in
Finnish, Swedish and English, screenshots in Finnish and English, and the verify task with
the keyboard alone."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from badgeservice.credentials import baking
from tests.browser.conftest import ORG, Site
from tests.browser.test_pages import Watch, _focus, check, tab_to
from tests.live import http

pytestmark = pytest.mark.browser


def _award(site: Site, achievement: str, person: str) -> dict[str, Any]:
    status, body = http(
        "POST",
        f"{site.base}/api/v1/awards",
        {"achievement": achievement, "person": person},
        site.token,
    )
    assert status in (200, 201), body
    return dict(body)


def _share(site: Site, credential: dict[str, Any], *, name: bool) -> None:
    status, body = http(
        "PUT",
        f"{site.base}/api/v1/credentials/{credential['id']}/sharing",
        {"visibility": "public", "showName": name},
        site.token,
    )
    assert status == 200, body


@pytest.fixture(scope="module")
def badges(site: Site) -> dict[str, dict[str, Any]]:
    """Aino's badges: one shared with her name, one shared and then revoked, one private."""
    shared = _award(site, "data-protection", "E1003")
    _share(site, shared, name=True)
    revoked = _award(site, "search-strategies", "E1003")
    _share(site, revoked, name=False)
    status, body = http(
        "POST",
        f"{site.base}/api/v1/credentials/{revoked['id']}/revoke",
        {"reason": "awarded to the wrong person"},
        site.token,
    )
    assert status == 200, body
    private = _award(site, "evaluating-sources", "E1003")
    return {"shared": shared, "revoked": revoked, "private": private}


@pytest.fixture
def baked_png(tmp_path: Path, badges: dict[str, dict[str, Any]]) -> Path:
    canvas = io.BytesIO()
    Image.new("RGB", (64, 64), (11, 91, 107)).save(canvas, format="PNG")
    path = tmp_path / "badge.png"
    path.write_bytes(baking.bake(canvas.getvalue(), badges["shared"]["credential"]))
    return path


def _path(site: Site, url: str) -> str:
    return url.removeprefix(site.base)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_public_pages_signed_out_in_every_language(
    site: Site, new_context: Any, badges: dict[str, dict[str, Any]], language: str
) -> None:
    page = new_context(language).new_page()
    watch = Watch(page)
    shared, revoked = badges["shared"], badges["revoked"]

    page.goto(shared["url"])
    check(page, watch, "badge", language)
    main = page.inner_text("main")
    assert "Aino Virtanen" in main  # she allowed her name
    verdict = page.inner_text(".verdict-line")
    assert verdict.startswith({"fi": "Voimassa", "sv": "Giltigt", "en": "Valid"}[language])
    assert page.locator("img.badge-image").evaluate("img => img.naturalWidth") > 0
    # The details toggle opens the list of checks.
    page.locator(".checks summary").click()
    assert page.locator(".check-list li").count() >= 5

    page.goto(revoked["url"])
    check(page, watch, "badge-revoked", language)
    revoked_word = {"fi": "Peruttu", "sv": "Återkallat", "en": "Revoked on"}[language]
    assert page.inner_text(".verdict-line").startswith(revoked_word)
    assert "Aino" not in page.inner_text("main")  # shared without her name

    page.goto(badges["private"]["url"])
    check(page, watch, "badge-private", language)
    assert "Evaluating" not in page.inner_text("main")

    achievement = shared["credential"]["credentialSubject"]["achievement"]
    page.goto(achievement["id"])
    check(page, watch, "achievement", language)
    page.locator("a[href^='/issuers/']").first.click()
    page.wait_for_load_state("load")
    check(page, watch, "issuer", language)
    # The issuer's name in the page's language (the credential has the Finnish one).
    assert shared["credential"]["issuer"]["name"] == "Esimerkkiopiston Henkilöstöakatemia"
    assert (
        page.inner_text("h1")
        == {
            "fi": "Esimerkkiopiston Henkilöstöakatemia",
            "sv": "Exempelinstitutets personalakademi",
            "en": "Esimerkkiopisto Staff Academy",
        }[language]
    )

    page.goto(f"{site.base}/verify")
    check(page, watch, "verify", language)


def test_verify_an_uploaded_baked_png(
    site: Site, new_context: Any, baked_png: Path, badges: dict[str, dict[str, Any]]
) -> None:
    for language in ("fi", "en"):
        page = new_context(language).new_page()
        watch = Watch(page)
        page.goto(f"{site.base}/verify")
        page.set_input_files("#verify-file", str(baked_png))
        page.locator("#verify-file ~ button[type=submit]").click()
        page.wait_for_load_state("load")
        check(page, watch, "verify-result", language)
        line = page.inner_text(".verdict-line")
        assert line.startswith({"fi": "Voimassa", "en": "Valid — issued by"}[language]), line
        name = badges["shared"]["credential"]["credentialSubject"]["achievement"]["name"]
        assert name in page.inner_text(".verified-summary")

        page.goto(f"{site.base}/verify")
        page.set_input_files("#verify-file", str(Path(__file__)))  # not a badge
        page.locator("#verify-file ~ button[type=submit]").click()
        page.wait_for_load_state("load")
        check(page, watch, "verify-error", language)
        assert page.locator("[role=alert]").count() == 1


def test_verifying_an_address_with_the_keyboard_alone(
    site: Site, new_context: Any, badges: dict[str, dict[str, Any]]
) -> None:
    page = new_context("en").new_page()
    page.goto(f"{site.base}/o/{ORG}/")
    tab_to(page, "Verify a badge")
    page.keyboard.press("Enter")
    page.wait_for_url("**/verify")
    page.keyboard.press("Tab")
    assert _focus(page)["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    for _ in range(30):  # on to the address field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "verify-url":
            break
    else:
        raise AssertionError("the address field is not reachable with Tab")
    page.keyboard.type(badges["revoked"]["url"])
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert page.inner_text(".verdict-line").startswith("Revoked on")
    tab_to(page, "Show the checks")
    page.keyboard.press("Enter")
    assert page.locator(".checks").get_attribute("open") is not None
    assert "revocation: revoked" in page.inner_text(".check-list")
    tab_to(page, "Open the badge's page")
    page.keyboard.press("Enter")
    page.wait_for_url(badges["revoked"]["url"])
    assert page.inner_text(".verdict-line").startswith("Revoked on")
