"""The VC-JWT form of a credential: the JSON Web Token proof format of Open Badges 3.0
(§8.2), signed and checked with joserfc.

The JWT payload is the credential itself with the JWT claims beside its members: ``iss``
(``issuer.id``), ``jti`` (``id``), ``nbf`` (``validFrom``), ``exp`` (``validUntil``, when
there is one) and ``sub`` (``credentialSubject.id``, when the subject has one). A token made
the VC Data Model 1.1 way, with the credential in a ``vc`` claim, is read too, as the spec
tells verifiers to. The JOSE header is ``alg``, ``kid`` and ``typ: JWT`` and nothing else:
the spec allows no other header parameters.

A VC-JWT is verified only with a key its issuer publishes: the ``kid`` names a
verification method (a DID URL) whose controller must be the issuer. A key carried in the
header alone (``jwk``) proves only that someone holding it signed, so it is not enough.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_der_private_key,
)
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from .did import Resolver, VerificationMethod
from .errors import CredentialError, KeyFormatError, MalformedDocumentError
from .multikey import decode_base58btc, decode_p256_public_key, decode_public_key
from .proofs import parse_datetime

__all__ = [
    "SIGNING_ALGORITHMS",
    "VERIFYING_ALGORITHMS",
    "EnvelopeProof",
    "JoseKeyPair",
    "VcJwt",
    "check_envelope",
    "claim_problems",
    "generate_jose_key",
    "jwt_claims",
    "looks_like_compact_jws",
    "method_jwk",
    "parse_vc_jwt",
    "sign_vc_jwt",
]

#: Issuers sign with ES256 (P-256) by default, or RS256 (RSA), which the spec names as
#: the minimum every verifier supports.
SIGNING_ALGORITHMS = ("ES256", "RS256")
#: Verified: the two above and Ed25519 (an Ed25519 did:key), also by its older name EdDSA.
VERIFYING_ALGORITHMS = ("ES256", "RS256", "Ed25519", "EdDSA")
#: RSA keys are made with 3072 bits (NIST's size for use past 2030); 2048 is the least a
#: verifier accepts.
RSA_BITS = 3072
MIN_RSA_BITS = 2048
_HEADER = frozenset({"alg", "kid", "jwk", "typ"})
_REGISTERED = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# A longer string is refused before anything is decoded.
MAX_TOKEN_CHARS = 4 * 1024 * 1024


@dataclass(frozen=True)
class JoseKeyPair:
    """A new issuer key: its private key as PKCS#8 DER (to be wrapped for storage) and its
    public JWK (to be published)."""

    algorithm: str
    private_der: bytes
    public_jwk: dict[str, Any]


def generate_jose_key(algorithm: str) -> JoseKeyPair:
    """A fresh ES256 (P-256) or RS256 (RSA) key. Raises: KeyFormatError for another
    algorithm."""
    if algorithm == "ES256":
        private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = ec.generate_private_key(
            ec.SECP256R1()
        )
    elif algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    else:
        raise KeyFormatError(f"VC-JWT keys are ES256 or RS256, not {algorithm!r}")
    der = private.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    return JoseKeyPair(algorithm, der, _public_jwk(private.public_key()))


def _public_jwk(public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> dict[str, Any]:
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    if isinstance(public, ec.EllipticCurvePublicKey):
        jwk = ECKey.import_key(pem).as_dict(private=False)
    else:
        jwk = RSAKey.import_key(pem).as_dict(private=False)
    return {name: jwk[name] for name in ("kty", "crv", "x", "y", "n", "e") if name in jwk}


def _private_key(algorithm: str, private_der: bytes) -> ECKey | RSAKey:
    if algorithm not in SIGNING_ALGORITHMS:
        raise KeyFormatError(f"VC-JWT keys are ES256 or RS256, not {algorithm!r}")
    # The key is the issuer's own, generated here and kept in an authenticated (AES-GCM)
    # blob: checking the RSA key's consistency again on every load would cost a quarter
    # of a second per signature.
    key = load_der_private_key(private_der, password=None, unsafe_skip_rsa_key_validation=True)
    if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        return ECKey.import_key(key)
    if algorithm == "RS256" and isinstance(key, rsa.RSAPrivateKey):
        return RSAKey.import_key(key)
    raise KeyFormatError(f"the stored key is not an {algorithm} key")


def _numeric_date(value: Any, name: str) -> int:
    try:
        return math.floor(parse_datetime(value).timestamp())
    except (TypeError, ValueError) as exc:
        raise MalformedDocumentError(f"{name}: {exc}") from None


def _subject_id(document: Mapping[str, Any]) -> str | None:
    subject = document.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    value = subject.get("id") if isinstance(subject, Mapping) else None
    return value if isinstance(value, str) else None


def _issuer_id(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def jwt_claims(document: Mapping[str, Any]) -> dict[str, Any]:
    """The JWT claims a credential's members give (§8.2.2). Raises: MalformedDocumentError
    when a required one has no source."""
    issuer, credential_id = _issuer_id(document), document.get("id")
    if issuer is None:
        raise MalformedDocumentError("a VC-JWT needs the credential's issuer id (iss)")
    if not isinstance(credential_id, str):
        raise MalformedDocumentError("a VC-JWT needs the credential's id (jti)")
    if "validFrom" not in document:
        raise MalformedDocumentError("a VC-JWT needs the credential's validFrom (nbf)")
    claims: dict[str, Any] = {
        "iss": issuer,
        "jti": credential_id,
        "nbf": _numeric_date(document["validFrom"], "validFrom"),
    }
    if "validUntil" in document:
        claims["exp"] = _numeric_date(document["validUntil"], "validUntil")
    subject = _subject_id(document)
    if subject is not None:
        claims["sub"] = subject
    return claims


def sign_vc_jwt(
    document: Mapping[str, Any], algorithm: str, private_der: bytes, *, kid: str
) -> str:
    """The compact JWS of ``document`` (an embedded Data Integrity proof stays inside, as
    the spec orders proofs), signed with the key ``kid`` names."""
    payload = {**document, **jwt_claims(document)}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = {"alg": algorithm, "kid": kid, "typ": "JWT"}
    return jws.serialize_compact(
        header, body, _private_key(algorithm, private_der), algorithms=[algorithm]
    )


def looks_like_compact_jws(text: str) -> bool:
    """Whether ``text`` (surrounding whitespace aside) has the shape of a compact JWS."""
    return len(text) <= MAX_TOKEN_CHARS and _COMPACT.fullmatch(text.strip()) is not None


@dataclass(frozen=True)
class VcJwt:
    """A compact JWS taken apart (not yet verified): header, claims and the credential."""

    token: str
    header: dict[str, Any]
    claims: dict[str, Any]
    credential: dict[str, Any]
    # True when the credential came from a ``vc`` claim (VC Data Model 1.1 style).
    in_vc_claim: bool


def _segment(text: str, name: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):
        raise MalformedDocumentError(f"the VC-JWT's {name} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise MalformedDocumentError(f"the VC-JWT's {name} is not a JSON object")
    return value


def parse_vc_jwt(token: str) -> VcJwt:
    """Take a compact JWS apart. Raises: MalformedDocumentError when it is not a JWS with
    a credential in it."""
    if not isinstance(token, str) or not looks_like_compact_jws(token):
        raise MalformedDocumentError("not a compact JWS (three base64url parts separated by dots)")
    token = token.strip()
    head, body, _signature = token.split(".")
    header, claims = _segment(head, "header"), _segment(body, "payload")
    vc = claims.get("vc")
    if isinstance(vc, dict):
        credential, in_vc = vc, True
    else:
        credential = {k: v for k, v in claims.items() if k not in _REGISTERED}
        in_vc = False
    if "@context" not in credential:
        raise MalformedDocumentError("the VC-JWT's payload holds no credential (no @context)")
    return VcJwt(token, header, claims, credential, in_vc)


def method_jwk(method: VerificationMethod) -> dict[str, Any]:
    """The public JWK of a verification method: a JsonWebKey's own, or the JWK of an
    Ed25519 or P-256 Multikey (a did:key). Raises: KeyFormatError."""
    if method.public_key_jwk is not None:
        return dict(method.public_key_jwk)
    raw = decode_base58btc(method.public_key_multibase)
    try:
        decode_public_key(method.public_key_multibase)
    except KeyFormatError:
        point = decode_p256_public_key(method.public_key_multibase)
        return _public_jwk(point)
    x = base64.urlsafe_b64encode(raw[2:]).rstrip(b"=").decode("ascii")
    return {"kty": "OKP", "crv": "Ed25519", "x": x}


def _verifying_key(jwk: Mapping[str, Any], algorithm: str) -> ECKey | RSAKey | OKPKey:
    """The joserfc key for ``jwk`` if it suits ``algorithm``. Raises: KeyFormatError."""
    if "d" in jwk:
        raise KeyFormatError("the JWK holds a private key (d)")
    wanted = {
        "ES256": ("EC", "P-256"),
        "RS256": ("RSA", None),
        "Ed25519": ("OKP", "Ed25519"),
        "EdDSA": ("OKP", "Ed25519"),
    }
    kty, crv = wanted[algorithm]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        wants = f"{kty} key on {crv}" if crv else f"{kty} key"
        raise KeyFormatError(f"{algorithm} needs an {wants}; the key is {jwk.get('kty')!r}")
    try:
        key: ECKey | RSAKey | OKPKey
        if kty == "EC":
            key = ECKey.import_key(dict(jwk))
        elif kty == "RSA":
            key = RSAKey.import_key(dict(jwk))
        else:
            key = OKPKey.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError) as exc:
        raise KeyFormatError(f"the JWK is not a usable {kty} key: {exc}") from None
    if isinstance(key, RSAKey):
        size = key.raw_value.key_size
        if size < MIN_RSA_BITS:
            raise KeyFormatError(f"an RSA key of {size} bits is too weak (at least 2048)")
    return key


@dataclass
class EnvelopeProof:
    """The outcome of checking a VC-JWT's signature and claims; the credential inside is
    checked like any other (validity, status, schema) with this in place of an embedded
    proof."""

    verified: bool = False
    message: str = ""
    kid: str | None = None
    controller: str | None = None
    claim_errors: list[str] = field(default_factory=list)


def check_envelope(parsed: VcJwt, resolver: Resolver) -> EnvelopeProof:
    """Check the header, resolve the key ``kid`` names, verify the signature and compare
    the claims with the credential."""
    result = EnvelopeProof(claim_errors=claim_problems(parsed.claims, parsed.credential))
    header = parsed.header
    algorithm = header.get("alg")
    kid = header.get("kid")
    result.kid = kid if isinstance(kid, str) else None
    problems = []
    if algorithm not in VERIFYING_ALGORITHMS:
        problems.append(
            f"alg {algorithm!r} is not accepted (one of {', '.join(VERIFYING_ALGORITHMS)})"
        )
    extra = sorted(set(header) - _HEADER)
    if extra:
        problems.append(f"header parameters the spec does not allow: {', '.join(extra)}")
    if "typ" in header and header["typ"] != "JWT":
        problems.append(f'typ is {header["typ"]!r}; the spec allows only "JWT"')
    if not isinstance(kid, str):
        reason = (
            "the key is only in the header (jwk): nothing ties it to the issuer"
            if "jwk" in header
            else "the header names no key (kid)"
        )
        problems.append(reason)
    if problems:
        result.message = "; ".join(problems)
        return result
    assert isinstance(kid, str)
    assert isinstance(algorithm, str)
    issuer = _issuer_id(parsed.credential)
    vm = issuer + kid if kid.startswith("#") and issuer else kid
    try:
        method = resolver.resolve(vm)
        key = _verifying_key(method_jwk(method), algorithm)
    except CredentialError as exc:
        result.message = f"verification method: {exc}"
        return result
    result.controller = method.controller
    if "assertionMethod" not in method.purposes:
        result.message = f"{vm} is not authorised for assertionMethod by its controller document"
        return result
    try:
        jws.deserialize_compact(parsed.token, key, algorithms=[algorithm])
    except JoseError:
        result.message = "signature does not match the token (altered or wrong key)"
        return result
    result.verified = True
    result.message = f"{algorithm} VC-JWT signature by {vm}"
    return result


def claim_problems(claims: Mapping[str, Any], credential: Mapping[str, Any]) -> list[str]:
    """Where the JWT claims disagree with the credential (§8.2.4), each in words."""
    problems = []
    issuer, subject = _issuer_id(credential), _subject_id(credential)
    expected = {"iss": issuer, "jti": credential.get("id"), "sub": subject}
    for name, value in expected.items():
        if name not in claims:
            if name != "sub" or subject is not None:
                problems.append(f"{name} is missing")
        elif claims[name] != value:
            problems.append(f"{name} {claims[name]!r} is not the credential's {value!r}")
    dates = {"nbf": "validFrom", "exp": "validUntil"}
    if isinstance(claims.get("vc"), dict):
        # VC Data Model 1.1 names them issuanceDate and expirationDate.
        for name, older in (("nbf", "issuanceDate"), ("exp", "expirationDate")):
            if dates[name] not in credential and older in credential:
                dates[name] = older
    for name, member in dates.items():
        if name not in claims:
            if name == "nbf" or member in credential:
                problems.append(f"{name} is missing")
            continue
        if not isinstance(claims[name], int | float) or isinstance(claims[name], bool):
            problems.append(f"{name} is not a NumericDate")
        elif member not in credential:
            problems.append(f"{name} is set but the credential has no {member}")
        else:
            try:
                moment = _numeric_date(credential[member], member)
            except MalformedDocumentError as exc:
                problems.append(str(exc))
                continue
            if math.floor(claims[name]) != moment:
                problems.append(f"{name} {claims[name]} is not the credential's {member}")
    return problems
