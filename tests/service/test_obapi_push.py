"""The write client against a third-party Host written from the specification: discovery,
dynamic registration, authorization (consent given at once), the token endpoint with
client_secret_basic and PKCE S256 checked, and upsertCredential — over real HTTP on
loopback. Then every way it can go wrong: a callback with the wrong state, a Host that
refuses the registration, a 401 on upsert (refresh, try once more), an Imsx_StatusInfo."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask, Response, jsonify, redirect, request
from werkzeug.serving import make_server

from badgeservice.egress import EgressPolicy
from badgeservice.obapi.client import PushError, Tokens, WriteClient

SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
UPSERT = SCOPE_BASE + "credential.upsert"
REDIRECT = "https://badges.example/ims/ob/v3p0/push/callback"
LOOPBACK = EgressPolicy.from_config({"OUTBOUND_ALLOW": "127.0.0.0/8"})


@dataclass
class HostState:
    """What the fake Host keeps, and the switches a test turns."""

    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)  # token -> client_id
    refresh: dict[str, str] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)  # credential id -> body
    profile: dict[str, Any] | None = None
    # Called as a registration arrives (a test's way to race it).
    on_register: Callable[[], None] | None = None
    refuse_registration: bool = False
    refreshes: int = 0
    upserts: int = 0


def _imsx(status: int, minor: str, description: str) -> Response:
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": minor}
            ]
        },
    }
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    answer = jsonify(error=error, error_description=description)
    answer.status_code = status
    return answer


def fake_host(state: HostState) -> Flask:
    """A Host as the Open Badges 3.0 API and the 1EdTech Security Framework describe it."""
    app = Flask("fake_host")

    def base() -> str:
        return request.host_url.rstrip("/") + "/ims/ob/v3p0"

    @app.get("/ims/ob/v3p0/discovery")
    def discovery() -> Any:
        api = base()
        return jsonify(
            openapi="3.0.1",
            info={"title": "Fake Host", "version": "1.0"},
            servers=[{"url": api}],
            paths={},
            components={
                "securitySchemes": {
                    "OAuth2ACG": {
                        "type": "oauth2",
                        "x-imssf-registrationUrl": api + "/auth/register",
                        "flows": {
                            "authorizationCode": {
                                "authorizationUrl": api + "/auth/authorize",
                                "tokenUrl": api + "/auth/token",
                                "refreshUrl": api + "/auth/token",
                                "scopes": {UPSERT: "upsert", SCOPE_BASE + "profile.update": "p"},
                            }
                        },
                    }
                }
            },
        )

    @app.post("/ims/ob/v3p0/auth/register")
    def register() -> Any:
        body = request.get_json()
        if state.on_register is not None:
            state.on_register()
        if state.refuse_registration:
            return _oauth_error("invalid_client_metadata", "registrations are closed")
        if body.get("token_endpoint_auth_method") != "client_secret_basic":
            return _oauth_error("invalid_client_metadata", "client_secret_basic only")
        for required in ("client_name", "client_uri", "redirect_uris", "scope", "software_id"):
            if not body.get(required):
                return _oauth_error("invalid_client_metadata", f"missing: {required}")
        client_id = secrets.token_hex(8)
        state.clients[client_id] = {**body, "client_secret": secrets.token_urlsafe(16)}
        answer = jsonify(client_id=client_id, **state.clients[client_id])
        answer.status_code = 201
        return answer

    @app.get("/ims/ob/v3p0/auth/authorize")
    def authorize() -> Any:
        args = request.args
        client = state.clients.get(args.get("client_id", ""))
        if client is None or args.get("redirect_uri") not in client["redirect_uris"]:
            return Response("unknown client or redirect URI", status=400)
        if args.get("response_type") != "code" or args.get("code_challenge_method") != "S256":
            return redirect(
                args["redirect_uri"]
                + "?"
                + urlencode({"error": "invalid_request", "state": args.get("state", "")})
            )
        code = secrets.token_urlsafe(16)
        state.codes[code] = {
            "client_id": args["client_id"],
            "redirect_uri": args["redirect_uri"],
            "challenge": args["code_challenge"],
        }
        return redirect(
            args["redirect_uri"] + "?" + urlencode({"code": code, "state": args.get("state", "")})
        )

    @app.post("/ims/ob/v3p0/auth/token")
    def token() -> Any:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return _oauth_error("invalid_client", "client_secret_basic required", 401)
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
        client = state.clients.get(client_id)
        if client is None or client["client_secret"] != secret:
            return _oauth_error("invalid_client", "wrong client credentials", 401)
        form = request.form
        if form.get("grant_type") == "authorization_code":
            code = state.codes.pop(form.get("code", ""), None)
            if code is None or code["client_id"] != client_id:
                return _oauth_error("invalid_grant", "unknown code")
            if code["redirect_uri"] != form.get("redirect_uri"):
                return _oauth_error("invalid_grant", "redirect_uri differs")
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code["challenge"]:
                return _oauth_error("invalid_grant", "PKCE verification failed")
        elif form.get("grant_type") == "refresh_token":
            if state.refresh.pop(form.get("refresh_token", ""), None) != client_id:
                return _oauth_error("invalid_grant", "unknown refresh token")
            state.refreshes += 1
        else:
            return _oauth_error("unsupported_grant_type", "no such grant")
        access, renewal = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        state.access[access] = client_id
        state.refresh[renewal] = client_id
        return jsonify(
            access_token=access,
            token_type="Bearer",
            expires_in=3600,
            refresh_token=renewal,
            scope=client["scope"],
        )

    @app.post("/ims/ob/v3p0/credentials")
    def upsert() -> Any:
        state.upserts += 1
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or value not in state.access:
            return _imsx(401, "unauthorisedrequest", "the access token is not valid")
        if request.mimetype != "application/json":
            return _imsx(415, "invalid_data", "JSON only")
        document = request.get_json()
        if not isinstance(document, dict) or "id" not in document:
            return _imsx(400, "invalid_data", "the credential has no id")
        created = document["id"] not in state.stored
        state.stored[document["id"]] = request.get_data(as_text=True)
        return Response(
            request.get_data(), status=201 if created else 200, mimetype="application/json"
        )

    @app.put("/ims/ob/v3p0/profile")
    def put_profile() -> Any:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        client = state.clients.get(state.access.get(value, "")) if scheme == "Bearer" else None
        if client is None:
            return _imsx(401, "unauthorisedrequest", "the access token is not valid")
        if SCOPE_BASE + "profile.update" not in client["scope"].split():
            return _imsx(403, "forbidden", "the token does not carry profile.update")
        state.profile = request.get_json()
        return jsonify(state.profile)

    return app


@pytest.fixture
def host() -> Iterator[tuple[str, HostState]]:
    state = HostState()
    server = make_server("127.0.0.1", 0, fake_host(state), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()


CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:7b1c1c3e-0a4f-4bb0-8d57-1f1bd2d1f0a1",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Kestävä kehitys — ÅÄÖ",
}


def _consent(authorization_url: str) -> str:
    """The learner at the Host: its authorize endpoint answers with the redirect at once."""
    answer = requests.get(authorization_url, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["Location"]
    return location


def _client() -> WriteClient:
    return WriteClient(LOOPBACK, client_uri="https://badges.example/")


def _connect(url: str) -> tuple[WriteClient, Any, Any, Tokens]:
    client = WriteClient(
        LOOPBACK, client_name="Badge service of the tests", client_uri="https://badges.example/"
    )
    found = client.discover(url)
    registration = client.register(found, REDIRECT)
    authorization = client.authorization(found, registration)
    tokens = client.exchange(found, registration, authorization, _consent(authorization.url))
    return client, found, registration, tokens


def test_pushes_a_credential_created_then_replaced(host: tuple[str, HostState]) -> None:
    url, state = host
    client, found, registration, tokens = _connect(url + "/")
    assert found.api_url == url + "/ims/ob/v3p0"
    (registered,) = state.clients.values()
    assert registered["scope"] == UPSERT
    assert registered["redirect_uris"] == [REDIRECT]
    first = client.upsert_credential(found, registration, tokens, CREDENTIAL)
    assert first.status == 201 and first.created
    assert json.loads(state.stored[CREDENTIAL["id"]]) == CREDENTIAL
    again = client.upsert_credential(found, registration, first.tokens, CREDENTIAL)
    assert again.status == 200 and not again.created
    assert json.loads(again.body) == CREDENTIAL


def test_a_callback_with_another_state_is_refused(host: tuple[str, HostState]) -> None:
    client = _client()
    found = client.discover(host[0])
    registration = client.register(found, REDIRECT)
    authorization = client.authorization(found, registration)
    other = client.authorization(found, registration)
    with pytest.raises(PushError, match="state does not match"):
        client.exchange(found, registration, authorization, _consent(other.url))
    with pytest.raises(PushError, match="not at our redirect URI"):
        client.exchange(found, registration, authorization, "https://elsewhere.example/?code=x")


def test_the_host_refusing_the_registration_says_why(host: tuple[str, HostState]) -> None:
    url, state = host
    state.refuse_registration = True
    client = _client()
    with pytest.raises(PushError) as refused:
        client.register(client.discover(url), REDIRECT)
    assert str(refused.value) == (
        "registration: the Host answered 400 (invalid_client_metadata: registrations are closed)"
    )


def test_a_401_on_upsert_refreshes_and_tries_once_more(host: tuple[str, HostState]) -> None:
    url, state = host
    client, found, registration, tokens = _connect(url)
    state.access.clear()  # the Host forgot every access token
    result = client.upsert_credential(found, registration, tokens, CREDENTIAL)
    assert result.status == 201
    assert state.refreshes == 1 and state.upserts == 2
    assert result.tokens.access_token != tokens.access_token

    # A refresh that does not help: one more try, then the Host's word.
    state.access.clear()
    state.refresh.clear()
    with pytest.raises(PushError, match=r"refresh: the Host answered 400 \(invalid_grant"):
        client.upsert_credential(found, registration, result.tokens, CREDENTIAL)


def test_an_expired_token_is_refreshed_before_use(host: tuple[str, HostState]) -> None:
    url, state = host
    client, found, registration, tokens = _connect(url)
    stale = Tokens(tokens.access_token, tokens.refresh_token, 0.0, tokens.scope)
    assert client.upsert_credential(found, registration, stale, CREDENTIAL).status == 201
    assert state.refreshes == 1 and state.upserts == 1


def test_an_imsx_error_becomes_a_clear_message(host: tuple[str, HostState]) -> None:
    client, found, registration, tokens = _connect(host[0])
    with pytest.raises(PushError) as failed:
        client.upsert_credential(found, registration, tokens, {"type": ["VerifiableCredential"]})
    assert str(failed.value) == (
        "upsertCredential: the Host answered 400 (invalid_data: the credential has no id)"
    )
    assert failed.value.status == 400


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://backpack.example/", "is not an https:// URL"),
        ("http://backpack.example/", "must use https://"),
        ("https://user:pw@backpack.example/", "user name, password"),
        ("https://127.0.0.1:1/", "not a public address"),
        ("https://[::1/", "is not a URL"),
    ],
)
def test_host_urls_the_service_may_not_send_to(url: str, why: str) -> None:
    with pytest.raises(PushError, match=why):
        WriteClient(EgressPolicy()).discover(url)


def test_a_site_without_the_api_is_no_host(host: tuple[str, HostState]) -> None:
    with pytest.raises(PushError, match="discovery: the Host answered 404"):
        WriteClient(LOOPBACK).discover(host[0] + "/elsewhere")


def _push_command(tmp_path: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    """``badgeservice obapi push`` in its own process, allowed to reach loopback."""
    credential = tmp_path / "credential.json"
    credential.write_text(json.dumps(CREDENTIAL), encoding="utf-8")
    arguments = ["obapi", "push", "--host", url, "--credential", str(credential)]
    return subprocess.Popen(
        [sys.executable, "-m", "badgeservice", *arguments, "--wait", "60", *extra],
        cwd=tmp_path,
        env={**os.environ, "BADGESERVICE_OUTBOUND_ALLOW": "127.0.0.0/8"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_command_pushes_through_its_loopback_listener(
    host: tuple[str, HostState], tmp_path: Path
) -> None:
    url, state = host
    command = _push_command(tmp_path, url)
    assert command.stdout is not None
    authorization_url = command.stdout.readline().strip()
    callback = _consent(authorization_url)
    (registered,) = state.clients.values()
    assert callback.startswith(registered["redirect_uris"][0] + "?")
    assert callback.startswith("http://127.0.0.1:")
    assert requests.get(callback, timeout=30).status_code == 200  # the browser arrives
    out, err = command.communicate(timeout=60)
    assert command.returncode == 0, err
    assert out == "upsertCredential: 201 created\n"
    assert json.loads(state.stored[CREDENTIAL["id"]]) == CREDENTIAL


def test_the_command_reads_the_callback_pasted_and_reports_failures(
    host: tuple[str, HostState], tmp_path: Path
) -> None:
    url, state = host
    command = _push_command(tmp_path, url, "--redirect-uri", REDIRECT)
    assert command.stdout is not None
    callback = _consent(command.stdout.readline().strip())
    out, err = command.communicate(callback + "\n", timeout=60)
    assert command.returncode == 0, err
    assert out == "upsertCredential: 201 created\n"

    state.refuse_registration = True
    refused = _push_command(tmp_path, url, "--redirect-uri", REDIRECT)
    out, err = refused.communicate(timeout=60)
    assert refused.returncode == 2 and out == ""
    assert err.splitlines()[-1] == (
        "error: registration: the Host answered 400 "
        "(invalid_client_metadata: registrations are closed)"
    )


def test_the_profile_is_put_with_the_profile_update_scope(host: tuple[str, HostState]) -> None:
    url, state = host
    client = _client()
    found = client.discover(url)
    registration = client.register(found, REDIRECT, profile=True)
    assert set(registration.scope.split()) == {UPSERT, SCOPE_BASE + "profile.update"}
    authorization = client.authorization(found, registration)
    tokens = client.exchange(found, registration, authorization, _consent(authorization.url))
    profile = {"id": "urn:uuid:0d8e4a1c-5f5e-4a43-8b2b-3d1c6f0a9e11", "type": ["Profile"]}
    assert client.put_profile(found, registration, tokens, profile).status == 200
    assert state.profile == profile

    _c, found, upsert_only, tokens = _connect(url)
    with pytest.raises(PushError, match=r"putProfile: the Host answered 403 \(forbidden"):
        client.put_profile(found, upsert_only, tokens, profile)
