"""Verifying a badge a learner brings on their badges page: a baked PNG or SVG, a VC-JWT,
JSON, or the address of one; Open Badges 3.0 credentials, and OB 2.0 assertions made out to
one of the learner's e-mail addresses. What the badge names (keys, status lists, the hosted
assertion, its BadgeClass and issuer) is fetched by the import sources' fetcher, under the
egress policy."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..credentials import baking
from ..credentials.errors import CredentialError
from ..credentials.fetch import FetchError
from ..credentials.jose import looks_like_compact_jws, parse_vc_jwt
from ..credentials.ob2 import verify_ob2
from ..credentials.verify import verify_credential, verify_vc_jwt
from ..errors import BadRequest
from ..verification.services import ImportSources
from .holdings import VerifiedUpload

__all__ = ["URL_MEDIA_TYPES", "verify_address", "verify_upload"]

# What an address given for import may answer with: a credential (JSON or VC-JWT), an
# OB 2.0 assertion, or a baked image.
URL_MEDIA_TYPES = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/vc",
        "application/vc+ld+json",
        "application/vc+jwt",
        "application/jwt",
        "text/plain",
        "image/png",
        "image/svg+xml",
    }
)
_OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def _is_ob2(document: Any) -> bool:
    """An OB 2.0 assertion: the OB 2.0 context and no other version's."""
    if not isinstance(document, dict):
        return False
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return _OB2_CONTEXT in contexts or "openbadges/v2" in str(context)


def _jws_payload(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    except (ValueError, IndexError, RecursionError):
        return None


def _verify_ob2(
    source: str | dict[str, Any],
    text: str | None,
    sources: ImportSources,
    emails: list[str],
    now: datetime,
) -> VerifiedUpload:
    try:
        badge = verify_ob2(source, sources.fetcher, emails, now=now)
    except CredentialError as exc:
        raise BadRequest(f"the Open Badges 2.0 badge does not verify: {exc}") from None
    if text is None:
        text = (
            source
            if isinstance(source, str) and badge.signed
            else json.dumps(badge.assertion, ensure_ascii=False, separators=(",", ":"))
        )
    issuer = badge.issuer.get("id")
    return VerifiedUpload(
        text,
        badge.id,
        issuer if isinstance(issuer, str) else None,
        version="ob2",
        details={"badge": badge.badge, "issuer": badge.issuer},
    )


def _verify_ob3(text: str, document: dict[str, Any], sources: ImportSources) -> VerifiedUpload:
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not credential_id.strip():
        raise BadRequest("the credential has no id")
    try:
        if looks_like_compact_jws(text):
            report = verify_vc_jwt(text, resolver=sources, status_source=sources)
        else:
            report = verify_credential(document, resolver=sources, status_source=sources)
    except CredentialError as exc:
        raise BadRequest(f"the credential is not usable: {exc}") from None
    if not report.verified:
        raise BadRequest("the badge does not verify: " + "; ".join(report.errors))
    return VerifiedUpload(text, credential_id, report.issuer)


def _verify_text(
    data: bytes, sources: ImportSources, emails: list[str], now: datetime
) -> VerifiedUpload:
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadRequest("the file is not a badge image, a VC-JWT or JSON") from None
    if looks_like_compact_jws(text):
        if _is_ob2(_jws_payload(text)):
            return _verify_ob2(text, text, sources, emails, now)
        try:
            return _verify_ob3(text, parse_vc_jwt(text).credential, sources)
        except CredentialError as exc:
            raise BadRequest(str(exc)) from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("the file is not a badge image, a VC-JWT or JSON") from None
    if not isinstance(document, dict) or "@context" not in document:
        raise BadRequest("the file holds no credential (a JSON-LD object)")
    if _is_ob2(document):
        return _verify_ob2(document, text, sources, emails, now)
    return _verify_ob3(text, document, sources)


def verify_upload(
    data: bytes, sources: ImportSources, emails: list[str], *, now: datetime
) -> VerifiedUpload:
    """Verify a badge a learner brings (a baked image, a VC-JWT, JSON; OB 3.0, or OB 2.0
    made out to one of ``emails``), what it names fetched by ``sources``. Raises:
    BadRequest naming what is wrong, the failed checks included."""
    if not (data.startswith(b"\x89PNG") or data.lstrip().startswith(b"<")):
        return _verify_text(data, sources, emails, now)
    try:
        baked = baking.unbake(data)
        media_type = "image/png" if baking.sniff(data) == "png" else "image/svg+xml"
    except CredentialError as exc:
        raise BadRequest(f"image: {exc}") from None
    if baked.version == "ob2":
        text = baked.text.strip()
        source: str | dict[str, Any] = baked.credential or baked.jws or text
        upload = _verify_ob2(source, text if baked.credential else None, sources, emails, now)
    elif baked.jws is not None:
        upload = _verify_text(baked.jws.encode("utf-8"), sources, emails, now)
    else:
        assert baked.credential is not None
        upload = _verify_ob3(baked.text, baked.credential, sources)
    return replace(upload, original=data, original_type=media_type)


def verify_address(
    url: str, sources: ImportSources, emails: list[str], *, now: datetime
) -> VerifiedUpload:
    """Verify the badge at ``url``: an OB 3.0 credential (JSON or VC-JWT), an OB 2.0 hosted
    assertion or a baked image, fetched by the fetcher's policy (HTTPS, size and time
    limits, these media types). Raises: BadRequest saying why."""
    try:
        _final, media_type, body = sources.fetcher.get_typed(url, URL_MEDIA_TYPES)
    except FetchError as exc:
        raise BadRequest(f"the address could not be fetched: {exc}") from None
    if media_type in ("application/json", "application/ld+json"):
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise BadRequest("the address answered with something that is not JSON") from None
        if _is_ob2(document):
            return _verify_ob2(url, None, sources, emails, now)
    return verify_upload(body, sources, emails, now=now)
