"""DID identities for issuers: did:key, did:web documents, and verification-method lookup.

A verification method is a Multikey (``publicKeyMultibase``: the Ed25519 keys of Data
Integrity proofs) or a ``JsonWebKey`` (``publicKeyJwk``: the keys of VC-JWTs).

Resolution is behind the :class:`Resolver` protocol and never uses the network here: a
did:key resolves from the DID itself, and did:web (or any controller document) resolves
from documents the caller supplies — the web service serves its own, a verifier passes
what it fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .contexts import DID_V1, MULTIKEY_V1
from .errors import KeyFormatError, ResolutionError
from .multikey import decode_p256_public_key, decode_public_key

__all__ = [
    "ChainResolver",
    "DidKeyResolver",
    "DocumentResolver",
    "Resolver",
    "VerificationMethod",
    "default_resolver",
    "did_key_document",
    "did_web_document",
    "did_web_from_url",
    "did_web_to_url",
]

# JsonWebKey (the controlled identifiers vocabulary) and its older name.
_JWK_TYPES = ("JsonWebKey", "JsonWebKey2020")

RELATIONSHIPS = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
)


@dataclass(frozen=True)
class VerificationMethod:
    """A resolved public key and what its controller allows it to be used for."""

    id: str
    controller: str
    public_key_multibase: str
    purposes: frozenset[str]
    # A JsonWebKey method's public JWK (then ``public_key_multibase`` is empty).
    public_key_jwk: Mapping[str, Any] | None = None

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The Ed25519 key of a Multikey. Raises: KeyFormatError for any other key."""
        if self.public_key_jwk is not None:
            raise KeyFormatError(f"{self.id} is a JsonWebKey, not an Ed25519 Multikey")
        return decode_public_key(self.public_key_multibase)


class Resolver(Protocol):
    """Finds the verification method a proof names."""

    def resolve(self, verification_method: str) -> VerificationMethod:
        """Return the method or raise :class:`ResolutionError`."""
        ...


def did_key_document(public_key_multibase: str) -> dict[str, Any]:
    """The DID document of a did:key (Ed25519 Multikey)."""
    decode_public_key(public_key_multibase)
    did = f"did:key:{public_key_multibase}"
    vm_id = f"{did}#{public_key_multibase}"
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public_key_multibase,
            }
        ],
        **{relationship: [vm_id] for relationship in RELATIONSHIPS},
    }


class DidKeyResolver:
    """Resolves ``did:key:z6Mk…#z6Mk…`` (Ed25519) and ``did:key:zDn…#zDn…`` (P-256, which
    only VC-JWTs use) from the identifier alone."""

    def resolve(self, verification_method: str) -> VerificationMethod:
        return _did_key_method(verification_method)


@lru_cache(maxsize=1024)
def _did_key_method(verification_method: str) -> VerificationMethod:
    # Cached: the method follows from the identifier alone, and a verifier meets the same
    # few issuer keys again and again (refusals raise and are not cached).
    did, _, fragment = verification_method.partition("#")
    if not did.startswith("did:key:"):
        raise ResolutionError(f"not a did:key: {verification_method!r}")
    multibase = did.removeprefix("did:key:")
    if fragment and fragment != multibase:
        raise ResolutionError(f"did:key fragment does not name its key: {verification_method!r}")
    try:
        decode_public_key(multibase)
    except KeyFormatError as exc:
        try:
            decode_p256_public_key(multibase)
        except KeyFormatError:
            raise ResolutionError(f"did:key {did!r}: {exc}") from None
    return VerificationMethod(
        id=f"{did}#{multibase}",
        controller=did,
        public_key_multibase=multibase,
        purposes=frozenset(RELATIONSHIPS),
    )


def did_web_from_url(base_url: str) -> str:
    """The did:web DID of a base URL: ``https://host:port/a/b`` → ``did:web:host%3Aport:a:b``."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ResolutionError(f"did:web needs an http(s) URL with a host, got {base_url!r}")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    segments = [quote(host, safe="")]
    segments += [quote(unquote(s), safe="") for s in parts.path.split("/") if s]
    return "did:web:" + ":".join(segments)


def did_web_to_url(did: str) -> str:
    """Where a did:web document lives (``…/did.json`` or ``/.well-known/did.json``)."""
    if not did.startswith("did:web:") or "#" in did:
        raise ResolutionError(f"not a did:web DID: {did!r}")
    segments = [unquote(s) for s in did.removeprefix("did:web:").split(":")]
    if not segments[0]:
        raise ResolutionError(f"did:web without a host: {did!r}")
    host, path = segments[0], segments[1:]
    scheme = "http" if host.split(":")[0] in ("localhost", "127.0.0.1") else "https"
    if not path:
        return f"{scheme}://{host}/.well-known/did.json"
    return f"{scheme}://{host}/" + "/".join(quote(p) for p in path) + "/did.json"


def did_web_document(
    did: str,
    keys: Sequence[tuple[str, str]],
    *,
    assertion_keys: Iterable[str] | None = None,
    jwks: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> dict[str, Any]:
    """A did:web document listing ``keys`` as (fragment, publicKeyMultibase) Multikeys and
    ``jwks`` as (fragment, public JWK) ``JsonWebKey`` methods (the VC-JWT keys).

    All keys stay listed (old keys keep old credentials verifiable); ``assertion_keys``
    names the fragments allowed for ``assertionMethod`` (default: all). Ids are absolute
    DID URLs and relationships are plain strings, as strict validators require.
    """
    if not did.startswith("did:web:"):
        raise ResolutionError(f"not a did:web DID: {did!r}")
    methods: list[dict[str, Any]] = []
    for fragment, multibase in keys:
        decode_public_key(multibase)
        methods.append(
            {
                "id": f"{did}#{fragment}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multibase,
            }
        )
    for fragment, jwk in jwks:
        if "d" in jwk:
            raise KeyFormatError(f"the JWK {fragment!r} holds a private key")
        methods.append(
            {
                "id": f"{did}#{fragment}",
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": dict(jwk),
            }
        )
    fragments = [f for f, _ in keys] + [f for f, _ in jwks]
    allowed = set(assertion_keys) if assertion_keys is not None else set(fragments)
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [f"{did}#{f}" for f in fragments if f in allowed],
        "authentication": [f"{did}#{f}" for f in fragments if f in allowed],
    }


class DocumentResolver:
    """Resolves verification methods from supplied controller documents (DID or HTTPS)."""

    def __init__(self, documents: Iterable[Mapping[str, Any]] = ()) -> None:
        self._documents: dict[str, Mapping[str, Any]] = {}
        for document in documents:
            self.add(document)

    def add(self, document: Mapping[str, Any]) -> None:
        """Register a controller document under its ``id``."""
        doc_id = document.get("id") if isinstance(document, Mapping) else None
        if not isinstance(doc_id, str) or not doc_id:
            raise ResolutionError("controller document has no string 'id'")
        self._documents[doc_id] = document

    def resolve(self, verification_method: str) -> VerificationMethod:
        controller_id, _, fragment = verification_method.partition("#")
        document = self._documents.get(controller_id)
        if document is None:
            raise ResolutionError(f"no controller document for {verification_method!r}")
        for method in _as_list(document.get("verificationMethod")):
            if not isinstance(method, Mapping):
                continue
            if _absolute(method.get("id"), controller_id) == verification_method:
                return self._method(document, controller_id, method, verification_method)
        raise ResolutionError(
            f"{controller_id!r} lists no verification method {verification_method!r}"
            + ("" if fragment else " (no fragment)")
        )

    @staticmethod
    def _method(
        document: Mapping[str, Any], controller_id: str, method: Mapping[str, Any], vm_id: str
    ) -> VerificationMethod:
        jwk = None
        multibase = method.get("publicKeyMultibase")
        if method.get("type") in _JWK_TYPES:
            jwk = method.get("publicKeyJwk")
            if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kty"), str):
                raise ResolutionError(f"{vm_id!r} has no publicKeyJwk")
            if "d" in jwk:
                raise ResolutionError(f"{vm_id!r} publishes a private key (publicKeyJwk has d)")
            multibase = ""
        elif method.get("type") != "Multikey":
            raise ResolutionError(
                f"{vm_id!r} is of type {method.get('type')!r}, not Multikey or JsonWebKey"
            )
        elif not isinstance(multibase, str):
            raise ResolutionError(f"{vm_id!r} has no publicKeyMultibase")
        else:
            try:
                decode_public_key(multibase)
            except KeyFormatError as exc:
                raise ResolutionError(f"{vm_id!r}: {exc}") from None
        purposes = set()
        for relationship in RELATIONSHIPS:
            for entry in _as_list(document.get(relationship)):
                ref = entry.get("id") if isinstance(entry, Mapping) else entry
                if _absolute(ref, controller_id) == vm_id:
                    purposes.add(relationship)
        controller = method.get("controller")
        return VerificationMethod(
            id=vm_id,
            controller=controller if isinstance(controller, str) else "",
            public_key_multibase=multibase,
            purposes=frozenset(purposes),
            public_key_jwk=jwk,
        )


class ChainResolver:
    """Tries resolvers in order; the first that knows the method answers."""

    def __init__(self, *resolvers: Resolver) -> None:
        self._resolvers = resolvers

    def resolve(self, verification_method: str) -> VerificationMethod:
        reasons = []
        for resolver in self._resolvers:
            try:
                return resolver.resolve(verification_method)
            except ResolutionError as exc:
                reasons.append(str(exc))
        raise ResolutionError("; ".join(reasons) or f"cannot resolve {verification_method!r}")


def default_resolver(documents: Iterable[Mapping[str, Any]] = ()) -> Resolver:
    """did:key plus the supplied controller documents."""
    return ChainResolver(DocumentResolver(documents), DidKeyResolver())


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _absolute(ref: Any, controller_id: str) -> str | None:
    if not isinstance(ref, str):
        return None
    return controller_id + ref if ref.startswith("#") else ref
