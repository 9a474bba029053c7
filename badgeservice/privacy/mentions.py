"""Finding and replacing a person's identifiers in text and JSON columns (the
:data:`~badgeservice.privacy.personal.MENTIONS` of erasure)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, cast, func, or_, select, true, update
from sqlalchemy.orm import Session

from ..db import Base
from ..people.models import Person
from .personal import MENTIONS, PLACEHOLDER, Mention

__all__ = ["identifiers_of", "replace_in", "scrub_mentions"]

# A single given or family name shorter than this is replaced only inside a full name.
_SHORTEST_NAME = 3


def identifiers_of(person: Person) -> list[str]:
    """What names the person, longest first (a full name before its parts)."""
    given, family = (person.given_name or "").strip(), (person.family_name or "").strip()
    found = {
        person.employee_number,
        person.email,
        person.external_id,
        person.user_name,
        person.did,
        f"{given} {family}".strip(),
        f"{family} {given}".strip(),
        f"{family}, {given}".strip(" ,"),
    }
    found |= {name for name in (given, family) if len(name) >= _SHORTEST_NAME}
    return sorted(
        {value.strip() for value in found if value and value.strip()}, key=len, reverse=True
    )


def _pattern(needles: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(needle) for needle in needles), re.IGNORECASE)


def replace_in(value: Any, pattern: re.Pattern[str]) -> Any:
    """``value`` with every mention replaced: text, or JSON walked to its strings."""
    if isinstance(value, str):
        return pattern.sub(PLACEHOLDER, value)
    if isinstance(value, list):
        return [replace_in(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: replace_in(item, pattern) for key, item in value.items()}
    return value


def _scope(table: Table, organisation_id: uuid.UUID) -> ColumnElement[bool]:
    """The organisation's rows (through the parent row for tables without the column)."""
    tables = Base.metadata.tables
    if "organisation_id" in table.c:
        return table.c.organisation_id == organisation_id
    for key, parent in (
        ("delivery_id", "deliveries"),
        ("bulk_id", "bulk_awards"),
        ("claim_id", "evidence_claims"),
    ):
        if key in table.c:
            owner = tables[parent]
            return table.c[key].in_(
                select(owner.c.id).where(owner.c.organisation_id == organisation_id)
            )
    return true()


def _forms(needle: str, as_json: bool) -> set[str]:
    """How the needle reads in the stored text: JSON escapes non-ASCII letters."""
    forms = {needle.lower()}
    if as_json:
        forms.add(json.dumps(needle.lower())[1:-1])
        forms.add(json.dumps(needle)[1:-1].lower())
    return forms


def _scrub(
    session: Session, mention: Mention, organisation_id: uuid.UUID, needles: list[str]
) -> int:
    table = Base.metadata.tables[mention.table]
    column = table.c[mention.column]
    text = func.lower(cast(column, Text)) if mention.json else func.lower(column)
    forms = {form for needle in needles for form in _forms(needle, mention.json)}
    matches = or_(*(text.contains(form, autoescape=True) for form in forms))
    (key,) = table.primary_key.columns
    pattern = _pattern(needles)
    changed = 0
    rows = session.execute(select(key, column).where(_scope(table, organisation_id), matches)).all()
    for row_key, value in rows:
        new = replace_in(value, pattern)
        if new != value:
            session.execute(update(table).where(key == row_key).values({mention.column: new}))
            changed += 1
    return changed


def scrub_mentions(session: Session, person: Person, needles: list[str]) -> dict[str, int]:
    """Replace the person's identifiers wherever :data:`MENTIONS` may hold them; the count
    of rows changed per ``table.column``."""
    if not needles:
        return {}
    counts = {}
    for mention in MENTIONS:
        changed = _scrub(session, mention, person.organisation_id, needles)
        if changed:
            counts[f"{mention.table}.{mention.column}"] = changed
    return counts
