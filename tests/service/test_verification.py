"""Verification people can trust, through the service's HTTP interface: the public verify
endpoint, the public credential URL of a revoked credential, status lists signed when
they change (not per request), and the organisation's choice of N-Quads ordering."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from badgeservice.credentials import baking
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import verify_proof
from badgeservice.db import database, session_scope
from badgeservice.organisations.models import Organisation
from tests.conftest import PUBLIC_URL, Tenant
from tests.service.test_awards import _seed

BANG, CAP = "\uff01", "\U0001f393"


def award(client: Any, tenant: Tenant, achievement_id: str, **extra: Any) -> Any:
    return client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={"achievement": achievement_id, "person": {"employeeNumber": "E1"}, **extra},
    )


@pytest.fixture
def issued(app: Any, client: Any, make_tenant: Callable[..., Tenant]) -> dict[str, Any]:
    tenant = make_tenant("acme")
    _person, achievement_id = _seed(app, tenant)
    response = award(client, tenant, achievement_id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return {"tenant": tenant, "body": body, "credential": body["credential"]}


def local(url: str) -> str:
    return url.removeprefix(PUBLIC_URL)


def status_check(report: dict[str, Any]) -> dict[str, Any]:
    (check,) = [c for c in report["checks"] if c["name"] == "status"]
    return check


def revoke(client: Any, issued: dict[str, Any]) -> None:
    response = client.post(
        f"/api/v1/credentials/{issued['body']['id']}/revoke",
        headers=issued["tenant"].headers,
        json={"reason": "issued in error"},
    )
    assert response.status_code == 200, response.get_json()


# -- POST /api/v1/verify --------------------------------------------------------------------


def test_verify_endpoint_resolves_keys_and_status_and_says_revoked(
    client: Any, issued: dict[str, Any]
) -> None:
    answer = client.post("/api/v1/verify", json=issued["credential"])  # no token
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert report["verified"] is True, report["errors"]
    assert status_check(report) == {
        "name": "status",
        "outcome": "passed",
        "message": "not revoked",
    }
    assert report["nquadsOrdering"] == "code-point"
    by_url = client.post("/api/v1/verify", json={"url": issued["body"]["url"]}).get_json()
    assert by_url["verified"] is True

    revoke(client, issued)
    for body in (issued["credential"], {"url": issued["body"]["url"]}):
        report = client.post("/api/v1/verify", json=body).get_json()
        assert report["verified"] is False
        assert status_check(report)["message"] == "revocation: revoked"


def test_verify_endpoint_takes_a_baked_image(client: Any, issued: dict[str, Any]) -> None:
    canvas = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(canvas, format="PNG")
    baked = baking.bake(canvas.getvalue(), issued["credential"])
    answer = client.post(
        "/api/v1/verify",
        data={"image": (io.BytesIO(baked), "badge.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["verified"] is True
    plain = client.post(
        "/api/v1/verify",
        data={"image": (io.BytesIO(canvas.getvalue()), "plain.png")},
        content_type="multipart/form-data",
    )
    assert plain.status_code == 400
    assert plain.content_type == "application/problem+json"


def test_foreign_keys_and_lists_are_not_fetched_and_not_verified(client: Any) -> None:
    key = KeyPair.generate()
    from badgeservice.credentials.proofs import sign
    from badgeservice.credentials.statuslist import status_entry
    from tests.conftest import load_vector

    document = load_vector("ob-v3p0/unsigned.json")
    document["issuer"]["id"] = key.did_key_verification_method.split("#")[0]
    document["credentialStatus"] = status_entry("https://elsewhere.example/status/1", 3)
    report = client.post("/api/v1/verify", json=sign(document, key)).get_json()
    assert report["verified"] is False
    assert status_check(report)["message"].startswith("status could not be checked: ")
    assert "fetches nothing from elsewhere" in status_check(report)["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "JSON-LD object"),
        (b'{"url": "https://elsewhere.example/c/1"}', "application/json", "not a credential"),
        (b"hello", "text/plain", "not a compact JWS"),
        (b"e30.e30.e30", "text/plain", "holds no credential"),
        (b"\xff.\xfe.\xfd", "text/plain", "not UTF-8"),
        (b'{"jws": 5}', "application/json", "jws: must be a string"),
        (b"<svg/>", "image/svg+xml", "text/plain"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "nested too deeply"),
        (
            b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": '
            b'["VerifiableCredential"], "name": "broken \\ud83c"}',
            "application/json",
            "$.name: string holds a lone surrogate",
        ),
        (
            b'{"@context": ["https://example.org/unpinned"], "type": ["VerifiableCredential"]}',
            "application/json",
            "unknown JSON-LD context",
        ),
    ],
)
def test_bad_input_is_a_precise_4xx(
    client: Any, body: bytes, content_type: str, fragment: str
) -> None:
    answer = client.post("/api/v1/verify", data=body, content_type=content_type)
    assert answer.status_code in (400, 404), answer.get_data(as_text=True)[:300]
    assert answer.content_type == "application/problem+json"
    assert fragment in answer.get_json()["detail"]


def test_a_document_too_large_to_verify_is_refused_with_the_library_limits(
    client: Any, issued: dict[str, Any]
) -> None:
    credential = json.loads(json.dumps(issued["credential"]))
    credential["credentialSubject"]["achievement"]["tag"] = [f"t{i}" for i in range(20_000)]
    answer = client.post("/api/v1/verify", json=credential)
    assert answer.status_code == 400
    problem = answer.get_json()
    assert problem["reason"] == "document-too-large"
    assert "Limits.max_array" in problem["detail"]


def test_verify_is_rate_limited_per_client(app: Any, client: Any) -> None:
    app.config["VERIFY_RATE_LIMIT"] = "3/minute"
    codes = [
        client.post("/api/v1/verify", data=b"x", content_type="text/plain").status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
    limited = client.post("/api/v1/verify", data=b"x", content_type="text/plain")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.content_type == "application/problem+json"
    other = client.post(
        "/api/v1/verify",
        data=b"x",
        content_type="text/plain",
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert other.status_code == 400


# -- the public credential URL --------------------------------------------------------------


def test_public_credential_links_its_status_and_says_when_revoked(
    client: Any, issued: dict[str, Any]
) -> None:
    url = local(issued["body"]["url"])
    before = client.get(url)
    status_url = issued["credential"]["credentialStatus"]["statusListCredential"]
    links = before.headers.getlist("Link")
    assert f'<{status_url}>; rel="https://www.w3.org/2018/credentials#credentialStatus"' in links
    assert any("/api/v1/verify>" in link for link in links)
    assert before.headers["Credential-Status"] == "active"
    revoke(client, issued)
    after = client.get(url)
    assert after.get_json() == before.get_json()  # the signed document cannot change
    assert after.headers["Credential-Status"] == "revoked"


# -- status lists: signed when they change ---------------------------------------------------


def test_status_list_is_signed_when_it_changes_not_per_request(
    client: Any, issued: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    signatures: list[bytes] = []
    real_sign = KeyPair.sign

    def counting(self: KeyPair, data: bytes) -> bytes:
        signatures.append(data)
        return real_sign(self, data)

    monkeypatch.setattr(KeyPair, "sign", counting)
    status_url = local(issued["credential"]["credentialStatus"]["statusListCredential"])
    first = client.get(status_url)
    second = client.get(status_url)
    assert first.status_code == second.status_code == 200
    assert signatures == []  # anonymous reads cost no signature
    assert first.get_json() == second.get_json()
    assert verify_proof(first.get_json(), _resolver(client)).verified
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    assert etag and etag == second.headers["ETag"]

    unchanged = client.get(status_url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""

    revoke(client, issued)
    assert len(signatures) == 1  # the revocation signed the list once
    changed = client.get(status_url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["proof"] != first.get_json()["proof"]
    assert len(signatures) == 1


def _resolver(client: Any) -> Any:
    from badgeservice.credentials.did import default_resolver

    return default_resolver([client.get("/issuers/acme/academy/did.json").get_json()])


def test_lists_stored_before_signed_lists_were_kept_are_signed_once(
    app: Any, client: Any, issued: dict[str, Any]
) -> None:
    from badgeservice.issuers.models import StatusList

    with app.app_context(), session_scope(database()) as session:
        for row in session.query(StatusList):
            row.document = None
    status_url = local(issued["credential"]["credentialStatus"]["statusListCredential"])
    first = client.get(status_url).get_json()
    assert first["proof"]
    assert client.get(status_url).get_json() == first


# -- the organisation's N-Quads ordering -----------------------------------------------------


def evidence() -> list[dict[str, str]]:
    return [
        {"id": "https://lms.example.org/e/1", "name": f"Work sample {BANG}"},
        {"id": "https://lms.example.org/e/1", "name": f"Work sample {CAP}"},
    ]


def test_award_whose_orderings_differ_is_refused_naming_the_fields(
    app: Any, client: Any, make_tenant: Callable[..., Tenant]
) -> None:
    tenant = make_tenant("acme")
    _person, achievement_id = _seed(app, tenant)
    answer = award(client, tenant, achievement_id, evidence=evidence())
    assert answer.status_code == 422, answer.get_json()
    problem = answer.get_json()
    assert problem["type"].endswith("/ordering-conflict")
    assert problem["fields"] == ["$.evidence[0].name", "$.evidence[1].name"]
    assert client.get("/api/v1/credentials", headers=tenant.headers).get_json()["items"] == []

    with app.app_context(), session_scope(database()) as session:
        session.get(Organisation, tenant.organisation_id).nquads_ordering = "utf-16"  # type: ignore[union-attr]
    answer = award(client, tenant, achievement_id, evidence=evidence())
    assert answer.status_code == 201, answer.get_json()
    report = client.post("/api/v1/verify", json=answer.get_json()["credential"]).get_json()
    assert report["verified"] is True, report["errors"]
    assert report["nquadsOrdering"] == "utf-16"
