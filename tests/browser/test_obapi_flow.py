"""The Open Badges API's acceptance: a real client over HTTP (``requests``) against the
served site — discovery, registration, authorization with PKCE where the learner signs in
at the OpenID Provider and consents in Chromium, the code arriving at the client's own
loopback listener, token exchange with client_secret_basic, credentials with paging
headers, an upsert read back identical, refresh, revocation — and the specified errors.
The consent page and the connected services pass axe-core in Finnish, Swedish and English.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.browser.conftest import ORG, SCREENSHOTS, Site
from tests.browser.test_pages import Watch, check, sign_in_at_provider
from tests.live import http
from tests.obapi_client import ALL_SCOPES, SCOPE_BASE, authorize_url, minor_code, pkce, registration

pytestmark = pytest.mark.browser


class _Callback(BaseHTTPRequestHandler):
    """The client's redirect URI: it keeps what arrives and says thanks."""

    arrived: list[str]

    def do_GET(self) -> None:
        if self.path.startswith("/callback"):  # not the browser's /favicon.ico
            self.arrived.append(self.path)
        body = b"<!doctype html><html lang='en'><title>Back</title><h1>Back at the client</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def client_site() -> Iterator[tuple[str, list[str]]]:
    arrived: list[str] = []
    handler = type("Callback", (_Callback,), {"arrived": arrived})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/callback", arrived
    server.shutdown()


@pytest.fixture(scope="module")
def backpack(site: Site, client_site: tuple[str, list[str]]) -> dict[str, Any]:
    """Discovery, then registration: what the client knows of the host."""
    answer = requests.get(f"{site.base}/ims/ob/v3p0/discovery", timeout=30)
    assert answer.status_code == 200
    scheme = answer.json()["components"]["securitySchemes"]["OAuth2ACG"]
    flow = scheme["flows"]["authorizationCode"]
    redirect_uri, _arrived = client_site
    registered = requests.post(
        scheme["x-imssf-registrationUrl"], json=registration(redirect_uri), timeout=30
    )
    assert registered.status_code == 201, registered.text
    client = registered.json()
    return {
        "authorize": flow["authorizationUrl"],
        "token": flow["tokenUrl"],
        "refresh": flow["refreshUrl"],
        "revoke": scheme["x-imssf-registrationUrl"].replace("/register", "/revoke"),
        "api": answer.json()["servers"][0]["url"],
        "auth": (client["client_id"], client["client_secret"]),
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
    }


def _authorize(page: Any, backpack: dict[str, Any], challenge: str, scope: str, state: str) -> None:
    url = authorize_url(
        backpack["authorize"],
        backpack["client_id"],
        backpack["redirect_uri"],
        challenge,
        state,
        scope,
    )
    page.goto(url)


def _sign_in_on_the_way(page: Any, site: Site) -> None:
    """Two organisations: choose ours, then sign in at the provider."""
    if "/ims/ob/v3p0/oauth/authorize" in page.url:
        page.locator(f"a[href^='/o/{ORG}/oauth/authorize']").click()
        page.wait_for_load_state("load")
    if "/sign-in" in page.url:
        sign_in_at_provider(page, site, "aino")
    page.wait_for_url(f"{site.base}/o/{ORG}/oauth/authorize?**")


def _arrived(client_site: tuple[str, list[str]], page: Any) -> dict[str, list[str]]:
    redirect_uri, arrived = client_site
    page.wait_for_url(f"{redirect_uri}?**")
    assert arrived, "nothing reached the client's redirect URI"
    return parse_qs(urlsplit(arrived[-1]).query)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_consent_page_in_every_language(
    site: Site,
    new_context: Any,
    backpack: dict[str, Any],
    client_site: tuple[str, list[str]],
    language: str,
) -> None:
    page = new_context(language).new_page()
    watch = Watch(page)
    _authorize(page, backpack, pkce()[1], ALL_SCOPES, f"deny-{language}")
    check(page, watch, "oauth-choose", language)
    _sign_in_on_the_way(page, site)
    check(page, watch, "oauth-consent", language)
    if language == "sv":  # check() keeps pictures of fi and en; the Swedish one too
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "oauth-consent-sv-1280.png"), full_page=True)
    assert page.locator(".consent-scopes li").count() == 4
    assert "Test Backpack" in page.locator("h1").inner_text()
    page.locator("button[value=deny]").click()
    back = _arrived(client_site, page)
    assert back.get("error") == ["access_denied"], (back, client_site[1])
    assert back["state"] == [f"deny-{language}"]


def _exchange(backpack: dict[str, Any], code: str, verifier: str, **form: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": backpack["redirect_uri"],
        "code_verifier": verifier,
        **form,
    }
    return requests.post(backpack["token"], data=data, auth=backpack["auth"], timeout=30)


def _allow(page: Any, backpack: dict[str, Any], client_site: Any, scope: str) -> tuple[str, str]:
    """Authorize once more (signed in already): allow; the code and its verifier."""
    verifier, challenge = pkce()
    _authorize(page, backpack, challenge, scope, "again")
    page.wait_for_url(f"**/o/{ORG}/oauth/authorize?**")
    page.locator("button[value=allow]").click()
    back = _arrived(client_site, page)
    assert back["state"] == ["again"]
    return back["code"][0], verifier


def test_the_whole_flow_as_a_client_over_http(
    site: Site, new_context: Any, backpack: dict[str, Any], client_site: tuple[str, list[str]]
) -> None:
    for achievement, person in (("accessible-materials", "E1003"), ("data-protection", "E1003")):
        status, _body = http(
            "POST",
            f"{site.base}/api/v1/awards",
            {"achievement": achievement, "person": person},
            site.token,
        )
        assert status in (200, 201)
    status, others = http(
        "POST",
        f"{site.base}/api/v1/awards",
        {"achievement": "data-protection", "person": "E1002"},
        site.token,
    )
    assert status in (200, 201)
    page = new_context("en").new_page()
    watch = Watch(page)
    verifier, challenge = pkce()
    _authorize(page, backpack, challenge, ALL_SCOPES, "first")
    _sign_in_on_the_way(page, site)
    page.locator("button[value=allow]").click()
    back = _arrived(client_site, page)
    assert back["state"] == ["first"]
    code = back["code"][0]

    # The wrong verifier spends the code; presenting it again is refused.
    wrong = _exchange(backpack, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    reused = _exchange(backpack, code, verifier)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    code, verifier = _allow(page, backpack, client_site, ALL_SCOPES)
    elsewhere = _exchange(backpack, code, verifier, redirect_uri=backpack["redirect_uri"] + "x")
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_grant"

    code, verifier = _allow(page, backpack, client_site, ALL_SCOPES)
    answer = _exchange(backpack, code, verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    tokens = answer.json()
    assert _exchange(backpack, code, verifier).json()["error"] == "invalid_grant"
    # A reused code revoked what came of it: the next authorization starts clean.
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{backpack['api']}/profile", headers=bearer, timeout=30).status_code == 401

    code, verifier = _allow(page, backpack, client_site, ALL_SCOPES)
    tokens = _exchange(backpack, code, verifier).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    listed = requests.get(f"{backpack['api']}/credentials?limit=1", headers=bearer, timeout=30)
    assert listed.status_code == 200
    total = int(listed.headers["X-Total-Count"])
    assert total >= 2
    assert 'rel="next"' in listed.headers["Link"] and 'rel="first"' in listed.headers["Link"]
    assert len(listed.json()["credential"]) == 1

    text = json.dumps(others["credential"], indent=2)
    sent = requests.post(
        f"{backpack['api']}/credentials",
        data=text.encode(),
        headers={**bearer, "Content-Type": "application/json"},
        timeout=30,
    )
    assert sent.status_code == 201, sent.text
    replaced = requests.post(
        f"{backpack['api']}/credentials",
        data=text.encode(),
        headers={**bearer, "Content-Type": "application/json"},
        timeout=30,
    )
    assert replaced.status_code == 200
    everything = requests.get(
        f"{backpack['api']}/credentials?limit=1000", headers=bearer, timeout=30
    )
    assert int(everything.headers["X-Total-Count"]) == total + 1
    assert text in everything.text
    assert others["credential"] in everything.json()["credential"]

    refreshed = requests.post(
        backpack["refresh"],
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=backpack["auth"],
        timeout=30,
    )
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()
    bearer = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert requests.get(f"{backpack['api']}/profile", headers=bearer, timeout=30).ok
    revoked = requests.post(
        backpack["revoke"], data={"token": fresh["access_token"]}, auth=backpack["auth"], timeout=30
    )
    assert revoked.status_code == 200
    gone = requests.get(f"{backpack['api']}/profile", headers=bearer, timeout=30)
    assert gone.status_code == 401 and minor_code(gone.json()) == "unauthorisedrequest"

    # Only the read scope: writing is forbidden.
    code, verifier = _allow(page, backpack, client_site, SCOPE_BASE + "credential.readonly")
    reader = _exchange(backpack, code, verifier).json()
    refused = requests.post(
        f"{backpack['api']}/credentials",
        data=text.encode(),
        headers={
            "Authorization": f"Bearer {reader['access_token']}",
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    assert refused.status_code == 403 and minor_code(refused.json()) == "forbidden"

    # The learner sees the service on their settings page and revokes it there.
    page.goto(f"{site.base}/o/{ORG}/settings")
    check(page, watch, "my-settings-connected", "en")
    page.locator("#connected-apps button", has_text="Test Backpack").first.click()
    page.wait_for_url(f"{site.base}/o/{ORG}/settings?revoked=1**")
    check(page, watch, "my-settings-revoked", "en")
    reader_bearer = {"Authorization": f"Bearer {reader['access_token']}"}
    after = requests.get(f"{backpack['api']}/credentials", headers=reader_bearer, timeout=30)
    assert after.status_code == 401
