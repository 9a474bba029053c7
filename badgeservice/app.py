"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify

from . import __version__, db, errors, security_headers

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
    app.extensions["badgeservice.keystore"] = keystore_from_config(config)

    # Every domain's views, registered on the two blueprints in one visible list.
    from .access import views as _access  # noqa: F401
    from .achievements import views as _achievements  # noqa: F401
    from .api import api, public
    from .frameworks import views as _frameworks  # noqa: F401
    from .hr import feed_views as _hr_feed  # noqa: F401
    from .hr import reserve_views as _hr_reserve  # noqa: F401
    from .hr import views as _hr  # noqa: F401
    from .ingest import moodle as _moodle  # noqa: F401
    from .ingest import views as _ingest  # noqa: F401
    from .ingest import xapi as _xapi  # noqa: F401
    from .issuers import views as _issuers  # noqa: F401
    from .issuing import views as _issuing  # noqa: F401
    from .openapi import views as _openapi  # noqa: F401
    from .organisations import views as _organisations  # noqa: F401
    from .paths import views as _paths  # noqa: F401
    from .people import views as _people  # noqa: F401
    from .scim import views as _scim  # noqa: F401
    from .sharing import views as _sharing  # noqa: F401
    from .verification import views as _verification  # noqa: F401

    app.register_blueprint(api)
    app.register_blueprint(public)
    # The pages for people (web/): their blueprint, languages, sessions, form tokens.
    from .web import init_app as init_pages

    init_pages(app)

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
