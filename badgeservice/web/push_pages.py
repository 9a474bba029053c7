""" "Send to my backpack at …": the learner pushes one of their badges to another Open
Badges 3.0 Host through the write client (:mod:`badgeservice.obapi.client`). The form on
the badge page names the Host; the learner's browser goes to the Host to sign in and
consent, comes back to our callback (the exact redirect URI registered), and the badge is
sent; the outcome shows on the badge page. Tokens kept from an earlier push to the same
Host are used (refreshed) without asking again."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..db import get_session
from ..egress import EgressPolicy
from ..errors import BadRequest
from ..obapi.client import Authorization, PushError, PushResult, WriteClient
from ..obapi.models import RemoteHost
from ..obapi.remote import forget_tokens, registration_at, save_tokens, saved_tokens
from ..services import keystore
from .base import web
from .learner import SENT, badge_page
from .learner_data import own_credential
from .session import page_visitor, requires_role

__all__: list[str] = []

# The authorization under way, in the signed page cookie: one at a time per browser.
_PENDING = "obapi_push"


def _client() -> WriteClient:
    config = current_app.config
    return WriteClient(
        EgressPolicy.from_config(config),
        client_name=page_visitor().organisation.name,
        client_uri=str(config["PUBLIC_URL"]).rstrip("/") + "/",
    )


def _redirect_uri(slug: str) -> str:
    return f"{str(current_app.config['PUBLIC_URL']).rstrip('/')}/o/{slug}/backpack/callback"


def _outcome(slug: str, credential_id: Any, result: PushResult, host: str) -> ResponseReturnValue:
    """Back to the badge page, which shows the outcome once (kept in the page cookie, so a
    crafted link cannot make the page claim a push)."""
    session[SENT] = {
        "credential": str(credential_id),
        "sent": "new" if result.created else "replaced",
        "to": urlsplit(host).hostname or host,
    }
    target = url_for("web.my_badge", slug=slug, credential_id=credential_id)
    return redirect(f"{target}#backpack", code=303)


def _refused(credential_id: str, reason: str) -> ResponseReturnValue:
    return badge_page(
        credential_id, push_error=_("The badge was not sent: %(reason)s", reason=reason)
    )


@web.post("/o/<slug>/badges/<credential_id>/backpack")
@requires_role()
def send_to_backpack(credential_id: str) -> ResponseReturnValue:
    """Send my badge to the Host named in the form: at once with the tokens kept from an
    earlier push there, else through the Host's consent."""
    visitor, db = page_visitor(), get_session()
    credential = own_credential(db, visitor.person, credential_id)
    host_url = request.form.get("host", "").strip()
    if not host_url:
        return _refused(
            credential_id, _("enter the address of the backpack, e.g. https://backpack.example")
        )
    if "://" not in host_url:
        host_url = "https://" + host_url
    client, slug = _client(), visitor.organisation.slug
    document, person_id, kept_id = credential.document, visitor.person.id, credential.id
    try:
        row, host, registration = registration_at(
            db, client, keystore(), host_url, _redirect_uri(slug)
        )
        tokens = saved_tokens(db, keystore(), row, person_id)
        if tokens is not None:
            db.rollback()  # no transaction held while the Host answers
            try:
                result = client.upsert_credential(host, registration, tokens, document)
            except PushError as exc:
                if not (exc.status == 401 or str(exc).startswith("refresh")):
                    raise
                forget_tokens(db, row, person_id)  # ask for consent again
            else:
                save_tokens(db, keystore(), row, person_id, result.tokens)
                return _outcome(slug, kept_id, result, row.base_url)
        authorization = client.authorization(host, registration)
    except PushError as exc:
        return _refused(credential_id, str(exc))
    session[_PENDING] = {
        "host": str(row.id),
        "credential": str(kept_id),
        "url": authorization.url,
        "state": authorization.state,
        "verifier": authorization.verifier,
    }
    return redirect(authorization.url, code=303)


@web.get("/o/<slug>/backpack/callback")
@requires_role()
def backpack_callback() -> ResponseReturnValue:
    """Back from the Host: the code for tokens, then the badge is sent."""
    visitor, db = page_visitor(), get_session()
    pending = session.pop(_PENDING, None)
    if not isinstance(pending, dict):
        raise BadRequest(_("No sending is under way; start again from the badge's page."))
    credential = own_credential(db, visitor.person, pending["credential"])
    row = db.get(RemoteHost, uuid.UUID(pending["host"]))
    if row is None:
        raise BadRequest(_("No sending is under way; start again from the badge's page."))
    client, slug = _client(), visitor.organisation.slug
    document, person_id, kept_id = credential.document, visitor.person.id, credential.id
    try:
        row, host, registration = registration_at(
            db, client, keystore(), row.base_url, row.redirect_uri
        )
        authorization = Authorization(pending["url"], pending["state"], pending["verifier"])
        query = request.query_string.decode("ascii", "replace")
        db.rollback()  # no transaction held while the Host answers
        tokens = client.exchange(host, registration, authorization, f"{row.redirect_uri}?{query}")
        result = client.upsert_credential(host, registration, tokens, document)
    except PushError as exc:
        return _refused(str(kept_id), str(exc))
    save_tokens(db, keystore(), row, person_id, result.tokens)
    return _outcome(slug, kept_id, result, row.base_url)
