"""The acceptance test of the service: a credential issued through the API of a real
server process verifies in the reference JavaScript stack, which resolves the issuer's
did:web document and the status list from that server over loopback HTTP; after
revocation the status list reports it revoked."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from badgeservice.credentials.did import default_resolver, did_web_to_url
from badgeservice.credentials.verify import verify_credential
from tests.conftest import ROOT, fresh_database
from tests.interop.conftest import JsStack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``badgeservice serve`` (gunicorn) on a free loopback port with a database of its own,
    the example organisation loaded."""
    with fresh_database(tmp_path_factory) as database_url:
        yield from _serve(tmp_path_factory, database_url)


def _serve(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("service")
    shutil.copytree(ROOT / "issuers", folder / "issuers")
    port = _free_port()
    env = {
        **os.environ,
        "BADGESERVICE_DATABASE_URL": database_url,
        "BADGESERVICE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BADGESERVICE_SECRET_KEY": "interop test secret",
    }

    def cli(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "badgeservice", *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    cli("db", "upgrade")
    cli("issuers", "load")
    client = json.loads(
        cli("clients", "create", "--organisation", "esimerkkiopisto", "--scopes", "admin", "--json")
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "badgeservice", "serve", "--port", str(port), "--workers", "2"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _http("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
        yield {"base": base, "token": client["token"]}
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_issued_credential_verifies_in_the_reference_stack_and_revocation_shows(
    server: dict[str, Any], jsstack: JsStack
) -> None:
    base, token = server["base"], server["token"]
    status, paths = _http("GET", f"{base}/api/v1/paths?kind=organisation", token=token)
    assert status == 200, paths
    goal = paths["items"][0]["subGoals"][0]
    status, award = _http(
        "POST",
        f"{base}/api/v1/awards",
        {"subGoal": goal["id"], "person": {"employeeNumber": "E1001"}},
        token,
    )
    assert status == 201, award
    status, credential = _http("GET", award["url"])
    assert status == 200
    assert credential == award["credential"]
    issuer = credential["issuer"]["id"]
    assert issuer.startswith("did:web:127.0.0.1%3A")

    answer = jsstack({"op": "verify", "credentials": [credential], "resolveLoopback": True})
    result = answer["results"][0]
    assert result["verified"], result
    assert [s["status"] for s in result["statuses"]] == [False]

    did_document = _http("GET", did_web_to_url(issuer))[1]
    list_url = credential["credentialStatus"]["statusListCredential"]
    report = verify_credential(
        credential,
        resolver=default_resolver([did_document]),
        status_lists={list_url: _http("GET", list_url)[1]},
    )
    assert report.verified, report.errors

    status, revoked = _http(
        "POST",
        f"{base}/api/v1/credentials/{award['id']}/revoke",
        {"reason": "awarded to the wrong person"},
        token,
    )
    assert status == 200, revoked
    answer = jsstack({"op": "verify", "credentials": [credential], "resolveLoopback": True})
    assert [s["status"] for s in answer["results"][0]["statuses"]] == [True]
    report = verify_credential(
        credential,
        resolver=default_resolver([did_document]),
        status_lists={list_url: _http("GET", list_url)[1]},
    )
    assert not report.verified


def test_bad_requests_to_the_real_server_are_problem_json(server: dict[str, Any]) -> None:
    base, token = server["base"], server["token"]
    assert _http("GET", f"{base}/api/v1/paths")[0] == 401
    status, body = _http("POST", f"{base}/api/v1/awards", {"subGoal": "nope"}, token)
    assert status == 400
    assert body["status"] == 400 and "subGoal" in body["detail"]
    request = urllib.request.Request(
        f"{base}/api/v1/awards",
        data=b"x" * (2 * 1024 * 1024),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 413
