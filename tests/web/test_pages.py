"""The pages through the Flask test client: the front door, languages and the switcher,
form tokens, error pages for browsers, security headers, the organisation's colours."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from badgeservice.web.theme import contrast, theme_for
from tests.web.conftest import (
    Org,
    configure_sign_in,
    form_token,
    make_app,
    sign_in_through_provider,
)

PEOPLE = {"aino": ("Aino", "aino.virtanen@acme.example", "A-1", True)}
LANGS = {"fi": "Kirjaudu sisään", "sv": "Logga in", "en": "Sign in"}


def _html_lang(page: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', page)
    assert match
    return match.group(1)


def _client(app: Any) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "text/html"
    return client


def test_one_organisation_is_the_front_door(browser: Any, make_org: Any) -> None:
    make_org("acme", PEOPLE)
    page = browser.get("/", headers={"Accept-Language": "en"})
    text = page.data.decode()
    assert page.status_code == 200
    assert "Acme Oy recognises its staff" in text
    assert 'href="/o/acme/sign-in"' in text and 'href="/verify"' in text
    assert '<link rel="canonical" href="/o/acme/">' in text


def test_several_organisations_are_listed_and_machines_get_json(
    browser: Any, make_org: Any
) -> None:
    make_org("acme", PEOPLE)
    make_org("globex", {})
    text = browser.get("/", headers={"Accept-Language": "en"}).data.decode()
    assert "Choose your organisation" in text
    assert 'href="/o/acme/"' in text and 'href="/o/globex/"' in text
    data = browser.get("/", headers={"Accept": "application/json"}).get_json()
    assert [o["slug"] for o in data["organisations"]] == ["acme", "globex"]
    assert data["organisations"][0]["page"] == "http://127.0.0.1:5999/o/acme/"
    assert data["api"] == "http://127.0.0.1:5999/api/v1"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fi-FI,fi;q=0.9,en;q=0.5", "fi"),
        ("sv-SE", "sv"),
        ("de-DE,en;q=0.3", "en"),
        ("de-DE", "en"),  # the configured default
    ],
)
def test_the_browser_language_chooses_the_pages_language(
    browser: Any, make_org: Any, header: str, expected: str
) -> None:
    make_org("acme", PEOPLE)
    page = browser.get("/o/acme/", headers={"Accept-Language": header}).data.decode()
    assert _html_lang(page) == expected
    assert LANGS[expected] in page


def test_the_switcher_is_a_form_on_every_page_remembered_in_the_session(
    browser: Any, make_org: Any
) -> None:
    make_org("acme", PEOPLE)
    for path in ("/o/acme/", "/o/acme/sign-in", "/"):
        page = browser.get(path, headers={"Accept-Language": "en"}).data.decode()
        assert 'action="/language"' in page, path
        for code, name in (("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")):
            assert f'name="lang" value="{code}" lang="{code}"' in page and name in page
    page = browser.get("/o/acme/", headers={"Accept-Language": "en"}).data.decode()
    switched = browser.post(
        "/language", data={"lang": "sv", "next": "/o/acme/", "csrf_token": form_token(page)}
    )
    assert switched.status_code == 303 and switched.headers["Location"] == "/o/acme/"
    again = browser.get("/o/acme/", headers={"Accept-Language": "fi"}).data.decode()
    assert _html_lang(again) == "sv"  # the choice beats the browser's
    # A "next" elsewhere than this site is not followed.
    away = browser.post(
        "/language",
        data={"lang": "fi", "next": "//evil.example/", "csrf_token": form_token(again)},
    )
    assert away.headers["Location"] == "/"


def test_a_form_without_its_token_is_refused_with_a_page(browser: Any, make_org: Any) -> None:
    make_org("acme", PEOPLE)
    browser.get("/o/acme/")
    refused = browser.post("/language", data={"lang": "fi", "next": "/o/acme/"})
    assert refused.status_code == 400
    assert "text/html" in refused.content_type
    assert "The form has expired" in refused.data.decode()
    bad = browser.post(
        "/language",
        data={"lang": "xx", "csrf_token": form_token(browser.get("/o/acme/").data.decode())},
    )
    assert bad.status_code == 400


def test_the_persons_own_setting_chooses_the_language_after_sign_in(
    web_app: Any, make_org: Any, provider: Any
) -> None:
    from badgeservice.db import database
    from badgeservice.people.models import Person

    app = web_app
    acme: Org = make_org("acme", PEOPLE)
    client = _client(app)
    configure_sign_in(client, acme, provider)
    sign_in_through_provider(client, "acme", "aino")
    home = client.get("/o/acme/home", headers={"Accept-Language": "en"}).data.decode()
    assert _html_lang(home) == "en"
    client.post(
        "/language", data={"lang": "fi", "next": "/o/acme/home", "csrf_token": form_token(home)}
    )
    with app.app_context():
        db = database().sessions()
        assert db.get(Person, acme.people["aino"]).locale == "fi"
        db.close()
    # A new browser (no session choice, English browser): the person's setting wins.
    other = _client(app)
    sign_in_through_provider(other, "acme", "aino")
    page = other.get("/o/acme/home", headers={"Accept-Language": "en"}).data.decode()
    assert _html_lang(page) == "fi" and "Tervetuloa, Aino" in page


def test_dates_and_numbers_follow_the_language(web_app: Any) -> None:
    from datetime import UTC, datetime

    from badgeservice.web.summaries import BadgeLine

    app = web_app
    moment = datetime(2026, 12, 4, 10, 5, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "fi"}):
        from flask import render_template_string

        line = BadgeLine(moment, "x", moment, "valid")  # type: ignore[arg-type]
        text = render_template_string(
            "{{ d|date }} {{ d|time }} {{ n|number }}", d=line.issued_at, n=1234567
        )
        assert text == "4.12.2026 12.05 1\xa0234\xa0567"  # Helsinki time, Finnish forms
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = render_template_string(
            "{{ d|date }} {{ d|time }} {{ n|number }}", d=moment, n=1234567
        )
        assert text == "4 Dec 2026 12:05 1,234,567"
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        text = render_template_string("{{ d|date }} {{ n|number }}", d=moment, n=1234.5)
        assert text == "4 dec. 2026 1\xa0234,5"


def test_browsers_get_error_pages_and_machines_problem_json(browser: Any, make_org: Any) -> None:
    make_org("acme", PEOPLE)
    missing = browser.get("/o/nowhere/", headers={"Accept-Language": "fi"})
    assert missing.status_code == 404 and "text/html" in missing.content_type
    assert "Sivua ei löydy" in missing.data.decode()
    assert browser.get("/no/such/page").status_code == 404
    api = browser.get("/api/v1/nothing")
    assert api.status_code == 404 and api.content_type == "application/problem+json"
    machine = browser.get("/no/such/page", headers={"Accept": "application/json"})
    assert machine.content_type == "application/problem+json"


def test_signed_out_visitors_of_a_protected_page_are_sent_to_sign_in(
    browser: Any, make_org: Any
) -> None:
    make_org("acme", PEOPLE)
    answer = browser.get("/o/acme/home?x=1")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/o/acme/sign-in?next=/o/acme/home?x%3D1"
    page = browser.get(answer.headers["Location"], headers={"Accept-Language": "en"})
    assert "Sign-in is not set up for Acme Oy yet" in page.data.decode()


def test_role_check_helper(web_app: Any, make_org: Any) -> None:
    from flask import g, session

    from badgeservice.access.roles import Role
    from badgeservice.db import get_session
    from badgeservice.errors import Forbidden
    from badgeservice.organisations.models import Organisation
    from badgeservice.people.models import Person
    from badgeservice.web.session import (
        current_person,
        requires_role,
        sign_in_person,
    )

    acme: Org = make_org(
        "acme",
        {**PEOPLE, "hanna": ("Hanna", "hanna@acme.example", "A-2", True)},
        grants={"hanna": ["hr"]},
    )

    @requires_role(Role.HR)
    def hr_page() -> str:
        return "hr page"

    with web_app.test_request_context("/o/acme/reserve"):
        # The request's own session (on SQLite a second one would wait for its write lock).
        db = get_session()
        g.organisation = db.get(Organisation, acme.id)
        assert hr_page().status_code == 303  # signed out → sign in
        sign_in_person(db.get(Person, acme.people["aino"]), "test")
        assert current_person().id == acme.people["aino"]
        with pytest.raises(Forbidden):
            hr_page()  # a learner only
        sign_in_person(db.get(Person, acme.people["hanna"]), "test")
        assert "sid" in session
        assert hr_page() == "hr page"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.h1 = 0
        self.landmarks: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if "style" in names or any(name.startswith("on") for name in names):
            self.problems.append(f"<{tag}> has an inline style or handler")
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        self.h1 += tag == "h1"
        if tag in {"header", "nav", "main", "footer"}:
            self.landmarks.add(tag)


def test_pages_work_under_a_strict_content_security_policy(
    web_app: Any, make_org: Any, provider: Any
) -> None:
    acme: Org = make_org("acme", PEOPLE)
    client = _client(web_app)
    configure_sign_in(client, acme, provider)
    paths = ["/", "/o/acme/", "/o/acme/sign-in", "/o/nowhere/"]
    pages = [client.get(path) for path in paths]
    sign_in_through_provider(client, "acme", "aino")
    pages.append(client.get("/o/acme/home"))
    for path, answer in zip([*paths, "/o/acme/home"], pages, strict=True):
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, path
        assert "'unsafe-inline'" not in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        tags = _Tags()
        tags.feed(answer.data.decode())
        assert tags.problems == [], path
        assert tags.h1 == 1, path
        assert tags.landmarks == {"header", "nav", "main", "footer"}, path


def test_the_accent_colour_is_served_as_css_and_made_readable(browser: Any, make_org: Any) -> None:
    make_org("acme", PEOPLE, accent="#f5c400")  # a bright yellow: white text cannot read
    page = browser.get("/o/acme/").data.decode()
    assert 'href="/o/acme/theme.css"' in page
    css = browser.get("/o/acme/theme.css")
    assert css.content_type.startswith("text/css")
    accent = re.search(r"--accent: (#[0-9a-f]{6})", css.data.decode()).group(1)
    on_accent = re.search(r"--on-accent: (#[0-9a-f]{6})", css.data.decode()).group(1)
    link = re.search(r"--link: (#[0-9a-f]{6})", css.data.decode()).group(1)
    assert contrast(accent, on_accent) >= 4.5
    assert contrast(link, "#ffffff") >= 4.5
    assert (
        browser.get("/o/acme/theme.css", headers={"If-None-Match": css.headers["ETag"]}).status_code
        == 304
    )


@pytest.mark.parametrize("accent", ["#ffffff", "#777777", "#ff8800", "#000000", "#1d4e89", None])
def test_every_accent_colour_gives_readable_text(accent: str | None) -> None:
    theme = theme_for(accent)
    assert contrast(theme.accent, theme.on_accent) >= 4.5
    assert contrast(theme.link, "#ffffff") >= 4.5


def test_an_https_public_url_makes_the_cookie_secure(
    database_url: str, tmp_path: Any, make_org: Any
) -> None:
    app = make_app(database_url, tmp_path, PUBLIC_URL="https://badges.example.org")
    make_org("acme", PEOPLE)
    answer = app.test_client().get("/o/acme/", base_url="https://badges.example.org")
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
