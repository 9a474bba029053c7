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
from typing import Any, Literal

from cachetools import LRUCache

from .did import Resolver, default_resolver
from .errors import (
    CredentialError,
    KeyFormatError,
    MalformedDocumentError,
    OrderingConflictError,
    ProofError,
)
from .jsonld import _DEFAULT, JsonLdProcessor
from .limits import json_path
from .multikey import KeyPair, decode_base58btc, encode_base58btc, verify_signature
from .rdfc import ORDERINGS, Ordering, escape_literal

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "ProofCheck",
    "SigningOrdering",
    "conflicting_fields",
    "format_datetime",
    "hash_data",
    "parse_datetime",
    "sign",
    "verify_proof",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"

# Characters whose place differs between code-point and UTF-16 order.
_ORDER_SENSITIVE = re.compile("[\ue000-\uffff\U00010000-\U0010ffff]")

# XML Schema dateTime with an optional time zone, as Data Integrity requires for `created`.
_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, whole seconds (the form credentials carry)."""
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    utc = value.astimezone(UTC)
    if utc.year < 1000:
        # As before for these: strftime's %Y does not pad them to four digits here.
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return utc.isoformat(timespec="seconds")[:19] + "Z"  # half the time of strftime


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


# How a signer orders canonical N-Quads when RDFC-1.0's code-point order and JavaScript's
# UTF-16 order disagree for a document: refuse (the default), or choose one.
SigningOrdering = Literal["refuse", "code-point", "utf-16"]


@dataclass(frozen=True)
class _Forms:
    """SHA-256 of a canonical form in code-point order, and in UTF-16 order if it differs."""

    code_point: bytes
    utf16: bytes | None
    texts: tuple[str, str | None] = ("", None)

    def digest(self, ordering: Ordering) -> bytes:
        return self.utf16 if ordering == "utf-16" and self.utf16 is not None else self.code_point


def _forms(document: Mapping[str, Any], processor: JsonLdProcessor) -> _Forms:
    code_point, utf16 = processor.canonicalize_both(document)
    return _Forms(
        hashlib.sha256(code_point.encode("utf-8")).digest(),
        None if utf16 is None else hashlib.sha256(utf16.encode("utf-8")).digest(),
        (code_point, utf16),
    )


def _unsecured_and_config(
    document: Mapping[str, Any], proof_options: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {key: value for key, value in proof_options.items() if key != "proofValue"}
    config["@context"] = document["@context"]
    return unsecured, config


def hash_data(
    document: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    processor: JsonLdProcessor = _DEFAULT,
    *,
    ordering: Ordering = "code-point",
) -> bytes:
    """``SHA-256(canonical proof config) || SHA-256(canonical document without proof)``,
    with the N-Quads sorted in ``ordering``."""
    unsecured, config = _unsecured_and_config(document, proof_options)
    doc_hash = hashlib.sha256(processor.canonicalize(unsecured, ordering).encode("utf-8")).digest()
    return _config_forms(config, processor).digest(ordering) + doc_hash


# Canonical forms of proof configurations, per processor. A configuration is a handful of
# strings (``created`` has whole seconds), so a busy issuer signs many documents with the
# very same one; its canonical form is a pure function of it and the pinned contexts.
_CONFIG_HASHES: weakref.WeakKeyDictionary[JsonLdProcessor, LRUCache[tuple[Any, ...], _Forms]] = (
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


def _config_forms(config: Mapping[str, Any], processor: JsonLdProcessor) -> _Forms:
    key = _config_key(config)
    if key is None:
        return _forms(config, processor)
    with _CONFIG_LOCK:
        cache = _CONFIG_HASHES.get(processor)
        if cache is None:
            cache = _CONFIG_HASHES[processor] = LRUCache(maxsize=64)
        forms = cache.get(key)
    if forms is None:
        # Errors (an unsafe value, an unknown context) raise here and are never cached.
        forms = _forms(config, processor)
        with _CONFIG_LOCK:
            cache[key] = forms
    return forms


def _signing_data(
    document: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    processor: JsonLdProcessor,
) -> tuple[_Forms, _Forms]:
    unsecured, config = _unsecured_and_config(document, proof_options)
    return _config_forms(config, processor), _forms(unsecured, processor)


def conflicting_fields(document: Mapping[str, Any], code_point: str, utf16: str) -> list[str]:
    """JSON paths of the strings whose statements the two orders place differently."""
    moved = {a for a, b in zip(code_point.splitlines(), utf16.splitlines(), strict=False) if a != b}
    moved_text = "\n".join(moved)
    found: list[str] = []

    def walk(node: Any, parts: tuple[str | int, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, (*parts, str(key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*parts, index))
        elif isinstance(node, str) and _ORDER_SENSITIVE.search(node):
            escaped = escape_literal(node)
            if f'"{escaped}"' in moved_text or f"<{node}>" in moved_text:
                found.append(json_path(parts))

    walk(document, ())
    return found


def sign(
    document: Mapping[str, Any],
    key: KeyPair,
    *,
    verification_method: str | None = None,
    created: datetime | str | None = None,
    proof_purpose: str = "assertionMethod",
    processor: JsonLdProcessor = _DEFAULT,
    ordering: SigningOrdering = "refuse",
) -> dict[str, Any]:
    """Return a copy of ``document`` with an ``eddsa-rdfc-2022`` proof attached.

    ``verification_method`` defaults to the key's did:key method; ``created`` to now.
    When code-point order (RDFC-1.0) and UTF-16 order (JavaScript verifiers) would sort
    the canonical statements differently, ``ordering="refuse"`` raises
    :class:`OrderingConflictError` naming the strings involved; ``"code-point"`` or
    ``"utf-16"`` signs in that order.
    """
    if ordering not in ("refuse", *ORDERINGS):
        raise ProofError(f"ordering must be 'refuse', 'code-point' or 'utf-16', not {ordering!r}")
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
    config_forms, doc_forms = _signing_data(document, options, processor)
    chosen: Ordering = "code-point"
    if config_forms.utf16 is not None or doc_forms.utf16 is not None:
        if ordering == "refuse":
            code_point, utf16 = doc_forms.texts
            fields = conflicting_fields(document, code_point, utf16) if utf16 else []
            raise OrderingConflictError(fields or ["$.proof (the proof options)"])
        chosen = ordering
    signature = key.sign(config_forms.digest(chosen) + doc_forms.digest(chosen))
    return {**document, "proof": {**options, "proofValue": encode_base58btc(signature)}}


@dataclass
class ProofCheck:
    """The outcome of checking one proof."""

    verified: bool
    verification_method: str | None = None
    controller: str | None = None
    created: str | None = None
    errors: list[str] = field(default_factory=list)
    # The N-Quads order the signature was made in ("code-point" per RDFC-1.0, or "utf-16"
    # as JavaScript canonicalizers sort); None unless verified.
    ordering: Ordering | None = None
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
        public_key = method.public_key  # a JsonWebKey or P-256 key signs no such proof
    except CredentialError as exc:
        check.errors.append(f"verification method: {exc}")
        return check
    check.controller = method.controller
    if expected_purpose not in method.purposes:
        check.errors.append(
            f"{vm} is not authorised for {expected_purpose} by its controller document"
        )
    config_forms, doc_forms = _signing_data(document, proof, processor)
    check.document_processed = True
    for ordering in ORDERINGS:
        if ordering == "utf-16" and config_forms.utf16 is None and doc_forms.utf16 is None:
            break  # both orders give the same statements: nothing else to try
        data = config_forms.digest(ordering) + doc_forms.digest(ordering)
        if verify_signature(public_key, signature, data):
            check.ordering = ordering
            break
    if check.ordering is None:
        check.errors.append("signature does not match the document (altered or wrong key)")
    check.verified = not check.errors
    if not check.verified:
        check.ordering = None
    return check
