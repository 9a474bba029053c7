"""Open Badges 2.0 assertions from other issuers, verified as OB 2.0 says.

A hosted assertion is fetched again from its ``id`` (what the issuer serves now is what
counts), then its BadgeClass and the issuer's Profile. It verifies when the ids agree (the
assertion lives on an origin its issuer allows, the BadgeClass names that issuer), it is not
revoked (``revoked``, or listed in the issuer's ``revocationList``), not expired, and made
out to one of the given e-mail addresses (plain or ``sha256$``/``md5$``-hashed with the
salt). A copy brought in a baked image must equal the hosted one.

A signed assertion (a compact JWS, RS256) verifies with the issuer's ``publicKey`` that its
``verification.creator`` names; other signatures are refused with the reason. Everything is
fetched through the :class:`~.fetch.Fetcher` given, so its policy (HTTPS, the loopback
exception, size and time limits, redirects) applies to every document.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from .errors import CredentialError
from .fetch import Fetcher, FetchError

__all__ = ["OB2_MEDIA_TYPES", "Ob2Badge", "Ob2Error", "verify_ob2"]

OB2_MEDIA_TYPES = frozenset({"application/json", "application/ld+json"})


class Ob2Error(CredentialError):
    """The OB 2.0 assertion does not verify; the message says which check failed."""

    code = "ob2-not-verified"


@dataclass(frozen=True)
class Ob2Badge:
    """A verified OB 2.0 assertion with the BadgeClass and issuer Profile it names."""

    assertion: dict[str, Any]
    badge: dict[str, Any]
    issuer: dict[str, Any]
    signed: bool

    @property
    def id(self) -> str:
        return str(self.assertion["id"])


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _types(document: dict[str, Any]) -> set[str]:
    found = document.get("type")
    values = found if isinstance(found, list) else [found]
    return {value.rsplit(":", 1)[-1] for value in values if isinstance(value, str)}


def _fetch(fetcher: Fetcher, url: str, what: str) -> dict[str, Any]:
    try:
        return fetcher.get_json(url, OB2_MEDIA_TYPES)
    except FetchError as exc:
        if "HTTP 410" in str(exc):
            raise Ob2Error(f"the {what} at {url} is gone (HTTP 410): revoked") from None
        raise Ob2Error(f"the {what} could not be fetched: {exc}") from None


def _linked(fetcher: Fetcher, value: Any, what: str) -> dict[str, Any]:
    """A document given by its URL (fetched) or embedded."""
    if isinstance(value, dict):
        return value
    url = _text(value)
    if url is None:
        raise Ob2Error(f"the assertion names no {what}")
    return _fetch(fetcher, url, what)


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        return (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")
    except ValueError:  # a malformed port: no origin at all
        return ""


def _parse_time(value: Any, what: str) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Ob2Error(f"{what} is not a date and time: {text!r}") from None
    if when.tzinfo is None:
        raise Ob2Error(f"{what} has no time zone: {text!r}")
    return when


def _recipient_matches(recipient: Any, emails: Iterable[str]) -> bool:
    if not isinstance(recipient, dict) or recipient.get("type", "email") != "email":
        return False
    identity = _text(recipient.get("identity"))
    if identity is None:
        return False
    candidates = {email.strip() for email in emails if email and email.strip()}
    candidates |= {email.lower() for email in candidates}
    if not recipient.get("hashed"):
        return identity.strip().lower() in {email.lower() for email in candidates}
    algorithm, _sep, expected = identity.partition("$")
    if algorithm.lower() not in ("sha256", "md5") or not expected:
        return False
    salt = recipient.get("salt")
    salt = salt if isinstance(salt, str) else ""
    for email in candidates:
        digest = hashlib.new(algorithm.lower(), (email + salt).encode("utf-8")).hexdigest()
        if hmac.compare_digest(digest, expected.lower()):
            return True
    return False


def _revoked_in_list(fetcher: Fetcher, issuer: dict[str, Any], assertion: dict[str, Any]) -> str:
    url = _text(issuer.get("revocationList"))
    if url is None:
        return ""
    listing = _fetch(fetcher, url, "revocation list")
    entries = listing.get("revokedAssertions")
    for entry in entries if isinstance(entries, list) else []:
        key = entry.get("id") or entry.get("uid") if isinstance(entry, dict) else entry
        if key is not None and key in (assertion.get("id"), assertion.get("uid")):
            reason = entry.get("revocationReason") if isinstance(entry, dict) else None
            return reason if isinstance(reason, str) else "no reason given"
    return ""


def _signed_assertion(fetcher: Fetcher, token: str) -> tuple[dict[str, Any], str]:
    """The assertion in a signed OB 2.0 badge, its signature checked with the key its
    ``verification.creator`` names; and that key's owner."""
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
        payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    except (ValueError, IndexError, RecursionError):
        raise Ob2Error("the signed assertion is not a readable JWS") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise Ob2Error("the signed assertion is not a readable JWS")
    if header.get("alg") != "RS256":
        raise Ob2Error(
            f"the assertion is signed with {header.get('alg')!r}; only RS256 signed "
            "OB 2.0 badges are verified here"
        )
    verification = payload.get("verification")
    creator = _text(verification.get("creator")) if isinstance(verification, dict) else None
    if creator is None:
        raise Ob2Error("the signed assertion names no key (verification.creator)")
    key_document = _fetch(fetcher, creator, "public key")
    pem = _text(key_document.get("publicKeyPem"))
    if pem is None:
        raise Ob2Error(f"the key at {creator} has no publicKeyPem")
    try:
        key = RSAKey.import_key(pem)
        jws.deserialize_compact(token, key, algorithms=["RS256"])
    except (JoseError, ValueError, TypeError) as exc:
        raise Ob2Error(f"the signature does not verify: {exc}") from None
    owner = _text(key_document.get("owner")) or ""
    return payload, owner


def verify_ob2(
    source: str | dict[str, Any],
    fetcher: Fetcher,
    emails: Iterable[str],
    *,
    now: datetime,
) -> Ob2Badge:
    """Verify an OB 2.0 assertion: ``source`` is its URL, the assertion as a baked image
    carried it (a dict), or a signed one (a compact JWS). Raises: :class:`Ob2Error` naming
    the check that failed."""
    key_owner = None
    if isinstance(source, dict):
        url = _text(source.get("id"))
        if url is None or not url.startswith(("https://", "http://")):
            raise Ob2Error("the baked assertion has no URL id to verify it at")
        assertion = _fetch(fetcher, url, "assertion")
        if assertion != source:
            raise Ob2Error("the baked assertion differs from the one its issuer hosts")
    elif source.count(".") == 2 and not source.startswith(("https://", "http://")):
        assertion, key_owner = _signed_assertion(fetcher, source)
        url = _text(assertion.get("id")) or ""
    else:
        url = source
        assertion = _fetch(fetcher, url, "assertion")
    if "Assertion" not in _types(assertion):
        raise Ob2Error("the document is not an Open Badges 2.0 Assertion")
    verification = assertion.get("verification")
    kind = verification.get("type") if isinstance(verification, dict) else None
    signed = key_owner is not None
    if signed != (kind in ("signed", "SignedBadge")):
        raise Ob2Error(f"the assertion's verification type {kind!r} does not fit how it came")
    if not signed and assertion.get("id") != url:
        raise Ob2Error(f"the assertion at {url} has the id {assertion.get('id')!r}")
    badge = _linked(fetcher, assertion.get("badge"), "BadgeClass")
    issuer = _linked(fetcher, badge.get("issuer"), "issuer Profile")
    issuer_id = _text(issuer.get("id"))
    if issuer_id is None or (isinstance(badge.get("issuer"), str) and badge["issuer"] != issuer_id):
        raise Ob2Error("the BadgeClass and the issuer Profile do not name the same issuer")
    if signed:
        if key_owner != issuer_id:
            raise Ob2Error("the signing key does not belong to the badge's issuer")
    else:
        policy = issuer.get("verification")
        allowed = policy.get("allowedOrigins") if isinstance(policy, dict) else None
        origins = allowed if isinstance(allowed, list) else [_origin(issuer_id)]
        if _origin(url) not in origins:
            raise Ob2Error(f"the assertion is hosted outside its issuer's origin {origins}")
    if assertion.get("revoked") is True:
        reason = assertion.get("revocationReason")
        raise Ob2Error(f"revoked: {reason if isinstance(reason, str) else 'no reason given'}")
    listed = _revoked_in_list(fetcher, issuer, assertion)
    if listed:
        raise Ob2Error(f"revoked in the issuer's revocation list: {listed}")
    expires = _parse_time(assertion.get("expires"), "expires")
    if expires is not None and expires <= now:
        raise Ob2Error(f"expired on {expires.isoformat()}")
    if not _recipient_matches(assertion.get("recipient"), emails):
        raise Ob2Error("the badge was made out to someone else (no e-mail address of yours)")
    return Ob2Badge(assertion, badge, issuer, signed)
