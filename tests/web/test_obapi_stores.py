"""The Open Badges API's stores on the real database (SQLite, and PostgreSQL in CI's
second pass): only hashes kept, expiry, revocation from the settings page, and tenants
kept apart — one organisation's learner never sees another's credentials or grants."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from tests.obapi_client import ALL_SCOPES, minor_code, pkce
from tests.web.conftest import PUBLIC, Org, form_token, signed_in
from tests.web.test_obapi import BASE, _basic, _code, _exchange, _register
from tests.web.test_public_pages import Example, award


def _connect(web_app: Any, org: Org, provider: Any, login: str) -> tuple[Any, Any, dict[str, Any]]:
    """Signed in as ``login``, a client registered and allowed: the signed-in test client,
    a plain one, and the tokens (with the client's credentials under ``client``)."""
    browser = signed_in(web_app, org, provider, login)
    api = web_app.test_client()
    client = _register(api)
    verifier, challenge = pkce()
    answer = _exchange(api, client, _code(browser, client, challenge), verifier)
    assert answer.status_code == 200, answer.get_json()
    return browser, api, {**answer.get_json(), "client": client}


def test_only_hashes_are_stored_and_nothing_secret_is_logged(
    web_app: Any, acme: Org, provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from badgeservice.db import database, session_scope
    from badgeservice.obapi.models import OAuthCode, OAuthToken
    from badgeservice.obapi.store import digest

    caplog.set_level(logging.DEBUG)
    _browser, api, tokens = _connect(web_app, acme, provider, "aino")
    assert api.get(f"{BASE}/profile", headers=_auth(tokens)).status_code == 200
    with web_app.app_context(), session_scope(database()) as session:
        rows = session.query(OAuthToken).all()
        assert len(rows) == 1
        dumped = json.dumps([[str(v) for v in vars(r).values()] for r in rows])
        assert tokens["access_token"] not in dumped and tokens["refresh_token"] not in dumped
        assert rows[0].access_hash == digest(tokens["access_token"])
        assert rows[0].refresh_hash == digest(tokens["refresh_token"])
        codes = session.query(OAuthCode).all()
        assert len(codes) == 1 and codes[0].used_at is not None
    logged = caplog.text
    assert "obapi POST /ims/ob/v3p0/oauth/token → 200" in logged
    assert "obapi GET /ims/ob/v3p0/profile → 200" in logged
    for secret in (
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["client"]["client_secret"],
    ):
        assert secret not in logged


def _auth(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_expired_access_and_refresh_tokens_are_refused(
    web_app: Any, acme: Org, provider: Any
) -> None:
    from badgeservice.db import database, session_scope, utcnow
    from badgeservice.obapi.models import OAuthToken

    _browser, api, tokens = _connect(web_app, acme, provider, "aino")
    with web_app.app_context(), session_scope(database()) as session:
        row = session.query(OAuthToken).one()
        assert abs(row.expires_at - utcnow() - timedelta(hours=1)) < timedelta(minutes=1)
        row.expires_at = utcnow() - timedelta(seconds=1)
    answer = api.get(f"{BASE}/credentials", headers=_auth(tokens))
    assert answer.status_code == 401
    assert minor_code(answer.get_json()) == "unauthorisedrequest"
    assert "expired" in answer.get_json()["imsx_description"]
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    # An expired refresh token is refused too.
    with web_app.app_context(), session_scope(database()) as session:
        session.query(OAuthToken).one().refresh_expires_at = utcnow() - timedelta(seconds=1)
    client = tokens["client"]
    refreshed = api.post(
        f"{BASE}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=_basic(client["client_id"], client["client_secret"]),
    )
    assert refreshed.status_code == 400 and refreshed.get_json()["error"] == "invalid_grant"


def test_tenants_are_kept_apart(web_app: Any, acme: Org, make_org: Any, provider: Any) -> None:
    globex = make_org("globex", {"ville": ("Ville", "ville@globex.example", "G-7", True)})
    example = Example(acme.token, acme.token)
    api = web_app.test_client()
    ainos = award(api, example, "data-protection", "E1003")
    _b1, _a1, aino = _connect(web_app, acme, provider, "aino")
    _b2, _a2, ville = _connect(web_app, globex, provider, "ville")
    mine = api.get(f"{BASE}/credentials", headers=_auth(aino))
    assert mine.headers["X-Total-Count"] == "1"
    assert mine.get_json()["credential"][0]["id"] == ainos["credential"]["id"]
    theirs = api.get(f"{BASE}/credentials", headers=_auth(ville))
    assert theirs.headers["X-Total-Count"] == "0"
    # Ville stores Aino's badge in his own collection: it verifies, it is his copy, and
    # Aino's list does not change.
    stored = api.post(f"{BASE}/credentials", json=ainos["credential"], headers=_auth(ville))
    assert stored.status_code == 201
    assert api.get(f"{BASE}/credentials", headers=_auth(ville)).headers["X-Total-Count"] == "1"
    assert api.get(f"{BASE}/credentials", headers=_auth(aino)).headers["X-Total-Count"] == "1"
    # Aino storing her own issued badge adds no duplicate to her list.
    again = api.post(f"{BASE}/credentials", json=ainos["credential"], headers=_auth(aino))
    assert again.status_code == 201
    assert api.get(f"{BASE}/credentials", headers=_auth(aino)).headers["X-Total-Count"] == "1"
    profile = api.get(f"{BASE}/profile", headers=_auth(ville)).get_json()
    assert profile["email"] == "ville@globex.example"


def test_the_learner_sees_and_revokes_connected_services(
    web_app: Any, acme: Org, make_org: Any, provider: Any
) -> None:
    from badgeservice.db import database, session_scope
    from badgeservice.obapi.models import OAuthGrant

    browser, api, tokens = _connect(web_app, acme, provider, "aino")
    settings = browser.get("/o/acme/settings", headers={"Accept-Language": "en"})
    html = settings.get_data(as_text=True)
    assert "Connected services" in html and "Test Backpack" in html
    assert "See your badges" in html
    with web_app.app_context(), session_scope(database()) as session:
        grant_id = session.query(OAuthGrant).one().id
    # Someone else (another organisation's person) cannot revoke it: not found.
    globex = make_org("globex", {"ville": ("Ville", "ville@globex.example", "G-7", True)})
    ville = signed_in(web_app, globex, provider, "ville")
    page = ville.get("/o/globex/settings").get_data(as_text=True)
    other = ville.post(
        f"/o/globex/settings/apps/{grant_id}/revoke", data={"csrf_token": form_token(page)}
    )
    assert other.status_code == 404
    assert api.get(f"{BASE}/profile", headers=_auth(tokens)).status_code == 200
    answer = browser.post(
        f"/o/acme/settings/apps/{grant_id}/revoke", data={"csrf_token": form_token(html)}
    )
    assert answer.status_code == 303
    after = browser.get(answer.headers["Location"], headers={"Accept-Language": "en"})
    assert "was revoked" in after.get_data(as_text=True)
    assert "Test Backpack" not in after.get_data(as_text=True)
    refused = api.get(f"{BASE}/profile", headers=_auth(tokens))
    assert refused.status_code == 401 and "revoked" in refused.get_json()["imsx_description"]


def test_the_entry_point_leads_to_the_organisation_or_offers_a_choice(
    web_app: Any, acme: Org, make_org: Any
) -> None:
    query = "?client_id=x&response_type=code"
    browser = web_app.test_client()
    only = browser.get(f"{BASE}/oauth/authorize{query}")
    assert only.status_code == 303
    assert only.headers["Location"] == f"/o/acme/oauth/authorize{query}"
    signed_out = browser.get(only.headers["Location"])
    assert signed_out.status_code == 303 and "/o/acme/sign-in" in signed_out.headers["Location"]
    make_org("globex", {})
    choose = browser.get(f"{BASE}/oauth/authorize{query}", headers={"Accept-Language": "fi"})
    assert choose.status_code == 200
    html = choose.get_data(as_text=True)
    assert "Valitse organisaatiosi" in html
    assert f"/o/globex/oauth/authorize{query.replace('&', '&amp;')}" in html
    assert PUBLIC not in ALL_SCOPES
