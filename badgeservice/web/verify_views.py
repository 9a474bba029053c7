"""``/verify``: anyone checks a badge — pasted JSON or VC-JWT, a baked PNG or SVG (either
inside), or the address of one of this service's badges — and reads the same report as
``POST /api/v1/verify``, in words. A plain form POST (with its CSRF token); no JavaScript
needed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api import parse_json
from ..credentials import baking
from ..credentials.errors import CredentialError
from ..credentials.jose import looks_like_compact_jws, parse_vc_jwt
from ..db import get_session
from ..errors import AppError
from ..issuing.models import Credential
from ..organisations.models import Organisation
from ..ratelimit import rate_limited
from ..services import issuer_service
from ..verification.services import credential_at, verify_posted, verify_posted_jwt
from .badges import Verdict, achievement_view, local_path, parse_time, verdict_for
from .base import render_page, web

__all__: list[str] = []

WAYS = ("json", "file", "url")


class _Unusable(Exception):
    """The input cannot be verified: ``message`` for people, ``detail`` from the library."""

    def __init__(self, way: str, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.way = way
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class VerifiedBadge:
    verdict: Verdict
    name: str | None
    issuer_name: str | None
    issued_at: Any
    valid_until: Any
    credential_id: str | None
    page: str | None  # the badge's page on this service, when it is one of ours


@web.get("/verify")
def verify_page() -> ResponseReturnValue:
    """The verify page: three ways to give a badge."""
    return _render()


@web.post("/verify")
@rate_limited("verify", "VERIFY_RATE_LIMIT")
def verify_submit() -> ResponseReturnValue:
    """Verify what the form gave; the answer is the same page with the verdict."""
    way = request.form.get("way", "")
    try:
        given = _document(way)
        try:
            if isinstance(given, str):  # a VC-JWT: the credential is its payload
                document: Any = parse_vc_jwt(given).credential
                report = verify_posted_jwt(get_session(), issuer_service(), given)
            else:
                document = given
                report = verify_posted(get_session(), issuer_service(), given)
        except CredentialError as exc:
            raise _Unusable(
                way, _("This is not a credential that can be verified."), str(exc)
            ) from None
    except _Unusable as problem:
        return _render(status=400, way=problem.way, error=problem, pasted=_pasted(way))
    return _render(result=_summary(get_session(), document, report), way=way)


def _pasted(way: str) -> str:
    text = request.form.get("credential", "") if way == "json" else ""
    return text if len(text) <= 20_000 else ""


def _render(status: int = 200, **context: Any) -> ResponseReturnValue:
    # A service of one organisation dresses the page in its colours, as its front page.
    only = get_session().scalars(select(Organisation).limit(2)).all()
    if len(only) == 1:
        g.organisation = only[0]
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    context.setdefault("way", "")
    context["public_url"] = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    response = render_page("verify.html", status=status, limit_kib=limit // 1024, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _document(way: str) -> Any:
    """The credential given (a JSON object), or a VC-JWT as its compact JWS string."""
    if way == "json":
        text = request.form.get("credential", "").strip()
        if not text:
            raise _Unusable(way, _("Paste the badge's JSON in the box."))
        if looks_like_compact_jws(text):
            return text
        return _json_document(way, text.encode("utf-8"))
    if way == "file":
        upload = request.files.get("image")
        data = upload.read() if upload is not None else b""
        if not data:
            raise _Unusable(way, _("Choose a badge file (PNG, SVG or JSON) to upload."))
        if data.lstrip()[:1] in (b"{", b"["):
            return _json_document(way, data)
        if looks_like_compact_jws(data.decode("utf-8", "replace").strip()):
            return data.decode("utf-8").strip()
        try:
            baked = baking.unbake(data)
        except CredentialError as exc:
            raise _Unusable(
                way, _("No badge was found in this file. Is it a baked badge image?"), str(exc)
            ) from None
        if baked.version == "ob3" and baked.jws is not None:
            return baked.jws
        if baked.credential is None or baked.version == "ob2":
            raise _Unusable(
                way,
                _("The image holds an older kind of badge that this page cannot verify."),
                "the image holds an Open Badges 2.0 assertion; import it on your badges page",
            )
        return baked.credential
    if way == "url":
        url = request.form.get("url", "").strip()
        if not url:
            raise _Unusable(way, _("Give the badge's address."))
        public_url = str(current_app.config["PUBLIC_URL"]).rstrip("/")
        found = credential_at(get_session(), public_url, url)
        if found is None:
            raise _Unusable(
                way,
                _(
                    "That address is not a badge of this service. Only addresses starting "
                    "with %(base)s/credentials/ can be checked here.",
                    base=public_url,
                ),
            )
        return found
    raise _Unusable("", _("Choose one of the three ways to give a badge."))


def _json_document(way: str, raw: bytes) -> Any:
    try:
        data = parse_json(raw)
    except AppError as exc:
        raise _Unusable(way, _("This is not valid JSON."), exc.detail) from None
    if not isinstance(data, Mapping) or "@context" not in data:
        raise _Unusable(way, _("This JSON is not a badge: a credential starts with an @context."))
    return data


def _summary(session: Session, document: Mapping[str, Any], report: Any) -> VerifiedBadge:
    public_url = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    credential_id = document.get("id") if isinstance(document.get("id"), str) else None
    ours = _our_credential(session, public_url, credential_id)
    subject = document.get("credentialSubject")
    achievement = achievement_view(
        subject.get("achievement") if isinstance(subject, Mapping) else None
    )
    issuer = document.get("issuer")
    issuer_name = issuer.get("name") if isinstance(issuer, Mapping) else None
    return VerifiedBadge(
        verdict=verdict_for(report, document, revoked_at=ours.revoked_at if ours else None),
        name=achievement.name if achievement else None,
        issuer_name=issuer_name if isinstance(issuer_name, str) else None,
        issued_at=parse_time(document.get("validFrom")),
        valid_until=parse_time(document.get("validUntil")),
        credential_id=credential_id,
        page=local_path(credential_id, public_url) if ours else None,
    )


def _our_credential(session: Session, public_url: str, url: str | None) -> Credential | None:
    path = local_path(url, public_url)
    if path is None or not path.startswith("/credentials/"):
        return None
    try:
        key = uuid.UUID(path.removeprefix("/credentials/"))
    except ValueError:
        return None
    return session.get(Credential, key)
