"""Languages of the pages: Finnish, Swedish and English (gettext catalogs via Flask-Babel).

The language is the signed-in person's setting, else the one chosen on the page (kept in
the session), else the browser's ``Accept-Language``, else ``DEFAULT_LANGUAGE``. Dates,
times and numbers follow it (Finnish ``4.12.2026``, ``1 234``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import Flask, current_app, g, session
from flask import request as flask_request
from flask_babel import Babel, format_date, format_decimal, format_time, get_locale

__all__ = ["LANGUAGES", "current_language", "init_app", "select_language"]

#: Each language in its own name, in the order the switcher shows them.
LANGUAGES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_language() -> str:
    """The language of this request (Flask-Babel's locale selector)."""
    if "page_language" in g:
        chosen: str = g.page_language
        return chosen
    from .session import current_visitor

    visitor = current_visitor()
    language = visitor.person.locale if visitor is not None else None
    if language not in LANGUAGES:
        language = session.get("lang")
    if language not in LANGUAGES:
        language = flask_request.accept_languages.best_match(
            list(LANGUAGES), default=current_app.config["DEFAULT_LANGUAGE"]
        )
    if language not in LANGUAGES:
        language = "en"
    g.page_language = language
    return language


def current_language() -> str:
    return str(get_locale() or "en")


def _date(value: date | datetime | None) -> str:
    """A date in the page's language: 4.12.2026, 4 dec. 2026, Dec 4, 2026."""
    if value is None:
        return ""
    return str(format_date(value, "medium"))


def _time(value: datetime | None) -> str:
    return "" if value is None else str(format_time(value, "short"))


def _number(value: float | int) -> str:
    return str(format_decimal(value))


def init_app(app: Flask) -> None:
    language = app.config["DEFAULT_LANGUAGE"]
    if language not in LANGUAGES:
        from ..config import ConfigurationError

        raise ConfigurationError(
            f"BADGESERVICE_DEFAULT_LANGUAGE: choose from {', '.join(LANGUAGES)}, not {language!r}"
        )
    Babel(
        app,
        locale_selector=select_language,
        default_locale=language,
        default_timezone=app.config["TIMEZONE"],
        default_translation_directories=str(TRANSLATIONS),
    )
    app.jinja_env.filters.update(date=_date, time=_time, number=_number)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=current_language)
