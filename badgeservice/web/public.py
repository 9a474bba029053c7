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
from ..issuing.models import Credential
from ..organisations.models import Organisation
from ..people.models import Person
from ..services import issuer_service
from ..sharing import get_sharing
from ..verification.services import verify_posted
from .badges import achievement_view, local_path, parse_time, verdict_for
from .base import render_page
from .session import visitor_for

__all__ = ["achievement_page", "credential_page", "issuer_page", "prefers_html"]

# The media types the public documents are served as; a browser asks for text/html first.
_DOCUMENT_TYPES = ("application/ld+json", "application/vc+ld+json", "application/json")


def prefers_html(req: Request | None = None) -> bool:
    """Whether the client asks for a page: ``text/html`` ranked above every JSON type.
    ``*/*``, no Accept header and the JSON types themselves get the document."""
    accept = (req or request).accept_mimetypes
    if not accept.provided:
        return False
    html = accept["text/html"]
    return html > 0 and html > max(accept[kind] for kind in _DOCUMENT_TYPES)


def _page(template: str, organisation: Organisation, status: int = 200, **context: Any) -> Response:
    g.organisation = organisation
    response = render_page(template, status=status, **context)
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    # Verified live and drawn per visitor (language, session): never from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _public_url() -> str:
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def credential_page(credential: Credential) -> Response:
    """The badge page: the badge, its earner if they allowed it, and a verification done
    now. A badge its holder has not shared shows only that (404), except to the holder."""
    session = get_session()
    organisation = session.get(Organisation, credential.organisation_id)
    assert organisation is not None
    sharing = get_sharing(session, credential)
    visitor = visitor_for(organisation)
    own = visitor is not None and visitor.person.id == credential.person_id
    url = f"{_public_url()}/credentials/{credential.id}"
    if not sharing.public and not own:
        return _page("badge_private.html", organisation, 404, json_url=url)
    document = credential.document
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = achievement_view(subject.get("achievement"))
    issuer = session.get(Issuer, credential.issuer_id)
    assert issuer is not None
    report = verify_posted(session, issuer_service(), document)
    verdict = verdict_for(report, document, revoked_at=credential.revoked_at)
    earner = None
    if sharing.show_name:
        person = session.get(Person, credential.person_id)
        earner = person.display_name if person is not None else None
    return _page(
        "badge.html",
        organisation,
        achievement=achievement,
        image_src=local_path(achievement.image if achievement else None, _public_url()),
        issuer=issuer,
        issuer_page=local_path(issuer_service().base_url(issuer), _public_url()),
        achievement_page=local_path(achievement.id if achievement else None, _public_url()),
        issued_at=parse_time(document.get("validFrom")) or credential.issued_at,
        valid_until=parse_time(document.get("validUntil")),
        earner=earner,
        verdict=verdict,
        json_url=url,
        canonical=url,
        own=own,
        shared=sharing.public,
    )


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
    return _page(
        "achievement.html",
        organisation,
        achievement=view,
        image_src=local_path(view.image, _public_url()),
        issuer=issuer,
        issuer_page=local_path(issuer_service().base_url(issuer), _public_url()),
        achievement_version=version,
        current=current,
        current_page=local_path(f"{document['id']}", _public_url()),
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
    return _page(
        "issuer.html",
        organisation,
        issuer=issuer,
        did=service.did(issuer),
        did_document=local_path(f"{base}/did.json", _public_url()),
        badges=badges,
        json_url=base,
        canonical=base,
    )
