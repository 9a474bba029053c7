"""The acceptance test of the service: a credential issued through the API of a real
server process verifies in the reference JavaScript stack, which resolves the issuer's
did:web document and the status list from that server over loopback HTTP; after
revocation the status list reports it revoked."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgeservice.credentials.did import default_resolver, did_web_to_url
from badgeservice.credentials.verify import verify_credential
from tests.conftest import fresh_database
from tests.interop.conftest import JsStack
from tests.live import http as _http
from tests.live import serve_example


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``badgeservice serve`` on loopback with its own database, the example organisation
    loaded."""
    with fresh_database(tmp_path_factory) as database_url:
        yield from serve_example(tmp_path_factory, database_url)


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


def test_command_line_verify_of_a_revoked_credential_against_the_live_server(
    server: dict[str, Any], tmp_path: Path
) -> None:
    """No flags but the loopback one: the CLI fetches the did:web document and the status
    list from the server itself, and a revoked credential is not verified."""
    base, token = server["base"], server["token"]
    status, paths = _http("GET", f"{base}/api/v1/paths?kind=organisation", token=token)
    goal = paths["items"][0]["subGoals"][0]
    status, award = _http(
        "POST",
        f"{base}/api/v1/awards",
        {"subGoal": goal["id"], "person": {"employeeNumber": "E1002"}},
        token,
    )
    assert status == 201, award
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(award["credential"]), encoding="utf-8")

    def verify(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "badgeservice", "credentials", "verify", *flags, str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    result = verify("--allow-loopback-http")
    assert result.returncode == 0, result.stdout + result.stderr
    status, _ = _http(
        "POST", f"{base}/api/v1/credentials/{award['id']}/revoke", {"reason": "test"}, token
    )
    assert status == 200
    result = verify("--allow-loopback-http")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["verified"] is False
    assert "status: revocation: revoked" in report["errors"]
    # The public verify endpoint of the same server says so too, by URL.
    status, answer = _http("POST", f"{base}/api/v1/verify", {"url": award["url"]})
    assert status == 200, answer
    assert answer["verified"] is False
    assert "status: revocation: revoked" in answer["errors"]
