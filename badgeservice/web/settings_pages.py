"""My settings: the pages' language, my badges' language, my e-mails, how my name shows on
badges I share — and my own identities (a personal e-mail, a DID) that my badges can be
re-issued to (see :mod:`.personal_pages`)."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..access.roles import Role
from ..db import get_session
from ..errors import BadRequest
from ..languages import pick_language
from ..notices.models import NoticeKind
from ..notices.queueing import wants
from ..people.models import PublicName
from ..portability.identities import did_challenge, pending_address
from .base import render_page, web
from .i18n import LANGUAGES
from .session import Visitor, page_visitor, requires_role

__all__ = ["settings_page"]


@web.route("/o/<slug>/settings", methods=["GET", "POST"])
@requires_role()
def my_settings() -> ResponseReturnValue:
    """My language and how my name shows on the badges I share."""
    visitor = page_visitor()
    person = visitor.person
    if request.method == "POST":
        language = request.form.get("language", "")
        if language and language not in LANGUAGES:
            raise BadRequest(_("Choose one of the offered languages."))
        public_name = request.form.get("public_name", "")
        if public_name not in set(PublicName):
            raise BadRequest(_("Choose how your name is shown."))
        badge_language = request.form.get("badge_language", "")
        badge_languages = visitor.organisation.languages or []
        if badge_language and badge_language not in badge_languages:
            raise BadRequest(_("Choose one of the offered languages."))
        # A tag the IdP set ("sv-FI") shows as its language ("sv"); kept unless changed.
        if badge_language != (pick_language(badge_languages, [person.preferred_language]) or ""):
            person.preferred_language = badge_language or None
        person.locale = language or None
        person.public_name = public_name
        person.notice_settings = {
            kind: request.form.get(f"notice_{kind}") == "on" for kind in _notice_kinds(visitor)
        }
        if language:
            session["lang"] = language
        else:
            session.pop("lang", None)
        target = url_for("web.my_settings", slug=visitor.organisation.slug)
        return redirect(f"{target}?saved=1", code=303)
    return settings_page(visitor)


def settings_page(
    visitor: Visitor, problem: str | None = None, status: int = 200
) -> ResponseReturnValue:
    """The settings page (``problem``: what went wrong with the last form, in words)."""
    person = visitor.person
    db = get_session()
    key: bytes = current_app.extensions["badgeservice.token_key"]
    given, family = person.given_name or "", person.family_name or ""
    examples = {
        PublicName.FULL: " ".join(n for n in (given, family) if n) or "—",
        PublicName.GIVEN: given or "—",
        PublicName.INITIALS: " ".join(f"{n[0]}." for n in (given, family) if n) or "—",
    }
    return render_page(
        "my_settings.html",
        active="settings",
        person=person,
        examples=examples,
        badge_languages=_language_names(visitor.organisation.languages or []),
        notice_kinds=_notice_kinds(visitor),
        wants=lambda kind: wants(person, kind),
        badge_language=pick_language(
            visitor.organisation.languages or [], [person.preferred_language]
        ),
        PUBLIC_NAME=PublicName,
        saved=request.args.get("saved") == "1",
        pending=pending_address(db, person),
        challenge=did_challenge(db, person, key),
        done={name for name in ("mailed", "removed", "bound") if request.args.get(name) == "1"},
        problem=problem,
        status=status,
    )


def _language_names(tags: list[str]) -> list[tuple[str, str]]:
    """Each of ``tags`` with its name in that language itself ("svenska", "suomi")."""
    names = []
    for tag in tags:
        try:
            name = Locale.parse(tag, sep="-").get_display_name(tag.replace("-", "_")) or tag
        except (ValueError, UnknownLocaleError):
            name = tag
        names.append((tag, name))
    return names


def _notice_kinds(visitor: Visitor) -> list[str]:
    """The e-mails the person may choose: the weekly digest only for supervisors."""
    kinds: list[str] = [NoticeKind.ISSUED, NoticeKind.EXPIRY]
    return [*kinds, NoticeKind.DIGEST] if visitor.roles.has(Role.SUPERVISOR) else kinds
