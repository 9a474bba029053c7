"""The Open Badges API as a Host, through the application with a real sign-in: discovery,
registration, consent, token, credentials and profile, and every specified error."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from openapi_spec_validator import validate

from tests.obapi_client import (
    ALL_SCOPES,
    SCOPE_BASE,
    authorize_url,
    minor_code,
    pkce,
    registration,
)
from tests.web.conftest import PUBLIC, Org, form_token, signed_in
from tests.web.test_public_pages import Example, award

BASE = "/ims/ob/v3p0"
REDIRECT = "http://127.0.0.1:7777/callback"


def _basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _register(api: Any, **extra: Any) -> dict[str, Any]:
    answer = api.post(f"{BASE}/oauth/register", json=registration(REDIRECT, **extra))
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def _consent(
    browser: Any, client: dict[str, Any], challenge: str, *, scope: str = ALL_SCOPES
) -> Any:
    """Through the entry point to the consent page; allow; the answer (a redirect)."""
    url = authorize_url(
        f"{BASE}/oauth/authorize", client["client_id"], REDIRECT, challenge, "st4te", scope
    )
    entry = browser.get(url)
    assert entry.status_code == 303
    consent = browser.get(entry.headers["Location"])
    assert consent.status_code == 200, consent.data[:400]
    return consent


def _allow(browser: Any, consent: Any, decision: str = "allow") -> dict[str, list[str]]:
    html = consent.get_data(as_text=True)
    action = html.split('class="consent-actions"')[0].rsplit('action="', 1)[1].split('"')[0]
    answer = browser.post(
        action.replace("&amp;", "&"), data={"csrf_token": form_token(html), "decision": decision}
    )
    assert answer.status_code == 302, answer.data[:400]
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def _code(browser: Any, client: dict[str, Any], challenge: str, scope: str = ALL_SCOPES) -> str:
    back = _allow(browser, _consent(browser, client, challenge, scope=scope))
    assert back["state"] == ["st4te"]
    return back["code"][0]


def _exchange(api: Any, client: dict[str, Any], code: str, verifier: str, **form: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        **form,
    }
    return api.post(
        f"{BASE}/oauth/token",
        data=data,
        headers=_basic(client["client_id"], client["client_secret"]),
    )


@pytest.fixture
def connected(web_app: Any, acme: Org, provider: Any) -> dict[str, Any]:
    """Aino signed in, a registered client, and its first tokens (all four scopes)."""
    browser = signed_in(web_app, acme, provider)
    api = web_app.test_client()
    client = _register(api)
    verifier, challenge = pkce()
    code = _code(browser, client, challenge)
    answer = _exchange(api, client, code, verifier)
    assert answer.status_code == 200, answer.get_json()
    tokens = answer.get_json()
    return {
        "browser": browser,
        "api": api,
        "client": client,
        "tokens": tokens,
        "code": code,
        "verifier": verifier,
    }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_discovery_is_a_valid_openapi_document_with_the_oauth_scheme(web_app: Any) -> None:
    answer = web_app.test_client().get(f"{BASE}/discovery")
    assert answer.status_code == 200
    assert "max-age" in answer.headers["Cache-Control"]
    document = answer.get_json()
    validate(document)
    info = document["info"]
    assert info["title"] and info["termsOfService"] and info["x-imssf-privacyPolicyUrl"]
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == f"{PUBLIC}{BASE}/oauth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{PUBLIC}{BASE}/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == f"{PUBLIC}{BASE}/oauth/token"
    assert sorted(flow["scopes"]) == sorted(ALL_SCOPES.split())
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert operations == {
        "getCredentials",
        "upsertCredential",
        "getProfile",
        "putProfile",
        "getServiceDescription",
    }


def test_registration_validates_the_metadata(web_app: Any) -> None:
    api = web_app.test_client()
    body = _register(api)
    assert body["client_id"] and body["client_secret"]
    assert body["client_secret_expires_at"] == 0
    assert body["client_name"] == "Test Backpack"
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    for bad, field in (
        ({"redirect_uris": ["http://backpack.example/cb"]}, "redirect_uris"),
        ({"logo_uri": "javascript:alert(1)"}, "logo_uri"),
        ({"scope": SCOPE_BASE + "everything"}, "scope"),
        ({"token_endpoint_auth_method": "none"}, "token_endpoint_auth_method"),
        ({"grant_types": ["client_credentials"]}, "grant_types"),
        ({"client_name": ""}, "client_name"),
        ({"colour": "red"}, "colour"),
    ):
        answer = api.post(f"{BASE}/oauth/register", json=registration(REDIRECT, **bad))
        assert answer.status_code == 400, (bad, answer.get_json())
        error = answer.get_json()
        assert error["error"] == "invalid_client_metadata", error
        assert field in json.dumps(error), error
    not_json = api.post(f"{BASE}/oauth/register", data="x", content_type="text/plain")
    assert not_json.status_code == 400
    assert not_json.get_json()["error"] == "invalid_client_metadata"
    # The secret is stored hashed only.
    from badgeservice.db import database, session_scope
    from badgeservice.obapi.models import OAuthClient

    with web_app.app_context(), session_scope(database()) as session:
        row = session.query(OAuthClient).filter_by(client_id=body["client_id"]).one()
        assert body["client_secret"] not in json.dumps(row.client_metadata)
        assert row.secret_hash != body["client_secret"] and len(row.secret_hash) == 64


def test_the_whole_flow_lists_upserts_refreshes_and_revokes(
    connected: dict[str, Any], acme: Org
) -> None:
    api, tokens = connected["api"], connected["tokens"]
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == set(ALL_SCOPES.split())
    example = Example(acme.token, acme.token)
    mine = [award(api, example, slug, "E1003") for slug in ("data-protection", "digital-wellbeing")]
    others = award(api, example, "data-protection", "E1002")
    access = _bearer(tokens["access_token"])

    listed = api.get(f"{BASE}/credentials?limit=1", headers=access)
    assert listed.status_code == 200
    assert listed.headers["X-Total-Count"] == "2"
    links = listed.headers["Link"]
    assert 'rel="first"' in links and 'rel="next"' in links and 'rel="last"' in links
    assert 'rel="prev"' not in links
    first = listed.get_json()
    # An issued credential comes in both forms: its JSON and its VC-JWT.
    assert len(first["credential"]) == 1 and len(first["compactJwsString"]) == 1
    second = api.get(f"{BASE}/credentials?limit=1&offset=1", headers=access)
    assert 'rel="prev"' in second.headers["Link"] and 'rel="next"' not in second.headers["Link"]
    ids = {first["credential"][0]["id"], second.get_json()["credential"][0]["id"]}
    assert ids == {c["credential"]["id"] for c in mine}
    later = api.get(f"{BASE}/credentials?since=2999-01-01T00:00:00Z", headers=access)
    assert later.headers["X-Total-Count"] == "0"

    # Upsert someone else's badge (it verifies), as the exact text a client sends.
    text = json.dumps(others["credential"], indent=1, ensure_ascii=False)
    created = api.post(
        f"{BASE}/credentials", data=text.encode(), content_type="application/json", headers=access
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_data(as_text=True) == text
    again = api.post(
        f"{BASE}/credentials", data=text.encode(), content_type="application/json", headers=access
    )
    assert again.status_code == 200
    everything = api.get(f"{BASE}/credentials", headers=access)
    assert everything.headers["X-Total-Count"] == "3"
    assert text in everything.get_data(as_text=True)  # byte for byte as it came
    assert others["credential"] in everything.get_json()["credential"]

    profile = api.get(f"{BASE}/profile", headers=access).get_json()
    assert "Profile" in profile["type"] and profile["id"].startswith("urn:uuid:")
    put = api.put(f"{BASE}/profile", json=profile, headers=access)
    assert put.status_code == 200 and put.get_json() == profile
    renamed = api.put(f"{BASE}/profile", json={**profile, "name": "Someone Else"}, headers=access)
    assert renamed.status_code == 400
    assert minor_code(renamed.get_json()) == "invalid_data"
    assert "name" in renamed.get_json()["imsx_description"]

    # Refresh: a new pair; the old refresh token is spent (rotation).
    client = connected["client"]
    basic = _basic(client["client_id"], client["client_secret"])
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = api.post(f"{BASE}/oauth/token", data=form, headers=basic)
    assert refreshed.status_code == 200, refreshed.get_json()
    new = refreshed.get_json()
    assert new["access_token"] != tokens["access_token"]
    assert new["refresh_token"] != tokens["refresh_token"]
    old_access = api.get(f"{BASE}/profile", headers=access)
    assert old_access.status_code == 401
    assert minor_code(old_access.get_json()) == "unauthorisedrequest"
    assert 'error="invalid_token"' in old_access.headers["WWW-Authenticate"]
    reused = api.post(f"{BASE}/oauth/token", data=form, headers=basic)
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_grant"
    # A rotated refresh token used again ends the whole family: the new pair too.
    assert api.get(f"{BASE}/profile", headers=_bearer(new["access_token"])).status_code == 401


def test_revocation_ends_the_token(connected: dict[str, Any]) -> None:
    api, tokens, client = connected["api"], connected["tokens"], connected["client"]
    access = _bearer(tokens["access_token"])
    assert api.get(f"{BASE}/profile", headers=access).status_code == 200
    basic = _basic(client["client_id"], client["client_secret"])
    wrong = api.post(
        f"{BASE}/oauth/revoke",
        data={"token": tokens["access_token"]},
        headers=_basic(client["client_id"], "not the secret"),
    )
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    revoked = api.post(
        f"{BASE}/oauth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        headers=basic,
    )
    assert revoked.status_code == 200
    answer = api.get(f"{BASE}/profile", headers=access)
    assert answer.status_code == 401
    assert "revoked" in answer.get_json()["imsx_description"]
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = api.post(f"{BASE}/oauth/token", data=form, headers=basic)
    assert refreshed.get_json()["error"] == "invalid_grant"
    # An unknown token is "revoked" too (RFC 7009 2.2).
    unknown = api.post(f"{BASE}/oauth/revoke", data={"token": "nothing"}, headers=basic)
    assert unknown.status_code == 200


def test_code_errors_pkce_reuse_redirect_and_expiry(connected: dict[str, Any]) -> None:
    api, browser, client = connected["api"], connected["browser"], connected["client"]
    # The code of the fixture was used once: presenting it again is refused and revokes the
    # tokens that came of it.
    again = _exchange(api, client, connected["code"], connected["verifier"])
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    access = _bearer(connected["tokens"]["access_token"])
    assert api.get(f"{BASE}/profile", headers=access).status_code == 401

    verifier, challenge = pkce()
    code = _code(browser, client, challenge)
    wrong = _exchange(api, client, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"

    code = _code(browser, client, challenge)
    elsewhere = _exchange(api, client, code, verifier, redirect_uri=REDIRECT + "/other")
    assert elsewhere.status_code == 400 and elsewhere.get_json()["error"] == "invalid_grant"

    code = _code(browser, client, challenge)
    from badgeservice.db import database, session_scope, utcnow
    from badgeservice.obapi.models import OAuthCode
    from badgeservice.obapi.store import digest

    with browser.application.app_context(), session_scope(database()) as session:
        row = session.query(OAuthCode).filter_by(code_hash=digest(code)).one()
        assert row.code_hash != code  # only its hash is kept
        row.expires_at = utcnow()
    expired = _exchange(api, client, code, verifier)
    assert expired.status_code == 400 and expired.get_json()["error"] == "invalid_grant"

    no_auth = api.post(f"{BASE}/oauth/token", data={"grant_type": "authorization_code"})
    assert no_auth.status_code == 401 and no_auth.get_json()["error"] == "invalid_client"


def test_authorization_request_errors(connected: dict[str, Any]) -> None:
    browser, client = connected["browser"], connected["client"]
    _verifier, challenge = pkce()
    consent = "/o/acme/oauth/authorize"
    # An unregistered redirect URI is never redirected to: a page says what was wrong.
    url = authorize_url(
        consent, client["client_id"], "https://evil.example/cb", challenge, "s", ALL_SCOPES
    )
    page = browser.get(url)
    assert page.status_code == 400 and "evil.example" not in page.headers.get("Location", "")
    assert "cannot be used" in page.get_data(as_text=True)
    unknown = browser.get(authorize_url(consent, "nobody", REDIRECT, challenge, "s", ALL_SCOPES))
    assert unknown.status_code == 400
    # Without PKCE, or with plain: back to the client with invalid_request.
    plain = authorize_url(consent, client["client_id"], REDIRECT, challenge, "s", ALL_SCOPES)
    for url in (plain.replace("S256", "plain"), plain.split("&code_challenge=")[0]):
        answer = browser.get(url)
        assert answer.status_code == 302
        assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["invalid_request"]
    stateless = browser.get(plain.replace("&state=s", ""))
    assert stateless.status_code == 302
    assert parse_qs(urlsplit(stateless.headers["Location"]).query)["error"] == ["invalid_request"]
    reader = _register(connected["api"], scope=SCOPE_BASE + "credential.readonly")
    beyond = authorize_url(
        consent, reader["client_id"], REDIRECT, challenge, "s", SCOPE_BASE + "profile.readonly"
    )
    answer = browser.get(beyond)
    assert answer.status_code == 302
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert back["error"] == ["invalid_scope"] and back["state"] == ["s"]
    # Deny: access_denied with the state.
    back = _allow(browser, _consent(browser, client, challenge), decision="deny")
    assert back["error"] == ["access_denied"] and back["state"] == ["st4te"]


def test_resource_errors_as_imsx_status_info(web_app: Any, connected: dict[str, Any]) -> None:
    api, browser, client = connected["api"], connected["browser"], connected["client"]
    none = api.get(f"{BASE}/credentials")
    assert none.status_code == 401 and minor_code(none.get_json()) == "unauthorisedrequest"
    made_up = api.get(f"{BASE}/credentials", headers=_bearer(secrets.token_urlsafe(32)))
    assert made_up.status_code == 401
    # A token with only the read scope may not write.
    verifier, challenge = pkce()
    code = _code(browser, client, challenge, scope=SCOPE_BASE + "credential.readonly")
    reader = _exchange(api, client, code, verifier).get_json()
    assert reader["scope"] == SCOPE_BASE + "credential.readonly"
    access = _bearer(reader["access_token"])
    for method, path in (("post", "credentials"), ("get", "profile"), ("put", "profile")):
        answer = getattr(api, method)(f"{BASE}/{path}", json={}, headers=access)
        assert answer.status_code == 403, (method, path)
        assert minor_code(answer.get_json()) == "forbidden"
        assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]
    bad = api.get(f"{BASE}/credentials?limit=0", headers=access)
    assert bad.status_code == 400 and minor_code(bad.get_json()) == "invalid_query_parameter"
    bad = api.get(f"{BASE}/credentials?since=yesterday", headers=access)
    assert bad.status_code == 400 and minor_code(bad.get_json()) == "invalid_query_parameter"
    writer = _bearer(connected["tokens"]["access_token"])
    jws = api.post(f"{BASE}/credentials", data="a.b.c", content_type="text/plain", headers=writer)
    assert jws.status_code == 400 and minor_code(jws.get_json()) == "invalid_data"
    assert "the VC-JWT is not usable" in jws.get_json()["imsx_description"]
    xml = api.post(f"{BASE}/credentials", data="<a/>", content_type="text/xml", headers=writer)
    assert xml.status_code == 415 and minor_code(xml.get_json()) == "invalid_data"
    broken = api.post(
        f"{BASE}/credentials", data="{", content_type="application/json", headers=writer
    )
    assert broken.status_code == 400 and minor_code(broken.get_json()) == "invalid_data"
    forged = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:0d2c3e5e-6e1f-4a43-9d0f-9f4f0c7b2a10",
        "type": ["VerifiableCredential"],
        "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    }
    refused = api.post(f"{BASE}/credentials", json=forged, headers=writer)
    assert refused.status_code == 400 and minor_code(refused.get_json()) == "invalid_data"
    assert "does not verify" in refused.get_json()["imsx_description"]
    nowhere = api.delete(f"{BASE}/credentials", headers=writer)
    assert nowhere.status_code == 405 and nowhere.headers["Allow"] == "GET, POST"
    assert minor_code(nowhere.get_json()) == "invalid_data"
    assert api.post(f"{BASE}/profile", headers=writer).headers["Allow"] == "GET, PUT"


def test_errors_no_view_saw_under_the_prefix_are_imsx_too(web_app: Any) -> None:
    api = web_app.test_client()
    unknown = api.get(f"{BASE}/no-such-thing", headers={"Accept": "text/html"})
    assert unknown.status_code == 404 and unknown.mimetype == "application/json"
    assert minor_code(unknown.get_json()) == "unknownobject"
    assert unknown.get_json()["imsx_codeMajor"] == "failure"
    assert api.get(BASE).get_json()["imsx_severity"] == "error"
    wrong = api.delete(f"{BASE}/discovery")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET"
    assert minor_code(wrong.get_json()) == "invalid_data"
    # Every other prefix keeps problem+json, a look-alike prefix included.
    elsewhere = api.get("/api/v1/no-such-thing")
    assert elsewhere.status_code == 404 and elsewhere.mimetype == "application/problem+json"
    alike = api.get(f"{BASE}x/discovery")
    assert alike.status_code == 404 and alike.mimetype == "application/problem+json"


def test_registration_and_discovery_are_rate_limited(database_url: str, tmp_path: Any) -> None:
    from tests.web.conftest import make_app

    app = make_app(
        database_url,
        tmp_path,
        OBAPI_REGISTRATION_RATE_LIMIT="2/hour",
        OBAPI_DISCOVERY_RATE_LIMIT="1/minute",
    )
    api = app.test_client()
    for _ in range(2):
        assert api.post(f"{BASE}/oauth/register", json=registration(REDIRECT)).status_code == 201
    third = api.post(f"{BASE}/oauth/register", json=registration(REDIRECT))
    assert third.status_code == 429 and int(third.headers["Retry-After"]) > 0
    assert minor_code(third.get_json()) == "server_busy"
    assert api.get(f"{BASE}/discovery").status_code == 200
    assert api.get(f"{BASE}/discovery").status_code == 429
    from badgeservice.db import database
    from tests.conftest import _empty_tables

    with app.app_context():
        _empty_tables(database().engine)
        database().engine.dispose()
