"""The learner's own identities on their settings page: a personal e-mail (confirmed by a
link mailed to it), a DID they prove they control, and their badges re-issued to either —
so the badges stay theirs after they leave."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..db import get_session
from ..errors import BadRequest, Conflict
from ..issuing.services import issuing_service
from ..portability.identities import (
    bind_did,
    confirm_personal_email,
    forget_personal_email,
    new_did_challenge,
    request_personal_email,
)
from ..portability.models import TokenPurpose
from ..portability.reissue import TARGETS, reissue_all
from ..portability.tokens import TokenRefused, use_token
from ..ratelimit import TooManyRequests
from .base import organisation, render_page, web
from .session import page_visitor, requires_role
from .settings_pages import settings_page

__all__: list[str] = []


def token_key() -> bytes:
    key: bytes = current_app.extensions["badgeservice.token_key"]
    return key


def _settings(anchor: str, done: str | None = None) -> ResponseReturnValue:
    target = url_for("web.my_settings", slug=organisation().slug)
    query = f"?{done}=1" if done else ""
    return redirect(f"{target}{query}#{anchor}", code=303)


@web.post("/o/<slug>/settings/personal-email")
@requires_role()
def add_personal_email() -> ResponseReturnValue:
    """Mail a confirmation link to the address given (it is mine once I follow it)."""
    visitor = page_visitor()
    try:
        request_personal_email(
            get_session(), visitor.person, request.form.get("personal_email", ""), token_key()
        )
    except TooManyRequests:
        problem = _("You have asked for too many confirmation e-mails; try again in an hour.")
        return settings_page(visitor, problem, 429)
    except BadRequest as exc:
        problem = (
            _("That is your work address. Give an address of your own.")
            if exc.extensions.get("reason") == "work-address"
            else _("That is not an e-mail address.")
        )
        return settings_page(visitor, problem, 400)
    return _settings("own-identities", "mailed")


@web.post("/o/<slug>/settings/personal-email/remove")
@requires_role()
def remove_personal_email() -> ResponseReturnValue:
    person = page_visitor().person
    forget_personal_email(get_session(), person, f"person:{person.id}")
    return _settings("own-identities", "removed")


@web.get("/o/<slug>/settings/personal-email/<token>")
def confirm_email_page(token: str) -> ResponseReturnValue:
    """The link in the mail: a button to confirm (a mail scanner's GET changes nothing),
    or a clear page when the link no longer works."""
    try:
        row = use_token(
            get_session(), token, TokenPurpose.VERIFY_EMAIL, organisation().id, spend=False
        )
    except TokenRefused as exc:
        return render_page("link_refused.html", status=_status(exc), reason=exc.reason)
    return render_page("confirm_email.html", address=row.email, token=token)


@web.post("/o/<slug>/settings/personal-email/<token>")
def confirm_email(token: str) -> ResponseReturnValue:
    try:
        person = confirm_personal_email(get_session(), organisation().id, token)
    except TokenRefused as exc:
        return render_page("link_refused.html", status=_status(exc), reason=exc.reason)
    except Conflict:
        return render_page("link_refused.html", status=409, reason="taken")
    return render_page("email_confirmed.html", address=person.personal_email)


def _status(refused: TokenRefused) -> int:
    return 404 if refused.reason == "unknown" else 410


@web.post("/o/<slug>/settings/did/challenge")
@requires_role()
def did_challenge_view() -> ResponseReturnValue:
    """A fresh challenge to sign with my DID's key (shown on the settings page)."""
    new_did_challenge(get_session(), page_visitor().person, token_key())
    return _settings("own-did")


@web.post("/o/<slug>/settings/did")
@requires_role()
def bind_did_view() -> ResponseReturnValue:
    """Bind the DID whose key signed my challenge."""
    visitor = page_visitor()
    proof = request.form.get("proof", "")
    if not proof.strip():
        return settings_page(visitor, _("Paste the signed challenge (a compact JWS)."), 400)
    try:
        bind_did(get_session(), visitor.person, proof)
    except BadRequest as exc:
        problem = _(
            "The proof does not show that you control the DID: %(reason)s", reason=exc.detail
        )
        return settings_page(visitor, problem, 400)
    return _settings("own-did", "bound")


@web.post("/o/<slug>/badges/reissue")
@requires_role()
def reissue_badges() -> ResponseReturnValue:
    """Re-issue all my badges to my personal e-mail or my DID (once each)."""
    visitor, db = page_visitor(), get_session()
    to = request.form.get("to", "")
    if to not in TARGETS:
        raise BadRequest(_("Choose where to re-issue your badges."))
    try:
        actor = f"person:{visitor.person.id}"
        done = reissue_all(db, issuing_service(db), visitor.person, to, actor)
    except BadRequest:
        raise BadRequest(_("Add and confirm a personal e-mail or bind a DID first.")) from None
    made = sum(1 for item in done if item.created)
    target = url_for("web.my_badges", slug=visitor.organisation.slug, reissued=str(made))
    return redirect(f"{target}#own-copies", code=303)
