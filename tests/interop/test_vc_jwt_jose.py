"""VC-JWTs against an independent JOSE implementation, the npm ``jose`` package (through
``jsstack.mjs``), both ways and with both algorithms: the service's tokens (ES256 and
RS256, fetched from the credential URL, keys from the issuer's DID document) verify in
``jose``; tokens ``jose`` signs with its own keys verify in ours."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from badgeservice.credentials.did import did_web_document
from badgeservice.credentials.verify import verify_vc_jwt
from badgeservice.db import database, session_scope
from badgeservice.issuers.models import Issuer
from badgeservice.issuers.services import IssuerService
from tests.conftest import PUBLIC_URL, load_vector
from tests.interop.conftest import JsStack
from tests.service.test_issuers import _award

DID = "did:web:badges.example.org:issuers:acme:academy"


def _method(did_document: dict[str, Any], kid: str) -> dict[str, Any]:
    [method] = [m for m in did_document["verificationMethod"] if m["id"] == kid]
    return method


def test_the_service_tokens_verify_in_jose(
    app: Any, client: Any, make_tenant: Any, jsstack: JsStack
) -> None:
    tenant = make_tenant("acme")

    def issued(number: str) -> tuple[dict[str, Any], str]:
        credential = _award(app, client, tenant, number)
        answer = client.get(
            f"/credentials/{credential['id']}", headers={"Accept": "application/vc+jwt"}
        )
        return credential["credential"], answer.get_data(as_text=True)

    awarded = {"ES256": issued("E1")}
    with app.test_request_context(), session_scope(database()) as session:
        issuer = session.get(Issuer, tenant.issuer_id)
        assert issuer is not None
        keystore = app.extensions["badgeservice.keystore"]
        IssuerService(session, public_url=PUBLIC_URL, keystore=keystore).upsert_issuer(
            tenant.organisation_id, "academy", name=issuer.name, vc_jwt_algorithm="RS256"
        )
    awarded["RS256"] = issued("E2")
    did_document = client.get("/issuers/acme/academy/did.json").get_json()
    entries = []
    for number, (algorithm, (_credential, token)) in enumerate(awarded.items(), start=1):
        jwk = _method(did_document, f"{DID}#jwk-{number}")["publicKeyJwk"]
        entries.append({"token": token, "jwk": jwk, "alg": algorithm, "issuer": DID})
    head, body, signature = entries[0]["token"].split(".")
    forged = {**entries[0], "token": f"{head}.{body[:-2]}AA.{signature}"}
    wrong_key = {**entries[0], "jwk": entries[1]["jwk"], "alg": "RS256"}
    results = jsstack({"op": "jwt-verify", "tokens": [*entries, forged, wrong_key]})["results"]
    for entry, result in zip(entries, results, strict=False):
        assert result["verified"] is True, result
        assert result["header"] == {
            "alg": entry["alg"],
            "kid": result["header"]["kid"],
            "typ": "JWT",
        }
        credential = awarded[entry["alg"]][0]
        assert result["payload"]["jti"] == credential["id"]
        assert {k: v for k, v in result["payload"].items() if k not in ("iss", "jti", "nbf")} == (
            credential
        )
    assert results[2]["verified"] is False
    assert results[3]["verified"] is False


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_tokens_jose_signs_verify_in_ours(jsstack: JsStack, algorithm: str) -> None:
    credential = copy.deepcopy(load_vector("ob-v3p0/unsigned.json"))
    credential["issuer"] = {"id": DID, "type": ["Profile"], "name": "Example"}
    credential["validFrom"] = "2026-11-28T08:00:00Z"
    credential["validUntil"] = "2036-11-28T08:00:00Z"
    kid = f"{DID}#jwk-1"
    signed = jsstack({"op": "jwt-sign", "alg": algorithm, "kid": kid, "credential": credential})
    document = did_web_document(DID, [], jwks=[("jwk-1", signed["jwk"])])
    report = verify_vc_jwt(signed["token"], documents=[document])
    assert report.verified, report.errors
    assert {c.name: c.outcome for c in report.checks}["claims"] == "passed"
    # The same token under another key of the issuer does not verify.
    other = jsstack({"op": "jwt-sign", "alg": algorithm, "kid": kid, "credential": credential})
    swapped = did_web_document(DID, [], jwks=[("jwk-1", other["jwk"])])
    assert not verify_vc_jwt(signed["token"], documents=[swapped]).verified
