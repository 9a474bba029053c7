"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, jsonify

from . import __version__, db, errors, security_headers
from .audit import context as audit_context

__all__ = ["create_app"]


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application: defaults → ``BADGESERVICE_*`` environment → overrides.

    Nothing slow or networked happens here: the database is only connected on first use.
    """
    from .config import load_config
    from .keyconfig import keystore_from_config

    app = Flask(__name__, instance_relative_config=False)
    config = load_config(overrides)
    app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    errors.init_app(app)
    security_headers.init_app(app)
    db.init_app(app)
    audit_context.init_app(app)
    app.extensions["badgeservice.keystore"] = keystore_from_config(config)

    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    # The Open Badges API's authorization server (authlib), used by its views and pages.
    from .obapi.server import init_app as init_oauth

    init_oauth(app)
    # The floors above awards hear of awards (awards never import them).
    from .ingest.services import subscribe as ingest_hears_awards

    ingest_hears_awards()
    # The pages for people (web/): their blueprint, languages, sessions, form tokens.
    from .web import init_app as init_pages

    init_pages(app)
    # Worker mode's signed completion webhook, accepted without Flask (ingest/lean.py).
    from .ingest.lean import install as install_lean_accept

    install_lean_accept(app)

    @app.get("/healthz")
    def healthz() -> Any:
        """Liveness: the process answers (the database is not asked).
        ---
        get:
          tags: [service]
          responses:
            200:
              content:
                application/json:
                  schema:
                    type: object
                    required: [status, version]
                    properties: {status: {type: string, enum: [ok]}, version: {type: string}}
        """
        return jsonify({"status": "ok", "version": __version__})

    return app


def _blueprints() -> list[Blueprint]:
    """Every domain's blueprints, in one visible list: ``api`` ones under ``/api/v1`` (bearer
    tokens), ``public`` ones for documents anyone may read and the inbound channels."""
    from . import monitoring
    from .access import views as access
    from .achievements import views as achievements
    from .awards import views as awards
    from .frameworks import views as frameworks
    from .hr.delivery import views as hr
    from .hr.recognitions import views as hr_feed
    from .hr.reserve import views as hr_reserve
    from .ingest import moodle, xapi
    from .ingest import views as ingest
    from .issuers import views as issuers
    from .issuing import views as issuing
    from .obapi import views as obapi
    from .openapi import views as openapi
    from .organisations import views as organisations
    from .paths import views as paths
    from .people import views as people
    from .portability import views as portability
    from .privacy import views as privacy
    from .scim import group_views as scim_groups
    from .scim import user_views as scim_users
    from .scim import views as scim
    from .sharing import views as sharing
    from .verification import views as verification

    return [
        organisations.api,
        access.api,
        people.api,
        privacy.api,
        privacy.public,
        portability.api,
        frameworks.api,
        achievements.api,
        achievements.public,
        issuers.api,
        issuers.public,
        issuing.api,
        issuing.public,
        awards.api,
        sharing.api,
        paths.api,
        ingest.api,
        moodle.public,
        xapi.public,
        hr.api,
        hr_feed.api,
        hr_reserve.api,
        scim.public,
        scim_users.public,
        scim_groups.public,
        verification.api,
        openapi.api,
        openapi.public,
        obapi.api,
        monitoring.public,
    ]
