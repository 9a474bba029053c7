"""VC-JWT (OB 3.0 §8.2): signing with ES256 and RS256 keys published in a did:web
document, verification with the same report shape as Data Integrity proofs, and every
way a token can be wrong."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from badgeservice.credentials.did import did_web_document
from badgeservice.credentials.errors import (
    KeyFormatError,
    MalformedDocumentError,
    UnknownContextError,
)
from badgeservice.credentials.jose import (
    generate_jose_key,
    looks_like_compact_jws,
    parse_vc_jwt,
    sign_vc_jwt,
)
from badgeservice.credentials.multikey import KeyPair, encode_base58btc
from badgeservice.credentials.proofs import sign
from badgeservice.credentials.verify import verify_vc_jwt
from tests.conftest import load_vector

DID = "did:web:issuer.example:badges"
KEYS = {algorithm: generate_jose_key(algorithm) for algorithm in ("ES256", "RS256")}
ED25519 = KeyPair.generate()
DOCUMENT = did_web_document(
    DID,
    [("key-1", ED25519.public_key_multibase)],
    jwks=[("jwk-1", KEYS["ES256"].public_jwk), ("jwk-2", KEYS["RS256"].public_jwk)],
)
KID = {"ES256": f"{DID}#jwk-1", "RS256": f"{DID}#jwk-2"}
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def credential(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(load_vector("ob-v3p0/unsigned.json"))
    doc["issuer"] = {"id": DID, "type": ["Profile"], "name": "Example"}
    doc["validFrom"] = "2026-11-28T08:00:00Z"
    doc.update(changes)
    return doc


def token(algorithm: str = "ES256", document: dict[str, Any] | None = None) -> str:
    pair = KEYS[algorithm]
    return sign_vc_jwt(document or credential(), algorithm, pair.private_der, kid=KID[algorithm])


def parts(value: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = value.split(".")

    def decode(text: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))  # type: ignore[no-any-return]

    return decode(head), decode(body)


def resign(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A token signed by the ES256 key with joserfc directly, saying what our signer never
    would."""
    key = ECKey.import_key(KEYS["ES256"].private_der)
    return jws.serialize_compact(header, json.dumps(payload).encode(), key, algorithms=["ES256"])


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_signed_token_has_the_profile_header_and_claims(algorithm: str) -> None:
    doc = credential(validUntil="2027-11-28T08:00:00Z")
    doc["credentialSubject"]["id"] = "did:example:learner"
    header, payload = parts(token(algorithm, doc))
    assert header == {"alg": algorithm, "kid": KID[algorithm], "typ": "JWT"}
    assert payload["iss"] == DID and payload["jti"] == doc["id"]
    assert payload["nbf"] == int(datetime(2026, 11, 28, 8, tzinfo=UTC).timestamp())
    assert payload["exp"] == int(datetime(2027, 11, 28, 8, tzinfo=UTC).timestamp())
    assert payload["sub"] == "did:example:learner"
    assert {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "exp", "sub")} == doc


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_signed_token_verifies_with_the_published_key(algorithm: str) -> None:
    report = verify_vc_jwt(token(algorithm), documents=[DOCUMENT], now=NOW)
    assert report.verified, report.errors
    checks = {c.name: c for c in report.checks}
    assert checks["proof"].message == f"{algorithm} VC-JWT signature by {KID[algorithm]}"
    assert checks["issuer"].outcome == "passed" and checks["claims"].outcome == "passed"
    assert list(report.to_json()) == [
        "verified",
        "credential",
        "issuer",
        "checkedAt",
        "nquadsOrdering",
        "checks",
        "errors",
        "warnings",
    ]


def test_a_data_integrity_proof_stays_inside_and_the_token_is_the_proof() -> None:
    signed = sign(credential(), ED25519, verification_method=f"{DID}#key-1")
    _, payload = parts(token("ES256", signed))
    assert payload["proof"] == signed["proof"]
    assert verify_vc_jwt(token("ES256", signed), documents=[DOCUMENT], now=NOW).verified


def test_a_changed_payload_or_another_key_fails_the_signature() -> None:
    good = token()
    head, _body, signature = good.split(".")
    _, payload = parts(good)
    payload["name"] = "Something else"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    report = verify_vc_jwt(f"{head}.{forged_body}.{signature}", documents=[DOCUMENT], now=NOW)
    assert not report.verified
    assert "signature does not match" in report.errors[0]
    # The RS256 key's kid on an ES256 signature: the key does not suit the algorithm.
    header, payload = parts(good)
    wrong = resign({**header, "kid": KID["RS256"]}, payload)
    assert "ES256 needs an EC key on P-256" in verify_vc_jwt(wrong, documents=[DOCUMENT]).errors[0]


def test_claims_must_agree_with_the_credential() -> None:
    header, payload = parts(token())
    for claim, value, expected in (
        ("iss", "did:web:someone.else", "iss 'did:web:someone.else' is not"),
        ("jti", "urn:uuid:00000000-0000-0000-0000-000000000000", "jti 'urn:uuid:0000"),
        ("nbf", payload["nbf"] + 3600, "is not the credential's validFrom"),
        ("exp", payload["nbf"] + 3600, "exp is set but the credential has no validUntil"),
        ("sub", "did:example:else", "sub 'did:example:else' is not the credential's"),
    ):
        report = verify_vc_jwt(resign(header, {**payload, claim: value}), documents=[DOCUMENT])
        assert not report.verified, claim
        assert any(e.startswith("claims:") and expected in e for e in report.errors), (
            claim,
            report.errors,
        )
    missing = {k: v for k, v in payload.items() if k != "nbf"}
    assert (
        "claims: nbf is missing"
        in verify_vc_jwt(resign(header, missing), documents=[DOCUMENT]).errors
    )


def test_header_rules_alg_typ_extra_parameters_and_embedded_keys() -> None:
    header, payload = parts(token())
    cases = (
        ({**header, "typ": "vc+jwt"}, "typ is 'vc+jwt'"),
        ({**header, "cty": "vc"}, "header parameters the spec does not allow: cty"),
        ({"alg": "ES256", "jwk": KEYS["ES256"].public_jwk}, "nothing ties it to the issuer"),
        ({"alg": "ES256"}, "the header names no key (kid)"),
    )
    for bad, expected in cases:
        report = verify_vc_jwt(resign(bad, payload), documents=[DOCUMENT])
        assert not report.verified and expected in report.errors[0], (bad, report.errors)
    key = OKPKey.generate_key("Ed25519")
    empty = jws.serialize_compact(
        {"alg": "Ed25519", "kid": "x"}, b"{}", key, algorithms=["Ed25519"]
    )
    with pytest.raises(MalformedDocumentError, match="no credential"):
        verify_vc_jwt(empty, documents=[DOCUMENT])


def test_a_key_of_another_controller_is_not_the_issuer() -> None:
    other = "did:web:other.example"
    document = did_web_document(other, [], jwks=[("jwk-1", KEYS["ES256"].public_jwk)])
    header, payload = parts(token())
    report = verify_vc_jwt(
        resign({**header, "kid": f"{other}#jwk-1"}, payload), documents=[document]
    )
    assert not report.verified
    assert f"issuer: key controller {other} is not the issuer {DID}" in report.errors


def test_did_key_tokens_p256_and_ed25519() -> None:
    pair = generate_jose_key("ES256")
    point = ECKey.import_key(pair.private_der).raw_value.public_key()
    compressed = point.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    multibase = encode_base58btc(b"\x80\x24" + compressed)
    assert multibase.startswith("zDn")
    did = f"did:key:{multibase}"
    doc = credential(issuer={"id": did, "type": ["Profile"], "name": "Key"})
    signed = sign_vc_jwt(doc, "ES256", pair.private_der, kid=f"{did}#{multibase}")
    assert verify_vc_jwt(signed, now=NOW).verified
    ed = OKPKey.import_key(
        ED25519.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    did = ED25519.did_key
    doc = credential(issuer={"id": did, "type": ["Profile"], "name": "Key"})
    header = {"alg": "Ed25519", "kid": ED25519.did_key_verification_method, "typ": "JWT"}
    claims = {k: v for k, v in parts(token())[1].items() if k in ("nbf", "sub")}
    payload = {**doc, "iss": did, "jti": doc["id"], **claims}
    body = json.dumps(payload).encode()
    signed = jws.serialize_compact(header, body, ed, algorithms=["Ed25519"])
    report = verify_vc_jwt(signed, now=NOW)
    assert report.verified, report.errors


def test_vc_claim_tokens_are_read_too() -> None:
    doc = credential()
    header, payload = parts(token())
    legacy = {k: payload[k] for k in ("iss", "jti", "nbf", "sub")} | {"vc": doc}
    report = verify_vc_jwt(resign(header, legacy), documents=[DOCUMENT], now=NOW)
    assert report.verified, report.errors
    assert parse_vc_jwt(resign(header, legacy)).in_vc_claim


def test_unusable_input_raises() -> None:
    for value in ("", "a.b", "not a token", "a.b.c.d", "e30.e30.", "x" * 10):
        with pytest.raises(MalformedDocumentError):
            parse_vc_jwt(value)
    assert not looks_like_compact_jws("{}") and looks_like_compact_jws(" a.b.c\n")
    with pytest.raises(MalformedDocumentError, match="not base64url JSON"):
        parse_vc_jwt("a.b.c")
    with pytest.raises(KeyFormatError):
        generate_jose_key("HS256")
    undated = {k: v for k, v in credential().items() if k != "validFrom"}
    with pytest.raises(MalformedDocumentError, match="validFrom"):
        sign_vc_jwt(undated, "ES256", KEYS["ES256"].private_der, kid=KID["ES256"])


def test_validity_and_status_as_for_embedded_proofs() -> None:
    expired = token(document=credential(validUntil="2026-11-30T00:00:00Z"))
    report = verify_vc_jwt(expired, documents=[DOCUMENT], now=NOW)
    assert not report.verified
    assert any(e.startswith("validity: expired") for e in report.errors)
    status = {
        "id": "https://issuer.example/status/1#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": "https://issuer.example/status/1",
    }
    listed = token(document=credential(credentialStatus=status))
    report = verify_vc_jwt(listed, documents=[DOCUMENT], now=NOW)
    assert not report.verified
    assert any("status could not be checked" in e for e in report.errors)


def test_a_credential_that_is_not_usable_json_ld_raises_as_without_a_token() -> None:
    unknown = credential()
    unknown["@context"] = [*unknown["@context"], "https://example.org/unpinned"]
    with pytest.raises(UnknownContextError):
        verify_vc_jwt(token(document=unknown), documents=[DOCUMENT], now=NOW)
