"""Signing in and out of an organisation's pages: OpenID Connect with the organisation's
identity provider, or in the embedded demo only, "continue as" an example person."""

from __future__ import annotations

import logging
import uuid

from flask import abort, current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ..access.roles import roles_of
from ..access.signin import SignInRefused, client_secret, get_settings, match_person
from ..db import get_session
from ..people.models import Person
from ..services import keystore
from . import oidc
from .base import organisation, render_page, web
from .session import safe_next, sign_in_person, sign_out, visitor_for

__all__: list[str] = []

log = logging.getLogger(__name__)
_NEXT = "sign_in_next"
# The demo lists at most this many people to continue as.
DEMO_PEOPLE = 60


def _client_name() -> str:
    # authlib keeps the flow's state in the session under this name: one per organisation.
    return f"o-{organisation().slug}"


def _callback_url() -> str:
    base = current_app.config["PUBLIC_URL"]
    return f"{base}{url_for('web.sign_in_callback')}"


@web.get("/o/<slug>/sign-in")
def sign_in() -> ResponseReturnValue:
    """Sign in: the organisation's identity provider (and, in the demo, example people)."""
    org = organisation()
    db = get_session()
    people: list[tuple[Person, list[str]]] = []
    if current_app.config["DEV_SIGN_IN"]:
        rows = db.scalars(
            select(Person)
            .where(Person.organisation_id == org.id, Person.active.is_(True))
            .order_by(Person.given_name, Person.family_name, Person.employee_number)
            .limit(DEMO_PEOPLE)
        )
        people = [(p, [r.value for r in roles_of(db, p).ordered()]) for p in rows]
    return render_page(
        "sign_in.html",
        configured=get_settings(db, org.id) is not None,
        demo_people=people,
        next=safe_next(request.args.get("next")),
        reason=request.args.get("reason"),
        visitor=visitor_for(org),
    )


@web.get("/o/<slug>/sign-in/start")
def sign_in_start() -> ResponseReturnValue:
    """Off to the identity provider (a link, not a form: the page's form-action policy
    stays 'self')."""
    org = organisation()
    settings = get_settings(get_session(), org.id)
    if settings is None:
        abort(404)
    session[_NEXT] = safe_next(request.args.get("next"))
    try:
        return oidc.begin(
            _client_name(), settings, client_secret(settings, keystore()), _callback_url()
        )
    except oidc.IdentityProviderError as exc:
        log.warning("sign-in to %s: %s", org.slug, exc)
        return render_page("sign_in_failed.html", status=502, kind=exc.kind)


@web.get("/o/<slug>/sign-in/callback")
def sign_in_callback() -> ResponseReturnValue:
    """The identity provider sends the person back here with a code."""
    org = organisation()
    db = get_session()
    settings = get_settings(db, org.id)
    if settings is None:
        abort(404)
    try:
        claims = oidc.finish(_client_name(), settings, client_secret(settings, keystore()))
    except oidc.IdentityProviderError as exc:
        log.warning("sign-in to %s: %s", org.slug, exc)
        status = 502 if exc.kind == "unreachable" else 400
        return render_page(
            "sign_in_failed.html",
            status=status,
            kind=exc.kind,
            language_next=url_for("web.sign_in"),
        )
    try:
        person = match_person(db, settings, claims)
    except SignInRefused as exc:
        log.info("sign-in to %s refused: %s", org.slug, exc.reason)
        # What was matched so far is not kept: nobody is signed in.
        return render_page(
            "sign_in_refused.html",
            status=403,
            reason=exc.reason,
            language_next=url_for("web.landing"),
        )
    target = session.pop(_NEXT, None)
    sign_in_person(person, "oidc")
    return redirect(safe_next(target) or url_for("web.home"), code=303)


@web.post("/o/<slug>/sign-in/development")
def sign_in_development() -> ResponseReturnValue:
    """The demo's "continue as": only when the embedded demo turned it on."""
    if not current_app.config["DEV_SIGN_IN"]:
        abort(404)
    org = organisation()
    try:
        person_id = uuid.UUID(request.form.get("person", ""))
    except ValueError:
        abort(400)
    person = get_session().get(Person, person_id)
    if person is None or person.organisation_id != org.id or not person.active:
        abort(404)
    sign_in_person(person, "development")
    return redirect(safe_next(request.form.get("next")) or url_for("web.home"), code=303)


@web.post("/o/<slug>/sign-out")
def sign_out_view() -> ResponseReturnValue:
    """End the page session (the identity provider's own session is its business)."""
    sign_out()
    return redirect(url_for("web.sign_in", reason="signed-out"), code=303)
