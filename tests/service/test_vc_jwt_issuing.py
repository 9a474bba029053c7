"""VC-JWTs of issued credentials: the issuer's JOSE keys (encrypted at rest, published as
JsonWebKey methods whose kid resolves), ES256 by default and RS256 when chosen, the token
on the credential URL by content negotiation, the same token every time, and rotation."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from badgeservice.credentials.did import default_resolver
from badgeservice.credentials.jose import parse_vc_jwt
from badgeservice.credentials.verify import verify_vc_jwt
from badgeservice.db import database, session_scope
from badgeservice.issuers.models import Issuer, IssuerJoseKey
from badgeservice.issuers.services import IssuerService
from badgeservice.keystore import LocalKeyStore
from tests.conftest import PUBLIC_URL, Tenant
from tests.service.test_issuers import _award

DID = "did:web:badges.example.org:issuers:acme:academy"


def _token(client: Any, credential_id: str, accept: str = "application/vc+jwt") -> Any:
    return client.get(f"/credentials/{credential_id}", headers={"Accept": accept})


def _jose_keys(app: Any, tenant: Tenant) -> list[IssuerJoseKey]:
    with app.app_context(), session_scope(database()) as session:
        rows = session.scalars(
            select(IssuerJoseKey)
            .where(IssuerJoseKey.issuer_id == tenant.issuer_id)
            .order_by(IssuerJoseKey.number)
        ).all()
        session.expunge_all()
        return list(rows)


def test_the_credential_url_serves_its_vc_jwt_by_content_negotiation(
    app: Any, client: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    awarded = _award(app, client, tenant, "E1")
    url = f"/credentials/{awarded['id']}"
    assert client.get(url).mimetype == "application/ld+json"  # JSON stays the default
    assert client.get(url, headers={"Accept": "*/*"}).mimetype == "application/ld+json"
    first = _token(client, awarded["id"])
    assert first.status_code == 200 and first.mimetype == "application/vc+jwt"
    assert first.headers["Vary"] == "Accept"
    assert first.headers["Credential-Status"] == "active"
    plain = _token(client, awarded["id"], "text/plain")
    assert plain.mimetype == "text/plain"
    # Signed once and kept: the same token every time, in either media type.
    token = first.get_data(as_text=True)
    assert plain.get_data(as_text=True) == token == _token(client, awarded["id"]).get_data(True)
    preferred = _token(client, awarded["id"], "application/vc+jwt, text/html;q=0.5")
    assert preferred.mimetype == "application/vc+jwt"

    parsed = parse_vc_jwt(token)
    assert parsed.header == {"alg": "ES256", "kid": f"{DID}#jwk-1", "typ": "JWT"}
    assert parsed.credential == awarded["credential"]  # the whole signed credential
    claims = parsed.claims
    assert claims["iss"] == DID and claims["jti"] == awarded["credential"]["id"]
    assert "sub" not in claims  # the learner is named by hashed identifiers, not an id
    did = client.get("/issuers/acme/academy/did.json").get_json()
    report = verify_vc_jwt(token, resolver=default_resolver([did]), check_status=False)
    assert report.verified, report.errors


def test_jose_keys_are_encrypted_at_rest_and_published_as_json_web_keys(
    app: Any, client: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    _token(client, _award(app, client, tenant, "E1")["id"])
    [key] = _jose_keys(app, tenant)
    assert key.algorithm == "ES256" and key.fragment == "jwk-1"
    assert key.private_key_ciphertext.startswith(b"bs1")
    keystore = app.extensions["badgeservice.keystore"]
    assert isinstance(keystore, LocalKeyStore)
    der = keystore.unwrap(key.private_key_ciphertext, key_id=f"issuer-jose-key:{key.id}")
    assert der not in key.private_key_ciphertext
    did = client.get("/issuers/acme/academy/did.json").get_json()
    [method] = [m for m in did["verificationMethod"] if m["type"] == "JsonWebKey"]
    assert method == {
        "id": f"{DID}#jwk-1",
        "type": "JsonWebKey",
        "controller": DID,
        "publicKeyJwk": key.public_jwk,
    }
    assert set(key.public_jwk) == {"kty", "crv", "x", "y"} and '"d":' not in json.dumps(did)
    assert f"{DID}#jwk-1" in did["assertionMethod"]


def test_rs256_when_the_issuer_chooses_it_and_rotation_keeps_old_tokens_verifying(
    app: Any, client: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    before = _award(app, client, tenant, "E1")
    old_token = _token(client, before["id"]).get_data(as_text=True)
    with app.test_request_context(), session_scope(database()) as session:
        issuer = session.get(Issuer, tenant.issuer_id)
        assert issuer is not None
        service = IssuerService(
            session, public_url=PUBLIC_URL, keystore=app.extensions["badgeservice.keystore"]
        )
        service.upsert_issuer(
            tenant.organisation_id, "academy", name=issuer.name, vc_jwt_algorithm="RS256"
        )
    after = _award(app, client, tenant, "E2")
    new_token = _token(client, after["id"]).get_data(as_text=True)
    assert parse_vc_jwt(new_token).header["alg"] == "RS256"
    assert parse_vc_jwt(new_token).header["kid"] == f"{DID}#jwk-2"
    keys = _jose_keys(app, tenant)
    assert [(k.algorithm, k.retired_at is None) for k in keys] == [
        ("ES256", False),
        ("RS256", True),
    ]
    assert keys[1].public_jwk["kty"] == "RSA" and len(keys[1].public_jwk["n"]) > 500

    rotated = client.post(f"/api/v1/issuers/{tenant.issuer_id}/keys/rotate", headers=tenant.headers)
    assert rotated.status_code == 200
    listed = rotated.get_json()
    assert listed["vcJwtAlgorithm"] == "RS256"
    assert [
        (k["id"].rsplit("#")[1], k["algorithm"], k["retiredAt"] is None) for k in listed["joseKeys"]
    ] == [("jwk-1", "ES256", False), ("jwk-2", "RS256", False), ("jwk-3", "RS256", True)]
    assert listed["joseKeys"][2]["publicKeyJwk"]["kty"] == "RSA"
    assert [k.number for k in _jose_keys(app, tenant) if k.retired_at is None] == [3]
    latest = _token(client, _award(app, client, tenant, "E3")["id"]).get_data(as_text=True)
    assert parse_vc_jwt(latest).header["kid"] == f"{DID}#jwk-3"
    did = client.get("/issuers/acme/academy/did.json").get_json()
    for token in (old_token, new_token, latest):
        report = verify_vc_jwt(token, resolver=default_resolver([did]), check_status=False)
        assert report.verified, report.errors
    # The token kept for a credential does not change with the key.
    assert _token(client, before["id"]).get_data(as_text=True) == old_token
