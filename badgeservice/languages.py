"""Texts in several languages: what people read (names, descriptions, criteria) may be
written in any number of languages, and each reader is given the one that suits them.

A *translated text* is a mapping of BCP 47 language tag → text. A row keeps its texts in
one ``texts`` column, ``{field: {language: text}}``, beside the plain column of each field
(``name``, ``description`` …), which holds the text in the organisation's default language
and is what sorting, searching and older clients see.

Choosing a language (:func:`pick`) is forgiving the way people expect: ``sv-FI`` is served
the ``sv`` text and ``sv`` the ``sv-FI`` one; with no match the caller's fallback (the
organisation's default) decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

__all__ = [
    "TAG",
    "Texts",
    "TranslatedMixin",
    "accepted",
    "direction",
    "is_tag",
    "normal_tag",
    "pick",
    "pick_language",
    "reconcile",
]

#: BCP 47 language tags as people write them: a 2-3 letter language, then subtags
#: (script, region, variants) of 1-8 letters or digits. Private-use and grandfathered
#: tags are not accepted.
TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
_TAG = re.compile(TAG)

#: Languages written right to left (their primary subtags).
_RTL = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ku", "ps", "sd", "ug", "ur", "yi"})

Texts = dict[str, str]


def is_tag(value: object) -> bool:
    """Whether ``value`` is a language tag :data:`TAG` accepts."""
    return isinstance(value, str) and len(value) <= 35 and _TAG.match(value) is not None


def normal_tag(tag: str) -> str:
    """The usual case of a tag: ``sv-fi`` → ``sv-FI``, ``SR-latn`` → ``sr-Latn``."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            out.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


def direction(tag: str | None) -> str:
    """``rtl`` for a right-to-left language, else ``ltr``."""
    if not tag:
        return "ltr"
    return "rtl" if tag.split("-", 1)[0].lower() in _RTL else "ltr"


def pick_language(available: Iterable[str], wanted: Iterable[str | None]) -> str | None:
    """The first of ``wanted`` (in order of preference) that ``available`` serves: the same
    tag, else a tag with the same primary language. None when none matches."""
    tags = list(available)
    lowered = {tag.lower(): tag for tag in tags}
    for want in wanted:
        if not want:
            continue
        exact = lowered.get(want.lower())
        if exact is not None:
            return exact
        primary = want.split("-", 1)[0].lower()
        for tag in tags:
            if tag.split("-", 1)[0].lower() == primary:
                return tag
    return None


def accepted(header: Iterable[tuple[str, float]]) -> list[str]:
    """The languages of an ``Accept-Language`` header (werkzeug's parsed form), most
    wanted first; ``*`` and refused (``q=0``) ones left out."""
    return [value for value, quality in header if quality > 0 and value != "*" and is_tag(value)]


def pick(texts: Mapping[str, str] | None, *wanted: str | None) -> str | None:
    """The text of the first language of ``wanted`` that ``texts`` has (see
    :func:`pick_language`); None when none of them."""
    if not texts:
        return None
    chosen = pick_language(texts, wanted)
    return texts[chosen] if chosen is not None else None


class TranslatedMixin:
    """A ``texts`` column and :meth:`text`: the field in the reader's language."""

    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)

    def text(self, field: str, *languages: str | None) -> Any:
        """``field`` in the first of ``languages`` it is written in, else the plain column
        (the organisation's default language)."""
        found = pick((self.texts or {}).get(field), *languages)
        return found if found is not None else getattr(self, field)

    def languages_of(self, field: str) -> list[str]:
        """The languages ``field`` is written in (empty: only the plain text)."""
        return list(((self.texts or {}).get(field) or {}).keys())


def reconcile(
    plain: dict[str, Any],
    texts: Mapping[str, Mapping[str, str]],
    default: str,
    given: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Make plain fields and their translations agree on the ``default`` language's text:
    a plain field the caller ``given`` (or one whose table lacks the default) is that
    language's text; otherwise the table's default-language text becomes the plain one.
    Returns new plain values and translations; tables only for fields in ``plain``."""
    given = set(given)
    values = dict(plain)
    tables = {key: dict(table) for key, table in texts.items() if key in plain and table}
    for key, table in tables.items():
        text = values.get(key)
        if text and (key in given or default not in table):
            table[default] = text
        elif default in table:
            values[key] = table[default]
    return values, tables
