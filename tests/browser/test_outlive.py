"""Badges outlive the job, in a real browser: Emilia confirms a personal e-mail (the link
arrives at a real SMTP server on loopback), her badge is re-issued to it, she leaves
(deactivated), and then — in Finnish, Swedish and English — signs in with that e-mail by a
mailed link: the pages on the way pass axe-core and are photographed; she sees her badge
and its copy, and nothing else answers her."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.browser.conftest import ORG, SCREENSHOTS, Site
from tests.browser.test_pages import AXE_RUN, TWO_FRAMES, WIDTHS, Watch
from tests.live import free_port, http

pytestmark = pytest.mark.browser

HOME = "emilia.at.home@example.net"
PERSON = "E1011"


class _Inbox:
    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        self.texts.append((str(message["To"]), body.get_content()))
        return "250 OK"


@pytest.fixture(scope="module")
def mail(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Send the site's due notices to a loopback SMTP server; returns the newest link
    mailed to ``HOME``."""
    from badgeservice.app import create_app
    from badgeservice.db import database
    from badgeservice.notices.sending import SmtpSettings
    from badgeservice.web.notice_steps import NoticeSteps

    inbox, port = _Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app(
        {
            "DATABASE_URL": site.env["BADGESERVICE_DATABASE_URL"],
            "PUBLIC_URL": site.base,
            "SECRET_KEY": site.env["BADGESERVICE_SECRET_KEY"],
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("notices")),
        }
    )
    steps = NoticeSteps(app, transport=SmtpSettings.from_url(f"smtp://127.0.0.1:{port}").send)

    def newest_link() -> str:
        # Everything due, also what the other tests' awards queued on the shared site.
        while steps.send():
            pass
        texts = [text for to, text in inbox.texts if to == HOME]
        assert texts, inbox.texts
        found = re.search(r"(http://127\.0\.0\.1:\d+/o/\S+)", texts[-1])
        assert found, texts[-1]
        return found.group(1)

    yield newest_link
    controller.stop()
    with app.app_context():
        database().engine.dispose()


def _check(page: Any, watch: Watch, name: str, language: str) -> None:
    """Language, axe-core, no policy problems; screenshots in every language."""
    page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == language, (name, page.url)
    assert page.locator("h1").count() == 1, name
    violations = page.evaluate(AXE_RUN)
    assert violations == [], f"{name} ({language}): {violations}"
    assert watch.problems == [], f"{name} ({language}): {watch.problems}"
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(TWO_FRAMES)
        path = Path(SCREENSHOTS / f"outlive-{name}-{language}-{width}.png")
        page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.fixture(scope="module")
def left(site: Site, mail: Any, chromium: Any) -> dict[str, str]:
    """Emilia's badge, her confirmed personal e-mail, the badge re-issued to it; then she
    is deactivated. The ids of the original and the copy."""
    status, found = http(
        "GET", f"{site.base}/api/v1/people?employeeNumber={PERSON}", None, site.token
    )
    assert status == 200, found
    person = found["items"][0]["id"]
    status, award = http(
        "POST",
        f"{site.base}/api/v1/awards",
        {"achievement": "digital-wellbeing", "person": PERSON},
        site.token,
    )
    assert status in (200, 201), award
    status, asked = http(
        "POST", f"{site.base}/api/v1/people/{person}/identities/email", {"email": HOME}, site.token
    )
    assert status == 202, asked
    context = chromium.new_context(locale="fi-FI", extra_http_headers={"Accept-Language": "fi"})
    page = context.new_page()
    page.goto(mail())  # the confirmation link, in her inbox
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")
    assert HOME in page.locator("main").inner_text()
    context.close()
    status, made = http(
        "POST", f"{site.base}/api/v1/people/{person}/reissue", {"to": "email"}, site.token
    )
    assert status == 200, made
    status, gone = http("DELETE", f"{site.base}/api/v1/people/{person}", None, site.token)
    assert status == 200 and gone["active"] is False, gone
    return {"original": award["id"], "copy": made["credentials"][0]["id"]}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_after_leaving_she_signs_in_by_a_mailed_link_to_her_badges_only(
    site: Site, new_context: Any, mail: Any, left: dict[str, str], language: str
) -> None:
    page = new_context(language).new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}/sign-in")
    page.locator(f"main a[href='/o/{ORG}/sign-in/email']").click()
    _check(page, watch, "email-sign-in", language)
    page.fill("#sign-in-email", HOME)
    page.locator("main button[type=submit]").click()
    _check(page, watch, "email-sign-in-sent", language)

    page.goto(mail())
    _check(page, watch, "email-link", language)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{site.base}/o/{ORG}/badges")
    _check(page, watch, "badges-after-leaving", language)
    for credential in (left["original"], left["copy"]):
        assert page.locator(f"a[href='/o/{ORG}/badges/{credential}']").count() == 1
    nav = page.locator("nav.mainnav a").evaluate_all("links => links.map(a => a.pathname)")
    assert f"/o/{ORG}/path" not in nav and f"/o/{ORG}/settings" not in nav

    page.locator(f"a[href='/o/{ORG}/badges/{left['copy']}']").click()
    page.wait_for_load_state("load")
    _check(page, watch, "reissued-badge", language)
    assert page.locator(f"main a[href='/o/{ORG}/badges/{left['original']}']").count() == 1

    for path in ("home", "path", "settings", "admin"):
        answer = page.goto(f"{site.base}/o/{ORG}/{path}")
        assert answer is not None and answer.status == 403, path


def test_a_spent_link_is_refused_with_a_clear_page(
    site: Site, new_context: Any, mail: Any, left: dict[str, str]
) -> None:
    page = new_context("en").new_page()
    watch = Watch(page)
    # The newest link mailed to her: the confirmation (on a site of its own) or the last
    # sign-in link (after the tests above); either was used.
    link = mail()
    answer = page.goto(link)
    assert answer is not None and answer.status == 410
    _check(page, watch, "link-used", "en")
    assert "already been used" in page.locator("main").inner_text()
