"""Recipient identification for Open Badges 3.0: IdentityObject and IdentityHash.

An IdentityHash is ``<algorithm>$<hex digest>`` over the UTF-8 bytes of the identifier
immediately followed by the salt (OB 3.0, IdentityHash). Credentials are issued with
``sha256`` only; ``md5`` is understood when checking credentials issued elsewhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import MalformedDocumentError

__all__ = [
    "IDENTIFIER_TYPES",
    "IdentityObject",
    "hash_identity",
    "identity_matches",
    "normalize_email",
]

IDENTIFIER_TYPES = frozenset(
    {
        "name",
        "sourcedId",
        "systemId",
        "productId",
        "userName",
        "accountId",
        "emailAddress",
        "nationalIdentityNumber",
        "isbn",
        "issn",
        "lisSourcedId",
        "oneRosterSourcedId",
        "sisSourcedId",
        "ltiContextId",
        "ltiDeploymentId",
        "ltiToolId",
        "ltiPlatformId",
        "ltiUserId",
        "identifier",
    }
)
"""IdentifierTypeEnum of OB 3.0; anything else must be an ``ext:`` extension term."""

# The schema's own pattern is unanchored, so it would accept "fooext:x"; be stricter.
_EXT_TERM = re.compile(r"ext:[A-Za-z0-9._-]+")
_DIGEST_HEX_LENGTH = {"sha256": 64, "md5": 32}
_HEX = re.compile(r"[0-9A-Fa-f]+")
_SALT_BYTES = 16


def _digest(algorithm: str, data: str) -> str:
    if algorithm == "sha256":
        return hashlib.sha256(data.encode("utf-8")).hexdigest()
    # MD5 is only ever used to compare against hashes someone else already published.
    return hashlib.md5(data.encode("utf-8"), usedforsecurity=False).hexdigest()


def hash_identity(identifier: str, salt: str, algorithm: str = "sha256") -> str:
    """Return the IdentityHash ``sha256$<hex>`` of UTF-8(``identifier`` + ``salt``).

    An empty ``salt`` gives the unsalted hash. Only ``sha256`` is accepted: MD5 hashes of
    e-mail addresses are trivially reversible, so this service never issues them.
    """
    if algorithm != "sha256":
        raise ValueError(f"unsupported IdentityHash algorithm for issuing: {algorithm!r}")
    return f"sha256${_digest('sha256', identifier + salt)}"


def normalize_email(email: str) -> str:
    """Strip and lowercase an e-mail address so issuer and verifier hash the same text."""
    normalized = email.strip().lower()
    local, at, domain = normalized.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in normalized):
        raise MalformedDocumentError(f"not an e-mail address: {email!r}")
    return normalized


def _check_identity_type(identity_type: str) -> None:
    if identity_type not in IDENTIFIER_TYPES and not _EXT_TERM.fullmatch(identity_type):
        raise MalformedDocumentError(
            f"identityType {identity_type!r} is neither an IdentifierTypeEnum value "
            "nor an 'ext:' extension term"
        )


def _split_hash(identity_hash: str) -> tuple[str, str]:
    algorithm, sep, digest = identity_hash.partition("$")
    algorithm = algorithm.lower()
    expected = _DIGEST_HEX_LENGTH.get(algorithm)
    if not sep or expected is None or len(digest) != expected or not _HEX.fullmatch(digest):
        raise MalformedDocumentError(
            f"identityHash {identity_hash!r} is not '<sha256|md5>$<hex digest>'"
        )
    return algorithm, digest.lower()


@dataclass(frozen=True)
class IdentityObject:
    """One recipient identifier (``credentialSubject.identifier`` entry).

    With ``hashed`` true, ``identity_hash`` is an IdentityHash and ``salt`` the salt used
    (None means unsalted); with ``hashed`` false it is the plaintext identifier.
    """

    identity_type: str
    identity_hash: str
    hashed: bool = True
    salt: str | None = None

    def __post_init__(self) -> None:
        _check_identity_type(self.identity_type)
        if self.hashed:
            _split_hash(self.identity_hash)
        elif self.salt is not None:
            raise MalformedDocumentError("a salt only makes sense for a hashed identity")
        elif not self.identity_hash.strip():
            raise MalformedDocumentError("plaintext identity must not be empty")

    @classmethod
    def hashed_value(
        cls, identity_type: str, value: str, salt: str | None = None
    ) -> IdentityObject:
        """Hash ``value`` as-is; ``salt=None`` draws a fresh random salt, ``""`` means none.

        A fresh salt per credential stops anyone linking a learner's credentials by
        comparing hashes, and defeats precomputed tables of common e-mail addresses.
        """
        if not value:
            raise MalformedDocumentError(f"empty {identity_type} cannot identify a recipient")
        if salt is None:
            salt = secrets.token_hex(_SALT_BYTES)
        return cls(
            identity_type=identity_type,
            identity_hash=hash_identity(value, salt),
            hashed=True,
            salt=salt or None,
        )

    @classmethod
    def hashed_email(cls, email: str, salt: str | None = None) -> IdentityObject:
        """A salted hash of the normalised (stripped, lowercased) e-mail address."""
        return cls.hashed_value("emailAddress", normalize_email(email), salt)

    @classmethod
    def hashed_employee_number(cls, number: str, salt: str | None = None) -> IdentityObject:
        """A salted hash of an employee number (surrounding whitespace removed).

        ``sourcedId`` is the IdentifierTypeEnum value for "the identifier of this record
        in its source system", and the HR system is the system of record that assigns
        employee numbers. ``identifier`` would also be legal but tells a verifier nothing
        about where the value comes from; an ``ext:employeeNumber`` term would only be
        understood by our own HR register. Case is kept: some HR systems distinguish it.
        """
        return cls.hashed_value("sourcedId", number.strip(), salt)

    def to_json(self) -> dict[str, Any]:
        """The JSON form, with ``type`` a single string as the data model defines it."""
        out: dict[str, Any] = {
            "type": "IdentityObject",
            "identityType": self.identity_type,
            "hashed": self.hashed,
            "identityHash": self.identity_hash,
        }
        if self.salt:
            out["salt"] = self.salt
        return out


def identity_matches(
    identity: Mapping[str, Any], plaintext: str, *, identity_type: str | None = None
) -> bool:
    """Does ``plaintext`` identify the recipient described by one IdentityObject?

    ``identity`` is the JSON object from a credential. With ``identity_type`` given, an
    entry of another type never matches (the verifier skips it, per the spec).
    For ``emailAddress`` entries the normalised address is tried as well, because the
    spec does not say how issuers should normalise before hashing.
    Raises :class:`MalformedDocumentError` when the entry cannot be evaluated at all.
    """
    if not isinstance(identity, Mapping):
        raise MalformedDocumentError("IdentityObject must be a JSON object")
    stored_type = identity.get("identityType")
    stored = identity.get("identityHash")
    hashed = identity.get("hashed")
    salt = identity.get("salt", "")
    if not isinstance(stored, str) or not isinstance(hashed, bool):
        raise MalformedDocumentError("IdentityObject needs string identityHash, boolean hashed")
    if not isinstance(salt, str):
        raise MalformedDocumentError("IdentityObject salt must be a string")
    if identity_type is not None and stored_type != identity_type:
        return False

    candidates = [plaintext]
    if stored_type == "emailAddress":
        with contextlib.suppress(MalformedDocumentError):
            candidates.append(normalize_email(plaintext))
    if not hashed:
        if stored_type == "emailAddress":
            stored = stored.strip().lower()
        return any(hmac.compare_digest(c.encode(), stored.encode()) for c in candidates)

    algorithm, digest = _split_hash(stored)
    return any(
        hmac.compare_digest(_digest(algorithm, candidate + salt), digest)
        for candidate in candidates
    )
