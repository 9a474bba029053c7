"""Who is signed in: :func:`current_visitor` / :func:`current_person`, the role check
later pages use (:func:`requires_role`), and starting and ending a page session.

The cookie (signed, HttpOnly, SameSite=Lax, Secure under an https public URL) holds the
page session's id; the session itself lives in the database, so signing out or idling
past ``SESSION_IDLE_TIMEOUT`` ends it for good.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from ..access.models import WebSession
from ..access.roles import Role, RoleSet, roles_of
from ..access.sessions import EMAIL_LINK, end_session, resume_session, start_session
from ..db import get_session
from ..errors import Forbidden
from ..organisations.models import Organisation
from ..people.models import Person

__all__ = [
    "BADGES_ONLY",
    "EMAIL_LINK",
    "Visitor",
    "current_person",
    "current_visitor",
    "init_app",
    "page_visitor",
    "requires_role",
    "safe_next",
    "sign_in_person",
    "sign_out",
    "visitor_for",
]

F = TypeVar("F", bound=Callable[..., Any])
SESSION_ID = "sid"
# What survives signing in and out: the language chosen on the page.
_KEPT = ("lang",)
# EMAIL_LINK, the sign-in method of a link mailed to the personal e-mail: such a session
# reaches the person's badges and nothing else (it works after they have left).
# The signed-in pages such a session may use; every other one answers 403.
BADGES_ONLY = frozenset(
    {
        "web.my_badges",
        "web.my_badge",
        "web.share_badge",
        "web.download_badge",
        "web.import_my_badge",
        "web.reissue_badges",
    }
)


@dataclass(frozen=True)
class Visitor:
    """A signed-in person with their organisation and roles."""

    person: Person
    organisation: Organisation
    roles: RoleSet
    web_session: WebSession

    @property
    def limited(self) -> bool:
        """Signed in by a mailed link: their badges only, no roles."""
        return self.web_session.method == EMAIL_LINK


def current_visitor() -> Visitor | None:
    """Who is signed in on this request (any organisation), or ``None``."""
    if "visitor" in g:
        found: Visitor | None = g.visitor
        return found
    visitor = None
    raw = session.get(SESSION_ID)
    if raw is not None:
        visitor = _resume(raw)
    g.visitor = visitor
    return visitor


def _resume(raw: Any) -> Visitor | None:
    db = get_session()
    try:
        session_id = uuid.UUID(str(raw))
    except ValueError:
        session.pop(SESSION_ID, None)
        return None
    config = current_app.config
    row, state = resume_session(
        db,
        session_id,
        idle_timeout=int(config["SESSION_IDLE_TIMEOUT"]),
        max_age=int(config["SESSION_MAX_AGE"]),
    )
    person = db.get(Person, row.person_id) if row is not None else None
    # A person who has left keeps only a session of a mailed link (their badges).
    if row is None or person is None or not (person.active or row.method == EMAIL_LINK):
        if row is not None:
            end_session(db, row.id)
        session.pop(SESSION_ID, None)
        g.session_ended = state if row is None else "ended"
        return None
    organisation = db.get(Organisation, row.organisation_id)
    assert organisation is not None
    if row.method == EMAIL_LINK:
        return Visitor(person, organisation, RoleSet(frozenset(), frozenset()), row)
    return Visitor(person, organisation, roles_of(db, person), row)


def current_person() -> Person | None:
    """The signed-in person, or ``None``."""
    visitor = current_visitor()
    return visitor.person if visitor is not None else None


def visitor_for(organisation: Organisation) -> Visitor | None:
    """The visitor if signed in to ``organisation``: a session of another organisation
    counts as signed out here."""
    visitor = current_visitor()
    if visitor is None or visitor.organisation.id != organisation.id:
        return None
    return visitor


def page_visitor() -> Visitor:
    """The signed-in visitor of this page's organisation (the page is behind
    :func:`requires_role`, so there is one)."""
    visitor = visitor_for(g.organisation)
    assert visitor is not None  # requires_role
    return visitor


def requires_role(*roles: Role) -> Callable[[F], F]:
    """Page decorator (on ``/o/<slug>/…`` pages): a signed-out visitor (or one signed in to
    another organisation) is sent to sign in and brought back; a signed-in one without any
    of ``roles`` gets 403. With no roles, any signed-in person may enter — but a session of
    a mailed link only the pages of :data:`BADGES_ONLY`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            visitor = visitor_for(g.organisation)
            if visitor is None:
                target = url_for(
                    "web.sign_in",
                    next=safe_next(request.full_path),
                    reason=g.get("session_ended"),
                )
                return redirect(target, code=303)
            if visitor.limited and request.endpoint not in BADGES_ONLY:
                raise Forbidden("signed in by an e-mail link, you reach your badges only")
            if roles and not visitor.roles.has(*roles):
                raise Forbidden("this page is not for your roles")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site (never another host), else ``None``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value.rstrip("?") or None


def sign_in_person(person: Person, method: str) -> WebSession:
    """Start a page session for ``person``: a fresh cookie session (no fixation), keeping
    only the chosen language."""
    kept = {key: session[key] for key in _KEPT if key in session}
    session.clear()
    session.update(kept)
    row = start_session(get_session(), person, method)
    session[SESSION_ID] = str(row.id)
    g.pop("visitor", None)
    return row


def sign_out() -> None:
    raw = session.get(SESSION_ID)
    if raw is not None:
        with contextlib.suppress(ValueError):
            end_session(get_session(), uuid.UUID(str(raw)))
    kept = {key: session[key] for key in _KEPT if key in session}
    session.clear()
    session.update(kept)
    g.visitor = None


class _DerivedKeySessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions under a key of their own, derived from the secret."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key: bytes = app.extensions["badgeservice.session_key"]
        return URLSafeTimedSerializer(
            key,
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": hashlib.sha256},
        )


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(SHA256(), 32, salt=None, info=purpose).derive(secret.encode("utf-8"))


def init_app(app: Flask) -> None:
    from pathlib import Path

    from ..keyconfig import instance_secret

    config = app.config
    secret = config.get("SECRET_KEY") or instance_secret(
        Path(config.get("INSTANCE_PATH") or "instance")
    )
    app.extensions["badgeservice.session_key"] = _derive(secret, b"badgeservice page sessions v1")
    # The key of single-use tokens (personal e-mail verification, sign-in links, DID
    # challenges): the database keeps their hashes, the outbox their rows' ids.
    app.extensions["badgeservice.token_key"] = _derive(secret, b"badgeservice link tokens v1")
    app.session_interface = _DerivedKeySessions()
    config.update(
        SESSION_COOKIE_NAME="badgeservice_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(config["PUBLIC_URL"]).startswith("https://"),
        WTF_CSRF_SECRET_KEY=_derive(secret, b"badgeservice form tokens v1"),
        # Forms are checked in the pages' blueprint only; the API has bearer tokens.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A form's token lives as long as the page session can.
        WTF_CSRF_TIME_LIMIT=int(config["SESSION_MAX_AGE"]),
    )
    for key in ("SESSION_IDLE_TIMEOUT", "SESSION_MAX_AGE"):
        if int(config[key]) <= 0:
            from ..config import ConfigurationError

            raise ConfigurationError(f"BADGESERVICE_{key}: must be a positive number of seconds")
