"""The fetcher against real servers on loopback: HTTPS (a self-signed certificate the test
trusts), plain HTTP only when allowed, redirects, content types, sizes and deadlines; and
verification that resolves did:web keys and status lists through it."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from badgeservice.credentials.did import did_web_document
from badgeservice.credentials.fetch import (
    DID_MEDIA_TYPES,
    STATUS_LIST_MEDIA_TYPES,
    Fetcher,
    FetchError,
    HttpTransport,
)
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import sign
from badgeservice.credentials.statuslist import StatusList, status_entry, status_list_credential
from badgeservice.credentials.verify import NO_STATUS_WARNING, verify_credential
from tests.conftest import load_vector
from tests.credentials.loopback import Route, Server, self_signed, serve

CREATED = "2024-05-01T12:00:00Z"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https(tls: tuple[Path, Path]) -> Iterator[Server]:
    with serve(tls) as server:
        yield server


@pytest.fixture
def http_server() -> Iterator[Server]:
    with serve() as server:
        yield server


def trusting(tls: tuple[Path, Path], **options: Any) -> Fetcher:
    context = ssl.create_default_context(cafile=str(tls[0]))
    return Fetcher(HttpTransport(context), **options)


def test_https_json_is_fetched_once(https: Server, tls: tuple[Path, Path]) -> None:
    https.routes["/doc"] = Route(body=b'{"a": 1}', content_type="application/did+json")
    fetcher = trusting(tls)
    assert fetcher.get_json(https.url("/doc"), DID_MEDIA_TYPES) == {"a": 1}
    assert fetcher.get_json(https.url("/doc"), DID_MEDIA_TYPES) == {"a": 1}
    assert https.hits == ["/doc"]


def test_an_untrusted_certificate_is_refused(https: Server) -> None:
    https.routes["/doc"] = Route()
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        Fetcher().get_json(https.url("/doc"), DID_MEDIA_TYPES)


def test_plain_http_only_to_loopback_and_only_when_allowed(http_server: Server) -> None:
    http_server.routes["/doc"] = Route()
    with pytest.raises(FetchError, match="allow-loopback-http"):
        Fetcher().get_json(http_server.url("/doc"), DID_MEDIA_TYPES)
    assert http_server.hits == []
    allowed = Fetcher(allow_loopback_http=True)
    assert allowed.get_json(http_server.url("/doc"), DID_MEDIA_TYPES) == {}
    for url in ("http://example.org/x", "ftp://example.org/x", "https://user:pw@example.org/x"):
        with pytest.raises(FetchError):
            Fetcher(allow_loopback_http=True).check_url(url)


def test_redirects_are_followed_only_to_https(
    https: Server, http_server: Server, tls: tuple[Path, Path]
) -> None:
    https.routes["/final"] = Route(body=b'{"ok": true}')
    https.routes["/hop"] = Route(status=302, location="/final")
    https.routes["/down"] = Route(status=301, location=http_server.url("/final"))
    http_server.routes["/final"] = Route(body=b'{"downgraded": true}')
    fetcher = trusting(tls, allow_loopback_http=False)
    assert fetcher.get_json(https.url("/hop"), DID_MEDIA_TYPES) == {"ok": True}
    with pytest.raises(FetchError, match="refusing plain HTTP"):
        fetcher.get_json(https.url("/down"), DID_MEDIA_TYPES)
    assert http_server.hits == []
    https.routes["/loop"] = Route(status=302, location="/loop")
    with pytest.raises(FetchError, match="redirects"):
        fetcher.get_json(https.url("/loop"), DID_MEDIA_TYPES)


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(content_type="text/html", body=b"<html>"), "content type 'text/html'"),
        (Route(status=404), "HTTP 404"),
        (Route(body=b"[1, 2]"), "not a JSON object"),
        (Route(body=b"{not json"), "not JSON"),
        (Route(body=b'{"x": "' + b"a" * 5000 + b'"}'), "more than 4096 bytes"),
    ],
)
def test_unacceptable_answers_are_refused(
    https: Server, tls: tuple[Path, Path], route: Route, message: str
) -> None:
    https.routes["/doc"] = route
    with pytest.raises(FetchError, match=message):
        trusting(tls, max_bytes=4096).get_json(https.url("/doc"), STATUS_LIST_MEDIA_TYPES)


def test_a_trickling_server_cannot_hold_the_verifier_past_its_deadline(
    http_server: Server,
) -> None:
    # Each byte arrives well inside a per-read timeout; only an overall deadline stops it.
    http_server.routes["/slow"] = Route(body=b'{"x": "' + b"a" * 200 + b'"}', trickle=0.05)
    fetcher = Fetcher(allow_loopback_http=True, timeout=0.5)
    with pytest.raises(FetchError, match=r"no complete answer within 0.5 s"):
        fetcher.get_json(http_server.url("/slow"), DID_MEDIA_TYPES)


# -- verification through the fetcher -------------------------------------------------------


class Issuer:
    """A did:web issuer hosted on a loopback server, with one status list."""

    def __init__(self, server: Server) -> None:
        self.server = server
        host = server.base.split("://", 1)[1]
        self.did = f"did:web:{quote(host, safe='')}:issuers:acme"
        self.key = KeyPair.generate()
        self.vm = f"{self.did}#key-1"
        self.list_url = server.url("/issuers/acme/status/1")
        self.bits = StatusList()
        server.routes["/issuers/acme/did.json"] = Route(
            content_type="application/did+json",
            body=json.dumps(
                did_web_document(self.did, [("key-1", self.key.public_key_multibase)])
            ).encode(),
        )
        self.publish()

    def publish(self) -> None:
        document = status_list_credential(
            self.list_url, self.did, self.bits, valid_from=datetime(2024, 1, 1, tzinfo=UTC)
        )
        signed = sign(document, self.key, verification_method=self.vm, created=CREATED)
        self.server.routes["/issuers/acme/status/1"] = Route(
            content_type="application/vc+ld+json", body=json.dumps(signed).encode()
        )

    def credential(self, index: int) -> dict[str, Any]:
        document = load_vector("ob-v3p0/unsigned.json")
        document["issuer"]["id"] = self.did
        document["credentialStatus"] = status_entry(self.list_url, index)
        return sign(document, self.key, verification_method=self.vm, created=CREATED)


def outcome(report: Any, name: str) -> tuple[str, str]:
    (check,) = [c for c in report.checks if c.name == name]
    return check.outcome, check.message


def test_did_web_and_status_lists_are_resolved_and_revocation_shows(
    http_server: Server,
) -> None:
    issuer = Issuer(http_server)
    credential = issuer.credential(41)
    fetcher = Fetcher(allow_loopback_http=True)
    report = verify_credential(credential, resolver=fetcher, status_source=fetcher)
    assert report.verified, report.errors
    assert outcome(report, "status") == ("passed", "not revoked")
    issuer.bits.set(41, 1)
    issuer.publish()
    fresh = Fetcher(allow_loopback_http=True)
    report = verify_credential(credential, resolver=fresh, status_source=fresh)
    assert not report.verified
    assert outcome(report, "status") == ("failed", "revocation: revoked")


def test_status_that_cannot_be_checked_fails_the_verification(http_server: Server) -> None:
    issuer = Issuer(http_server)
    credential = issuer.credential(7)
    did_document = json.loads(http_server.routes["/issuers/acme/did.json"].body)
    # No source at all (the library's default): not verified, and it says why.
    report = verify_credential(credential, documents=[did_document])
    assert not report.verified
    status, message = outcome(report, "status")
    assert status == "failed"
    assert message.startswith("status could not be checked: ")
    assert "was not supplied" in message
    # The list cannot be fetched: not verified either.
    del http_server.routes["/issuers/acme/status/1"]
    fetcher = Fetcher(allow_loopback_http=True)
    report = verify_credential(credential, resolver=fetcher, status_source=fetcher)
    assert not report.verified
    assert outcome(report, "status")[1].startswith("status could not be checked: GET ")
    # Said explicitly: verified, with the warning in the report.
    report = verify_credential(credential, documents=[did_document], check_status=False)
    assert report.verified
    assert report.to_json()["warnings"] == [NO_STATUS_WARNING]
    assert outcome(report, "status")[0] == "skipped"


def test_unsupported_status_types_are_not_silently_skipped() -> None:
    key = KeyPair.generate()
    document = load_vector("ob-v3p0/unsigned.json")
    document["issuer"]["id"] = key.did_key_verification_method.split("#")[0]
    document["credentialStatus"] = {
        "id": "https://example.org/status/1#3",
        "type": "https://example.org/vocab#CustomStatusEntry",
    }
    report = verify_credential(sign(document, key, created=CREATED, ordering="code-point"))
    assert not report.verified
    assert (
        "status could not be checked: status type 'https://example.org/vocab#"
        in (report.errors[-1])
    )
