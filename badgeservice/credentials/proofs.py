"""The ``eddsa-rdfc-2022`` Data Integrity cryptosuite: create and verify proofs.

Create: proof configuration = proof options + the document's ``@context``; both it and the
document (without ``proof``) are canonicalized with RDFC-1.0 and hashed with SHA-256; the
Ed25519 signature over ``proofHash || documentHash`` becomes ``proofValue`` (multibase
base58btc).
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache

from .did import Resolver, default_resolver
from .errors import CredentialError, KeyFormatError, MalformedDocumentError, ProofError
from .jsonld import _DEFAULT, JsonLdProcessor
from .multikey import KeyPair, decode_base58btc, encode_base58btc, verify_signature

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "ProofCheck",
    "format_datetime",
    "hash_data",
    "parse_datetime",
    "sign",
    "verify_proof",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"

# XML Schema dateTime with an optional time zone, as Data Integrity requires for `created`.
_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, whole seconds (the form credentials carry)."""
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str) -> datetime:
    """Parse an XML Schema dateTime; a value without a zone is taken as UTC."""
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise ValueError(f"not an XML Schema dateTime: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_document(document: Any) -> None:
    if not isinstance(document, Mapping):
        raise MalformedDocumentError("a credential must be a JSON object")
    if "@context" not in document:
        raise MalformedDocumentError("credential has no @context")


def hash_data(
    document: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    processor: JsonLdProcessor = _DEFAULT,
) -> bytes:
    """``SHA-256(canonical proof config) || SHA-256(canonical document without proof)``."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {key: value for key, value in proof_options.items() if key != "proofValue"}
    config["@context"] = document["@context"]
    doc_hash = hashlib.sha256(processor.canonicalize(unsecured).encode("utf-8")).digest()
    return _config_hash(config, processor) + doc_hash


# SHA-256 of canonical proof configurations, per processor. A configuration is a handful of
# strings (``created`` has whole seconds), so a busy issuer signs many documents with the
# very same one; its canonical form is a pure function of it and the pinned contexts.
_CONFIG_HASHES: weakref.WeakKeyDictionary[JsonLdProcessor, LRUCache[tuple[Any, ...], bytes]] = (
    weakref.WeakKeyDictionary()
)
_CONFIG_LOCK = threading.Lock()


def _config_key(config: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The configuration as an exact, hashable key; None unless it is strings only (the
    ``@context`` a string or a list of strings), the form :func:`sign` makes."""
    key: list[tuple[str, Any]] = []
    for name, value in config.items():
        if isinstance(value, list) and name == "@context":
            if not all(type(item) is str for item in value):
                return None
            key.append((name, tuple(value)))
        elif type(value) is str:
            key.append((name, value))
        else:
            return None
    return tuple(key)


def _config_hash(config: Mapping[str, Any], processor: JsonLdProcessor) -> bytes:
    key = _config_key(config)
    if key is None:
        return hashlib.sha256(processor.canonicalize(config).encode("utf-8")).digest()
    with _CONFIG_LOCK:
        cache = _CONFIG_HASHES.get(processor)
        if cache is None:
            cache = _CONFIG_HASHES[processor] = LRUCache(maxsize=64)
        digest = cache.get(key)
    if digest is None:
        # Errors (an unsafe value, an unknown context) raise here and are never cached.
        digest = hashlib.sha256(processor.canonicalize(config).encode("utf-8")).digest()
        with _CONFIG_LOCK:
            cache[key] = digest
    return digest


def sign(
    document: Mapping[str, Any],
    key: KeyPair,
    *,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    proof_purpose: str = "assertionMethod",
    processor: JsonLdProcessor = _DEFAULT,
) -> dict[str, Any]:
    """Return a copy of ``document`` with an ``eddsa-rdfc-2022`` proof attached.

    ``verification_method`` defaults to the key's did:key method; ``created`` to now.
    """
    _check_document(document)
    if "proof" in document:
        raise ProofError("document already carries a proof; sign the unsecured document")
    if created is None:
        created = datetime.now(UTC)
    if isinstance(created, datetime):
        created_text = format_datetime(created)
    else:
        try:
            parse_datetime(created)
        except ValueError as exc:
            raise ProofError(f"created: {exc}") from None
        created_text = created
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created_text,
        "verificationMethod": verification_method or key.did_key_verification_method,
        "proofPurpose": proof_purpose,
    }
    signature = key.sign(hash_data(document, options, processor))
    return {**document, "proof": {**options, "proofValue": encode_base58btc(signature)}}


@dataclass
class ProofCheck:
    """The outcome of checking one proof."""

    verified: bool
    verification_method: str | None = None
    controller: str | None = None
    created: str | None = None
    errors: list[str] = field(default_factory=list)
    # Whether the document went through JSON-LD processing (and so passed safe mode).
    document_processed: bool = False


def verify_proof(
    document: Mapping[str, Any],
    resolver: Resolver | None = None,
    *,
    expected_purpose: str = "assertionMethod",
    processor: JsonLdProcessor = _DEFAULT,
) -> ProofCheck:
    """Check the document's ``eddsa-rdfc-2022`` proof (any one valid proof of a set suffices).

    Malformed or unsafe documents raise (they are unusable input); a wrong signature, an
    unresolvable key or a disallowed purpose give ``verified=False`` with the reasons.
    """
    _check_document(document)
    proofs = document.get("proof")
    if proofs is None:
        return ProofCheck(False, errors=["document has no proof"])
    resolver = resolver or default_resolver()
    checks = [
        _verify_one(document, proof, resolver, expected_purpose, processor)
        for proof in (proofs if isinstance(proofs, list) else [proofs])
    ]
    for check in checks:
        if check.verified:
            return check
    if len(checks) == 1:
        return checks[0]
    return ProofCheck(False, errors=[e for check in checks for e in check.errors])


def _verify_one(
    document: Mapping[str, Any],
    proof: Any,
    resolver: Resolver,
    expected_purpose: str,
    processor: JsonLdProcessor,
) -> ProofCheck:
    if not isinstance(proof, Mapping):
        return ProofCheck(False, errors=["proof is not an object"])
    vm = proof.get("verificationMethod")
    check = ProofCheck(False, verification_method=vm if isinstance(vm, str) else None)
    created = proof.get("created")
    check.created = created if isinstance(created, str) else None
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        check.errors.append(
            f"unsupported proof: type {proof.get('type')!r}, cryptosuite "
            f"{proof.get('cryptosuite')!r} (expected {PROOF_TYPE} / {CRYPTOSUITE})"
        )
        return check
    if proof.get("proofPurpose") != expected_purpose:
        check.errors.append(
            f"proofPurpose is {proof.get('proofPurpose')!r}, expected {expected_purpose!r}"
        )
    if created is not None:
        try:
            parse_datetime(created)
        except ValueError as exc:
            check.errors.append(f"proof created: {exc}")
    if not isinstance(vm, str):
        check.errors.append("proof has no verificationMethod")
        return check
    try:
        signature = decode_base58btc(proof.get("proofValue", ""))
    except KeyFormatError:
        signature = b""
    if len(signature) != 64:
        check.errors.append("proofValue is not a base58btc multibase 64-byte Ed25519 signature")
        return check
    try:
        method = resolver.resolve(vm)
    except CredentialError as exc:
        check.errors.append(f"verification method: {exc}")
        return check
    check.controller = method.controller
    if expected_purpose not in method.purposes:
        check.errors.append(
            f"{vm} is not authorised for {expected_purpose} by its controller document"
        )
    data = hash_data(document, proof, processor)
    check.document_processed = True
    if not verify_signature(method.public_key, signature, data):
        check.errors.append("signature does not match the document (altered or wrong key)")
    check.verified = not check.errors
    return check
