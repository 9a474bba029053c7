"""Badges outlive the job, against a real server process: a credential re-issued to the
learner's confirmed personal e-mail (the confirmation link mailed by ``badgeservice
worker`` to a real SMTP server on loopback, followed over HTTP) and one re-issued to a
did:key bound with a real Ed25519 key verify in the reference JavaScript stack, in ours
and with the command line — the copy by its new identity, the original still as it was."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from badgeservice.credentials.did import default_resolver, did_web_to_url
from badgeservice.credentials.identity import identity_matches
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.verify import verify_credential
from tests.conftest import fresh_database
from tests.interop.conftest import JsStack
from tests.live import free_port, http, serve_example

HOME = "aino.home@example.net"
WORK = "aino.virtanen@esimerkkiopisto.example.org"
CLI = (sys.executable, "-m", "badgeservice", "credentials", "verify")


class _Inbox:
    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        self.texts.append((str(message["To"]), body.get_content()))
        return "250 OK"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    inbox, port = _Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    with pytest.MonkeyPatch.context() as patch:
        # The worker the test runs sends mail to the loopback server.
        patch.setenv("BADGESERVICE_SMTP_URL", f"smtp://127.0.0.1:{port}")
        try:
            with fresh_database(tmp_path_factory) as database_url:
                for running in serve_example(tmp_path_factory, database_url):
                    yield {**running, "inbox": inbox}
        finally:
            controller.stop()


def _verified_everywhere(credential: dict[str, Any], jsstack: JsStack) -> None:
    answer = jsstack({"op": "verify", "credentials": [credential], "resolveLoopback": True})
    result = answer["results"][0]
    assert result["verified"], result
    assert [status["status"] for status in result["statuses"]] == [False]
    did_document = http("GET", did_web_to_url(credential["issuer"]["id"]))[1]
    list_url = credential["credentialStatus"]["statusListCredential"]
    report = verify_credential(
        credential,
        resolver=default_resolver([did_document]),
        status_lists={list_url: http("GET", list_url)[1]},
    )
    assert report.verified, report.errors


def _follow(link: str) -> str:
    """Open the mailed link as a browser would and press its button."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(link, timeout=30) as response:
        page = response.read().decode("utf-8")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    data = urllib.parse.urlencode({"csrf_token": token.group(1)}).encode()
    with opener.open(urllib.request.Request(link, data=data), timeout=30) as response:
        return str(response.read().decode("utf-8"))


def _jws(key: KeyPair, payload: str) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = part(json.dumps({"alg": "EdDSA", "kid": key.did_key_verification_method}).encode())
    body = part(payload.encode("ascii"))
    return f"{header}.{body}.{part(key.sign(f'{header}.{body}'.encode('ascii')))}"


def test_copies_to_a_personal_email_and_a_did_verify_and_the_originals_still_do(
    server: dict[str, Any], jsstack: JsStack, tmp_path: Path
) -> None:
    base, token = server["base"], server["token"]
    status, found = http("GET", f"{base}/api/v1/people?employeeNumber=E1003", token=token)
    assert status == 200, found
    person = found["items"][0]["id"]
    status, award = http(
        "POST",
        f"{base}/api/v1/awards",
        {"achievement": "data-protection", "person": "E1003"},
        token,
    )
    assert status == 201, award
    original = award["credential"]

    status, asked = http(
        "POST", f"{base}/api/v1/people/{person}/identities/email", {"email": HOME}, token
    )
    assert status == 202, asked
    server["cli"]("worker", "--until-idle")
    text = next(body for to, body in server["inbox"].texts if to == HOME)
    link = re.search(r"(http://127\.0\.0\.1:\d+/o/\S+/settings/personal-email/\S+)", text)
    assert link, text
    assert HOME in _follow(link.group(1))

    status, made = http("POST", f"{base}/api/v1/people/{person}/reissue", {"to": "email"}, token)
    assert status == 200, made
    (entry,) = made["credentials"]
    assert entry["reissuedFrom"] == award["id"] and entry["created"] is True
    copied = http("GET", entry["url"])[1]
    _verified_everywhere(copied, jsstack)
    (identity,) = copied["credentialSubject"]["identifier"]
    assert identity_matches(identity, HOME) and not identity_matches(identity, WORK)
    _verified_everywhere(original, jsstack)
    assert any(identity_matches(i, WORK) for i in original["credentialSubject"]["identifier"])

    wallet = KeyPair.generate()
    status, challenge = http(
        "POST", f"{base}/api/v1/people/{person}/identities/did-challenge", None, token
    )
    assert status == 201, challenge
    status, bound = http(
        "PUT",
        f"{base}/api/v1/people/{person}/identities/did",
        {"proof": _jws(wallet, challenge["challenge"])},
        token,
    )
    assert status == 200 and bound["boundDid"] == wallet.did_key, bound
    status, made = http("POST", f"{base}/api/v1/people/{person}/reissue", {"to": "did"}, token)
    assert status == 200, made
    (entry,) = made["credentials"]
    to_did = http("GET", entry["url"])[1]
    assert to_did["credentialSubject"]["id"] == wallet.did_key
    _verified_everywhere(to_did, jsstack)

    for credential in (copied, to_did, original):
        path = tmp_path / "credential.json"
        path.write_text(json.dumps(credential), encoding="utf-8")
        done = subprocess.run(
            [*CLI, "--allow-loopback-http", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
