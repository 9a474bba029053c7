"""Server-rendered pages for people: Flask + Jinja, in Finnish, Swedish and English.

Pages work without JavaScript and carry no inline script or style (a strict CSP holds);
every form is CSRF-protected; sign-in is OpenID Connect against each organisation's
identity provider. :func:`init_app` wires it all into the application.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.engine import make_url

from ..config import ConfigurationError
from ..egress import is_loopback_name
from .base import csrf

__all__ = [
    "check_development_sign_in",
    "check_mail_settings",
    "csrf",
    "demo_configuration",
    "init_app",
]


def demo_configuration(config: Mapping[str, Any]) -> bool:
    """The embedded demo: started by ``badgeservice demo`` (``DEMO``, never from the
    environment), on a loopback public URL, with the SQLite database."""
    host = urlsplit(str(config["PUBLIC_URL"])).hostname or ""
    embedded = make_url(str(config["DATABASE_URL"])).get_backend_name() == "sqlite"
    return bool(config.get("DEMO")) and is_loopback_name(host) and embedded


def check_development_sign_in(config: Mapping[str, Any]) -> None:
    """Refuse to start with the development sign-in outside the embedded demo: it lets
    anyone continue as anyone."""
    if config.get("DEV_SIGN_IN") and not demo_configuration(config):
        raise ConfigurationError(
            "BADGESERVICE_DEV_SIGN_IN: the development sign-in exists only in the embedded "
            "demo (`badgeservice demo` on a loopback address with its SQLite database); "
            "turn it off"
        )


def check_mail_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start with an SMTP address the worker could not use: found when the
    service starts, not when the first notice is due."""
    from ..notices.sending import SmtpSettings

    url = str(config.get("SMTP_URL") or "")
    if url:
        try:
            SmtpSettings.from_url(url)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
    sender = str(config.get("MAIL_FROM") or "")
    if "@" not in sender or any(c in sender for c in "\r\n"):
        raise ConfigurationError(
            f"BADGESERVICE_MAIL_FROM: an e-mail address such as badges@example.org, not {sender!r}"
        )


def init_app(app: Flask) -> None:
    check_development_sign_in(app.config)
    check_mail_settings(app.config)
    from . import admin_access as _admin_access  # noqa: F401
    from . import admin_pages as _admin  # noqa: F401
    from . import audit_pages as _audit  # noqa: F401
    from . import bulk_pages as _bulk  # noqa: F401
    from . import email_sign_in as _email_sign_in  # noqa: F401
    from . import errors, i18n, session
    from . import evidence_pages as _evidence  # noqa: F401
    from . import learner as _learner  # noqa: F401
    from . import oauth_pages as _oauth  # noqa: F401
    from . import pages as _pages  # noqa: F401
    from . import personal_pages as _personal  # noqa: F401
    from . import privacy_pages as _privacy  # noqa: F401
    from . import push_pages as _push  # noqa: F401
    from . import reserve_pages as _reserve  # noqa: F401
    from . import settings_pages as _settings  # noqa: F401
    from . import shortcuts as _shortcuts  # noqa: F401
    from . import signin_views as _signin  # noqa: F401
    from . import team as _team  # noqa: F401
    from . import verify_views as _verify  # noqa: F401
    from .base import init_headers, web

    session.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    init_headers(app)

    app.register_blueprint(web)
    _template_globals(app)


def _template_globals(app: Flask) -> None:
    import hashlib
    from pathlib import Path

    from flask import g, url_for

    from .. import __version__
    from ..access.roles import Role
    from . import texts
    from .session import visitor_for

    static = Path(__file__).resolve().parent / "static"
    versions = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in static.iterdir()
        if path.is_file()
    }

    def asset_url(name: str) -> str:
        # The content's hash in the URL: a new release never meets a stale cached copy.
        return url_for("web.static", filename=name, v=versions.get(name))

    app.jinja_env.globals.update(
        asset_url=asset_url,
        version=__version__,
        ROLE=Role,
        ROLE_NAMES=texts.ROLE_NAMES,
        ROLE_TEXTS=texts.ROLE_TEXTS,
        STATUS_NAMES=texts.STATUS_NAMES,
        PATH_KINDS=texts.PATH_KINDS,
        PUBLIC_NAME_TEXTS=texts.PUBLIC_NAME_TEXTS,
        CHECK_NAMES=texts.CHECK_NAMES,
        CLAIM_STATES=texts.CLAIM_STATES,
        EVENT_STATES=texts.EVENT_STATES,
        DELIVERY_STATES=texts.DELIVERY_STATES,
        TRIGGER_KINDS=texts.TRIGGER_KINDS,
        NOTICE_KINDS=texts.NOTICE_KINDS,
        BULK_STATES=texts.BULK_STATES,
        ROW_PROBLEMS=texts.ROW_PROBLEMS,
        CHECK_OUTCOMES=texts.CHECK_OUTCOMES,
        ERROR_TITLES=texts.ERROR_TITLES,
        ERROR_TEXTS=texts.ERROR_TEXTS,
        idle_minutes=max(1, int(app.config["SESSION_IDLE_TIMEOUT"]) // 60),
    )

    @app.context_processor
    def _visitor() -> dict[str, object]:
        organisation = g.get("organisation")
        return {"visitor": visitor_for(organisation) if organisation is not None else None}
