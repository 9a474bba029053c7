"""Texts written in several languages in the definition files.

A field people read may be a plain string (the organisation's default language) or a table
of language → text. :class:`Translator` turns one entry's fields into the plain value (the
default language's text, which the rest of the service sorts and searches by) and the full
table, and warns about every language of ``languages`` a text is not written in, naming
file, key and languages. Warnings never stop a load: a missing translation falls back to
the default language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..languages import normal_tag
from .checks import Report
from .model import Translations

__all__ = ["Languages", "Translator"]


@dataclass(frozen=True)
class Languages:
    """The organisation's default language and the languages its texts are written in
    (the default first)."""

    default: str = "en"
    expected: tuple[str, ...] = ("en",)

    @classmethod
    def of(cls, organisation: dict[str, Any] | None) -> Languages:
        data = organisation or {}
        default = normal_tag(data.get("default_language") or "en")
        listed = [normal_tag(tag) for tag in data.get("languages") or ()]
        expected = [default, *(tag for tag in listed if tag != default)]
        return cls(default, tuple(expected))


class Translator:
    """The translated fields of one entry (``file``, at ``where``, such as
    ``achievements[3]``), collected into :attr:`texts`."""

    def __init__(self, report: Report, file: str, where: str, languages: Languages) -> None:
        self._report = report
        self._file = file
        self._where = where
        self._languages = languages
        self.texts: Translations = {}

    def __call__(self, field: str, value: Any, *, key: str | None = None) -> str:
        """The plain text of ``value`` (the default language's; a table without it gives
        its first expected language, else its first entry). ``field`` names the stored
        field, ``key`` the file's key where it differs (``criteria``)."""
        at = f"{self._where}.{key or field}" if self._where else key or field
        if value is None:
            return ""
        if isinstance(value, str):
            self._missing(at, [self._languages.default])
            return value
        table = {normal_tag(str(tag)): str(text) for tag, text in dict(value).items()}
        self.texts[field] = table
        self._missing(at, table)
        for tag in self._languages.expected:
            if tag in table:
                return table[tag]
        return next(iter(table.values()))

    def inherit(self, field: str, texts: Translations, source: str) -> None:
        """Take ``source``'s translations as ``field``'s (a sub-goal named by its badge)."""
        if source in texts:
            self.texts[field] = dict(texts[source])

    def _missing(self, at: str, written: Iterable[str]) -> None:
        present = set(written)
        missing = [tag for tag in self._languages.expected if tag not in present]
        if missing:
            self._report.warn(self._file, at, f"not translated into {', '.join(missing)}")
