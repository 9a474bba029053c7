"""The public pages of badges, achievements and issuers: the same URLs machines resolve,
drawn as pages when a browser asks for HTML (content negotiation). Machines keep getting
the JSON documents unchanged."""

from __future__ import annotations

from typing import Any

from flask import Request, Response, current_app, g, request
from sqlalchemy import select

from ..achievements.models import Achievement, AchievementVersion
from ..db import get_session
from ..issuers.models import Issuer
from ..organisations.models import Organisation
from ..services import issuer_service
from .badges import achievement_view, local_path
from .base import render_page

__all__ = ["achievement_page", "issuer_page", "page", "prefers_html", "public_url"]

# The media types the public documents are served as (a credential also as its VC-JWT);
# a browser asks for text/html first.
_DOCUMENT_TYPES = (
    "application/ld+json",
    "application/vc+ld+json",
    "application/json",
    "application/vc+jwt",
    "text/plain",
)


def prefers_html(req: Request | None = None) -> bool:
    """Whether the client asks for a page: ``text/html`` ranked above every document type.
    ``*/*``, no Accept header and the document types themselves get the document."""
    accept = (req or request).accept_mimetypes
    if not accept.provided:
        return False
    html = accept["text/html"]
    return html > 0 and html > max(accept[kind] for kind in _DOCUMENT_TYPES)


def page(template: str, organisation: Organisation, status: int = 200, **context: Any) -> Response:
    g.organisation = organisation
    response = render_page(template, status=status, **context)
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    # Verified live and drawn per visitor (language, session): never from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def public_url() -> str:
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def achievement_page(
    achievement: Achievement, version: AchievementVersion, document: dict[str, Any], url: str
) -> Response:
    """An achievement (one version, or the current one): what it is, how to earn it."""
    session = get_session()
    organisation = session.get(Organisation, achievement.organisation_id)
    issuer = session.get(Issuer, achievement.issuer_id)
    assert organisation is not None
    assert issuer is not None
    view = achievement_view(document)
    assert view is not None
    current = achievement.current
    return page(
        "achievement.html",
        organisation,
        achievement=view,
        image_src=local_path(view.image, public_url()),
        issuer=issuer,
        issuer_page=local_path(issuer_service().base_url(issuer), public_url()),
        achievement_version=version,
        current=current,
        current_page=local_path(f"{document['id']}", public_url()),
        json_url=url,
        canonical=url,
    )


def issuer_page(issuer: Issuer) -> Response:
    """The issuer's profile: who they are, their badges, the key that proves them."""
    session = get_session()
    service = issuer_service()
    organisation = session.get(Organisation, issuer.organisation_id)
    assert organisation is not None
    achievements = session.scalars(
        select(Achievement).where(Achievement.issuer_id == issuer.id).order_by(Achievement.slug)
    ).all()
    badges = [
        (a.current.name, f"/achievements/{organisation.slug}/{a.slug}")
        for a in achievements
        if a.versions
    ]
    badges.sort(key=lambda pair: pair[0].casefold())
    base = service.base_url(issuer)
    return page(
        "issuer.html",
        organisation,
        issuer=issuer,
        did=service.did(issuer),
        did_document=local_path(f"{base}/did.json", public_url()),
        badges=badges,
        json_url=base,
        canonical=base,
    )
