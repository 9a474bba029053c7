"""Languages of the pages: Finnish, Swedish and English (gettext catalogs via Flask-Babel).

The language is the signed-in person's setting, else the one chosen on the page (kept in
the session), else the browser's ``Accept-Language``, else ``DEFAULT_LANGUAGE``. Dates,
times and numbers follow it (Finnish ``4.12.2026``, ``1 234``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel import dates, numbers
from flask import Flask, current_app, g, session
from flask import request as flask_request
from flask_babel import Babel, get_locale, get_timezone

__all__ = ["LANGUAGES", "current_language", "init_app", "select_language"]

#: Each language in its own name, in the order the switcher shows them.
LANGUAGES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# English pages write dates and times the European way (4 Dec 2026, 14:05), as the
# organisations using them do; the other languages use their own conventions.
_FORMATS = {"fi": "fi_FI", "sv": "sv_SE", "en": "en_GB"}


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


def _formats() -> str:
    return _FORMATS.get(current_language(), "en_GB")


def _date(value: date | datetime | None) -> str:
    """A date in the page's language: 4.12.2026, 4 dec. 2026, 4 Dec 2026 (a moment is
    first put in the configured time zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(get_timezone())
    return str(dates.format_date(value, "medium", locale=_formats()))


def _time(value: datetime | None) -> str:
    """A time of day in the configured time zone: 14.05 (fi), 14:05."""
    if value is None:
        return ""
    return str(dates.format_time(value, "short", tzinfo=get_timezone(), locale=_formats()))


def _number(value: float | int) -> str:
    return str(numbers.format_decimal(value, locale=_formats()))


def _translated(row: Any, field: str) -> Any:
    """``row``'s ``field`` in the page's language where it is written in it (rows with
    texts in several languages), else as stored: ``{{ organisation|tr("name") }}``."""
    text = getattr(row, "text", None)
    return text(field, current_language()) if callable(text) else getattr(row, field)


def init_app(app: Flask) -> None:
    language = app.config["DEFAULT_LANGUAGE"]
    if language not in LANGUAGES:
        from ..config import ConfigurationError

        raise ConfigurationError(
            f"BADGESERVICE_DEFAULT_LANGUAGE: choose from {', '.join(LANGUAGES)}, not {language!r}"
        )
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(app.config["TIMEZONE"]))
    except (ZoneInfoNotFoundError, ValueError):
        from ..config import ConfigurationError

        raise ConfigurationError(
            f"BADGESERVICE_TIMEZONE: {app.config['TIMEZONE']!r} is not a time zone name"
        ) from None
    Babel(
        app,
        locale_selector=select_language,
        default_locale=language,
        default_timezone=app.config["TIMEZONE"],
        default_translation_directories=str(TRANSLATIONS),
    )
    app.jinja_env.filters.update(date=_date, time=_time, number=_number, tr=_translated)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=current_language)
