"""Drawing a notice as an e-mail: plain text and HTML (no tracking pixel, no remote image:
the badge image travels inline), in the person's language, with links into their pages.
Rendered with the pages' templates and translations, so both stay in one catalog."""

from __future__ import annotations

import uuid
from datetime import timedelta
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..achievements.models import AchievementVersion
from ..db import utcnow
from ..issuing.models import Credential
from ..languages import pick_language
from ..notices.models import Notice, NoticeKind
from ..organisations.models import Organisation
from ..paths.models import SubGoal
from ..people.models import Person, Team, TeamMember, TeamRole
from ..portability.models import SignInToken
from ..portability.tokens import token_of
from .badge_files import as_png
from .i18n import LANGUAGES

__all__ = ["notice_language", "render_notice"]


def notice_language(person: Person, organisation: Organisation) -> str:
    """The person's page language, else their badges' language, else the organisation's,
    among the languages the pages speak."""
    wanted = [person.locale, person.preferred_language, organisation.default_language]
    return pick_language(list(LANGUAGES), wanted) or str(current_app.config["DEFAULT_LANGUAGE"])


def _name(credential: Credential) -> str:
    """The badge's name as it was issued (in its earner's language)."""
    subject = credential.document.get("credentialSubject") or {}
    return str((subject.get("achievement") or {}).get("name") or "")


def _badge(session: Session, credential: Credential) -> dict[str, Any]:
    version = session.get(AchievementVersion, credential.achievement_version_id)
    image = None
    if version is not None and version.image:
        image = as_png(version.image, version.image_media_type or "")
    return {
        "credential": credential,
        "name": _name(credential),
        "issuer": (credential.document.get("issuer") or {}).get("name") or "",
        "image": image,
    }


def _issued(session: Session, notice: Notice) -> dict[str, Any] | None:
    credentials = [
        session.get(Credential, uuid.UUID(str(identifier)))
        for identifier in notice.payload.get("credentials", [])
    ]
    badges = [_badge(session, c) for c in credentials if c is not None and c.revoked_at is None]
    return {"badges": badges} if badges else None


def _expiry(session: Session, notice: Notice, language: str) -> dict[str, Any] | None:
    credential = session.get(Credential, uuid.UUID(str(notice.payload.get("credential"))))
    if credential is None or credential.revoked_at is not None or credential.valid_until is None:
        return None
    if credential.valid_until <= utcnow():
        return None  # expired meanwhile: nothing to remind of
    renewed = session.scalar(
        select(Credential.id).where(
            Credential.person_id == credential.person_id,
            Credential.achievement_version_id == credential.achievement_version_id,
            Credential.issued_at > credential.issued_at,
            Credential.revoked_at.is_(None),
        )
    )
    if renewed is not None:
        return None
    goal = session.get(SubGoal, credential.sub_goal_id) if credential.sub_goal_id else None
    return {
        "badge": _badge(session, credential),
        "until": credential.valid_until,
        "renew": goal.text("name", language) if goal is not None else None,
        "activities": [t.activity for t in goal.triggers if t.activity] if goal else [],
    }


def _digest(session: Session, notice: Notice, person: Person) -> dict[str, Any]:
    since = utcnow() - timedelta(days=7)
    teams = list(
        session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.person_id == person.id, TeamMember.role == TeamRole.SUPERVISOR)
            .order_by(Team.name)
        )
    )
    lines = []
    for team in teams:
        members = select(TeamMember.person_id).where(
            TeamMember.team_id == team.id, TeamMember.role == TeamRole.MEMBER
        )
        rows = session.execute(
            select(Person, Credential)
            .join(Credential, Credential.person_id == Person.id)
            .where(Person.id.in_(members), Credential.issued_at >= since)
            .order_by(Person.family_name, Credential.issued_at)
        )
        earned = [(member.display_name, _name(credential)) for member, credential in rows]
        lines.append({"team": team, "earned": earned})
    return {"teams": lines}


def _link(session: Session, notice: Notice) -> dict[str, Any] | None:
    """A verification or sign-in link, to the address its token was made for; None once
    the token was used or has expired (the link would not work)."""
    row = session.get(SignInToken, uuid.UUID(str(notice.payload.get("token"))))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.email:
        return None
    token = token_of(row, current_app.extensions["badgeservice.token_key"])
    base = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    organisation = session.get(Organisation, row.organisation_id)
    assert organisation is not None
    where = "settings/personal-email" if notice.kind == NoticeKind.VERIFY else "sign-in/email"
    minutes = int((row.expires_at - row.created_at).total_seconds() // 60)
    return {
        "to": row.email,
        "link": f"{base}/o/{organisation.slug}/{where}/{token}",
        "minutes": minutes,
    }


def render_notice(session: Session, notice: Notice) -> EmailMessage | None:
    """The notice as an e-mail, or None when there is nothing to tell any more (its badges
    were revoked, or renewed, meanwhile; its link was used or expired) or nobody to tell.
    Links go to the address they were asked for, also for a person who has left."""
    person = session.get(Person, notice.person_id)
    organisation = session.get(Organisation, notice.organisation_id)
    links = (NoticeKind.VERIFY, NoticeKind.SIGN_IN)
    if person is None or organisation is None:
        return None
    if notice.kind not in links and (not person.email or not person.active):
        return None
    language = notice_language(person, organisation)
    if notice.kind in links:
        context = _link(session, notice)
    elif notice.kind == NoticeKind.ISSUED:
        context = _issued(session, notice)
    elif notice.kind == NoticeKind.EXPIRY:
        context = _expiry(session, notice, language)
    else:
        context = _digest(session, notice, person)
    if context is None:
        return None
    base = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    host = urlsplit(base).hostname or "localhost"
    context |= {"person": person, "organisation": organisation, "base": base, "host": host}
    context["language"] = language
    with force_locale(language):
        subject = {
            NoticeKind.ISSUED: _("You have a new badge from %(organisation)s"),
            NoticeKind.EXPIRY: _("Your badge from %(organisation)s expires soon"),
            NoticeKind.DIGEST: _("Your team's week at %(organisation)s"),
            NoticeKind.VERIFY: _("Confirm your e-mail address for %(organisation)s"),
            NoticeKind.SIGN_IN: _("Your sign-in link to %(organisation)s"),
        }[NoticeKind(notice.kind)] % {"organisation": organisation.text("name", language)}
        text = render_template(f"mail/{notice.kind}.txt", **context)
        html = render_template(f"mail/{notice.kind}.html", **context)
    to = context.get("to") or str(person.email)
    return _message(notice, to, subject, text, html, context.get("badges") or [])


def _message(
    notice: Notice,
    to: str,
    subject: str,
    text: str,
    html: str,
    badges: list[dict[str, Any]],
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = str(current_app.config["MAIL_FROM"])
    message["To"] = to
    message["Date"] = format_datetime(utcnow())
    host = urlsplit(str(current_app.config["PUBLIC_URL"])).hostname or "localhost"
    message["Message-ID"] = f"<notice-{notice.id}@{host}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    part = message.get_body(preferencelist=("html",))
    assert isinstance(part, MIMEPart)
    for index, badge in enumerate(badges):
        if badge.get("image"):
            part.add_related(
                badge["image"], maintype="image", subtype="png", cid=f"<badge-{index}@{host}>"
            )
    return message
