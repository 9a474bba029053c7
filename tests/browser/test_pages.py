"""Every page in a real browser, in Finnish, Swedish and English: axe-core finds nothing
serious or critical, no content-security-policy violation, the page's language is set;
screenshots in Finnish and English at 1280 px and 390 px go to tests/browser/screenshots/.
And the main task done with the keyboard alone: sign in, switch language, sign out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import NEIGHBOUR, ORG, SCREENSHOTS, Site

pytestmark = pytest.mark.browser

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}"""
WIDTHS = (1280, 390)
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


class Watch:
    """Console messages of a page that report a blocked resource or a policy violation."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused" in text):
            self.problems.append(text)


def check(page: Any, watch: Watch, name: str, language: str) -> None:
    """The page as it stands: language, accessibility, policy; screenshots (fi, en)."""
    page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == language, (name, page.url)
    assert page.locator("h1").count() == 1, name
    violations = page.evaluate(AXE_RUN)
    assert violations == [], f"{name} ({language}): {violations}"
    assert watch.problems == [], f"{name} ({language}): {watch.problems}"
    if language in ("fi", "en"):
        SCREENSHOTS.mkdir(exist_ok=True)
        for width in WIDTHS:
            # Laid out again at the new width before the picture is taken (two frames).
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate(TWO_FRAMES)
            page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{language}-{width}.png"), full_page=True
            )
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def sign_in_at_provider(page: Any, site: Site, login: str) -> None:
    page.locator(f"a[href^='/o/{ORG}/sign-in/start']").click()
    page.wait_for_url(f"{site.provider.issuer}/**")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{site.base}/**")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_page_in_every_language(site: Site, new_context: Any, language: str) -> None:
    context = new_context(language)
    page = context.new_page()
    watch = Watch(page)
    signed_out = {
        "organisations": "/",
        "landing": f"/o/{ORG}/",
        "landing-neighbour": f"/o/{NEIGHBOUR}/",
        "sign-in": f"/o/{ORG}/sign-in",
        "not-found": f"/o/{ORG}/no-such-page",
        "sign-in-failed": f"/o/{ORG}/sign-in/callback?code=forged&state=forged",
    }
    for name, path in signed_out.items():
        page.goto(site.base + path)
        check(page, watch, name, language)

    page.goto(f"{site.base}/o/{ORG}/home")  # protected: to sign-in, then back here
    assert f"/o/{ORG}/sign-in?next=/o/{ORG}/home" in page.url
    sign_in_at_provider(page, site, "aino")
    assert page.url == f"{site.base}/o/{ORG}/home"
    check(page, watch, "home", language)
    assert "Aino Virtanen" in page.inner_text("main")

    # Signed in here is signed out next door.
    page.goto(f"{site.base}/o/{NEIGHBOUR}/home")
    assert page.url.startswith(f"{site.base}/o/{NEIGHBOUR}/sign-in")

    page.goto(f"{site.base}/o/{ORG}/home")
    page.locator("form[action$='/sign-out'] button").click()
    page.wait_for_url(f"**/o/{ORG}/sign-in?reason=signed-out")
    check(page, watch, "signed-out", language)

    stranger = new_context(language).new_page()
    stranger_watch = Watch(stranger)
    stranger.goto(f"{site.base}/o/{ORG}/sign-in")
    sign_in_at_provider(stranger, site, "stranger")
    check(stranger, stranger_watch, "sign-in-refused", language)


def _focus(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {text: (el.innerText || el.value || '').trim(), tag: el.tagName,
                  href: el.getAttribute('href') || '', outline: style.outlineStyle,
                  shadow: style.boxShadow};
        }"""
    )


def tab_to(page: Any, wanted: str, limit: int = 40) -> dict[str, str]:
    """Press Tab until the focused element's text is ``wanted``; its focus must show."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focus(page)
        if focused["text"] == wanted:
            assert focused["outline"] != "none" or focused["shadow"] != "none", focused
            return focused
    raise AssertionError(f"{wanted!r} is not reachable with Tab")


def test_the_main_task_with_the_keyboard_alone(site: Site, new_context: Any) -> None:
    page = new_context("en").new_page()
    page.goto(f"{site.base}/o/{ORG}/")
    page.keyboard.press("Tab")
    assert _focus(page)["text"] == "Skip to main content"  # the first stop
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to(page, "Sign in")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/o/{ORG}/sign-in")
    tab_to(page, "Sign in with your organisation account")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.provider.issuer}/**")
    # The provider's own form: its login field has the focus (wait for it: the provider
    # redirects once more before the form is there, and keys typed before are lost).
    page.wait_for_function(
        "document.activeElement && document.activeElement.tagName === 'INPUT'"
        " && document.activeElement.name === 'login'"
    )
    page.keyboard.type("aino")
    page.keyboard.press("Tab")
    page.keyboard.type("any password")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/o/{ORG}/home")
    assert page.inner_text("h1") == "Welcome, Aino"

    tab_to(page, "Suomi")
    page.keyboard.press("Enter")
    # A selector, not wait_for_function: a string predicate is evaluated with eval(), which
    # the pages' Content-Security-Policy (script-src 'self') forbids.
    page.wait_for_selector("html[lang='fi']", state="attached")
    assert page.url == f"{site.base}/o/{ORG}/home"
    assert page.inner_text("h1") == "Tervetuloa, Aino"

    tab_to(page, "Kirjaudu ulos")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/o/{ORG}/sign-in?reason=signed-out")
    assert "Olet kirjautunut ulos." in page.inner_text("main")
    page.goto(f"{site.base}/o/{ORG}/home")
    assert "/sign-in?next=" in page.url  # signed out for real
