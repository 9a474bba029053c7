"""The badge page: a credential as a person sees it, verified now."""

from __future__ import annotations

from flask import Response

from ..db import get_session
from ..issuers.models import Issuer
from ..issuing.models import Credential
from ..organisations.models import Organisation
from ..people.models import Person
from ..services import issuer_service
from ..sharing import get_sharing
from ..verification.services import verify_posted
from .badges import achievement_view, local_path, parse_time, verdict_for
from .public import page, public_url
from .session import visitor_for

__all__ = ["credential_page"]


def credential_page(credential: Credential) -> Response:
    """The badge page: the badge, its earner if they allowed it, and a verification done
    now. A badge its holder has not shared shows only that (404), except to the holder."""
    session = get_session()
    organisation = session.get(Organisation, credential.organisation_id)
    assert organisation is not None
    sharing = get_sharing(session, credential)
    visitor = visitor_for(organisation)
    own = visitor is not None and visitor.person.id == credential.person_id
    url = f"{public_url()}/credentials/{credential.id}"
    if not sharing.public and not own:
        return page("badge_private.html", organisation, 404, json_url=url)
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
        earner = person.public_display_name if person is not None else None
    return page(
        "badge.html",
        organisation,
        achievement=achievement,
        image_src=local_path(achievement.image if achievement else None, public_url()),
        issuer=issuer,
        issuer_page=local_path(issuer_service().base_url(issuer), public_url()),
        achievement_page=local_path(achievement.id if achievement else None, public_url()),
        issued_at=parse_time(document.get("validFrom")) or credential.issued_at,
        valid_until=parse_time(document.get("validUntil")),
        earner=earner,
        verdict=verdict,
        json_url=url,
        canonical=url,
        own=own,
        shared=sharing.public,
    )
