"""The organisation's landing page, the organisation list, the signed-in start page, the
language switch and the organisation's colours."""

from __future__ import annotations

import hashlib

from flask import Response, current_app, g, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from .. import __version__
from ..db import get_session
from ..errors import BadRequest
from ..openapi.views import LINKS
from ..organisations.models import Organisation
from .base import organisation, render_page, web
from .i18n import LANGUAGES
from .session import current_visitor, requires_role, safe_next, visitor_for
from .summaries import organisation_figures, person_badges, teams_of
from .theme import theme_for

__all__: list[str] = []


def _organisations() -> list[Organisation]:
    return list(get_session().scalars(select(Organisation).order_by(Organisation.name)))


@web.get("/")
def index() -> ResponseReturnValue:
    """The front door: the organisation's landing page when the service has one
    organisation, a list to choose from when it has several. ``Accept: application/json``
    gets the same as data, with the addresses of the API, its documentation and health.
    ---
    get:
      tags: [service]
      security: []
      responses:
        200:
          description: an HTML page, or JSON when the client prefers JSON
          content:
            application/json:
              schema:
                type: object
                required: [name, version, links, organisations, api]
                properties:
                  name: {type: string}
                  version: {type: string}
                  description: {type: string}
                  links:
                    type: object
                    required: [apiDocs, openapi, health]
                    properties:
                      apiDocs: {type: string}
                      openapi: {type: string}
                      health: {type: string}
                  organisations:
                    type: array
                    items:
                      type: object
                      required: [slug, name, page]
                      properties:
                        slug: {type: string}
                        name: {type: string}
                        page: {type: string}
                  api: {type: string}
            text/html: {schema: {type: string}}
    """
    organisations = _organisations()
    if (
        request.accept_mimetypes.best_match(["text/html", "application/json"])
        == ("application/json")
        and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]
    ):
        base = current_app.config["PUBLIC_URL"]
        return jsonify(
            {
                "name": "badgeservice",
                "version": __version__,
                "description": "Open Badges 3.0 issuing and competence recognition",
                "links": LINKS,
                "organisations": [
                    {"slug": o.slug, "name": o.name, "page": f"{base}/o/{o.slug}/"}
                    for o in organisations
                ],
                "api": f"{base}/api/v1",
            }
        )
    if len(organisations) == 1:
        g.organisation = organisations[0]
        return _landing(canonical=url_for("web.landing", slug=organisations[0].slug))
    return render_page("organisations.html", organisations=organisations)


@web.get("/o/<slug>/")
def landing() -> ResponseReturnValue:
    """What this is, sign in, verify a badge."""
    return _landing()


def _landing(canonical: str | None = None) -> ResponseReturnValue:
    org = organisation()
    db = get_session()
    return render_page(
        "landing.html",
        figures=organisation_figures(db, org.id),
        visitor=visitor_for(org),
        canonical=canonical,
    )


@web.get("/o/<slug>/home")
@requires_role()
def home() -> ResponseReturnValue:
    """The signed-in start page: who you are, your roles, your latest badges."""
    visitor = visitor_for(organisation())
    assert visitor is not None
    db = get_session()
    total, badges = person_badges(db, visitor.person.id)
    return render_page(
        "home.html",
        visitor=visitor,
        teams=teams_of(db, visitor.person.id),
        badge_total=total,
        badges=badges,
        idle_minutes=int(current_app.config["SESSION_IDLE_TIMEOUT"]) // 60,
    )


@web.get("/o/<slug>/theme.css")
def theme() -> ResponseReturnValue:
    """The organisation's accent colour as CSS custom properties (no inline styles)."""
    css = theme_for(organisation().accent_color).css()
    response = Response(css, mimetype="text/css")
    response.set_etag(hashlib.sha256(css.encode()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@web.post("/language")
def switch_language() -> ResponseReturnValue:
    """Switch the pages' language (a form on every page); remembered in the session and,
    for a signed-in person, as their setting."""
    language = request.form.get("lang", "")
    if language not in LANGUAGES:
        raise BadRequest(_("Choose one of the offered languages."))
    session["lang"] = language
    visitor = current_visitor()
    if visitor is not None:
        visitor.person.locale = language
    target = safe_next(request.form.get("next")) or url_for("web.index")
    return redirect(target, code=303)
