"""Everything held about one person, section by section, as JSON-ready rows.

Each section is a table and the rows of it about the person; a row is dumped whole (every
column, by its column name), so a column added later is exported without a change here.
Binary columns (evidence file bytes) and signed documents are not inlined: the archive
writes them as files beside the JSON and the rows name those files.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, Table, and_, func, or_, select
from sqlalchemy.orm import Session

from ..access import models as _access  # noqa: F401 - registers the tables
from ..awards.progress import person_progress
from ..bulkawards import models as _bulk  # noqa: F401
from ..db import Base
from ..evidence import models as _evidence  # noqa: F401
from ..hr import models as _hr  # noqa: F401
from ..ingest import models as _ingest  # noqa: F401
from ..notices import models as _notices  # noqa: F401
from ..obapi import models as _obapi  # noqa: F401
from ..organisations import models as _organisations  # noqa: F401
from ..people.models import Person
from ..portability import models as _portability  # noqa: F401
from ..sharing import models as _sharing  # noqa: F401
from .mentions import identifiers_of

__all__ = [
    "SECTIONS",
    "Section",
    "jsonable",
    "profile_of",
    "progress_of",
    "rows_of",
    "section_rows",
]

Where = Callable[[Table, Person], ColumnElement[bool]]


def _tables() -> dict[str, Table]:
    return dict(Base.metadata.tables)


def _by_person(table: Table, person: Person) -> ColumnElement[bool]:
    return table.c.person_id == person.id


def _via(parent: str, key: str, parent_where: Where) -> Where:
    """Rows whose ``key`` names a row of ``parent`` about the person."""

    def where(table: Table, person: Person) -> ColumnElement[bool]:
        owner = _tables()[parent]
        return table.c[key].in_(select(owner.c.id).where(parent_where(owner, person)))

    return where


def _own_paths(table: Table, person: Person) -> ColumnElement[bool]:
    return table.c.person_id == person.id


def _audit(table: Table, person: Person) -> ColumnElement[bool]:
    """Entries about the person, and entries of what they did."""
    return or_(
        table.c.target.contains(str(person.id), autoescape=True),
        and_(table.c.actor_kind == "person", table.c.actor_id == str(person.id)),
    )


def _inbox(table: Table, person: Person) -> ColumnElement[bool]:
    """Events matched to the person, and events whose payload names them (one parked
    before they were known, or naming them by an identifier matched to nobody)."""
    named = [
        func.lower(table.c.raw).contains(needle.lower(), autoescape=True)
        for needle in identifiers_of(person)
    ]
    return and_(
        table.c.organisation_id == person.organisation_id,
        or_(table.c.person_id == person.id, *named),
    )


@dataclass(frozen=True)
class Section:
    """One list of the export: a table's rows about the person."""

    name: str
    table: str
    where: Where
    order: str = "id"


SECTIONS: tuple[Section, ...] = (
    Section("lmsAccounts", "lms_accounts", _by_person),
    Section("teamMemberships", "team_members", _by_person),
    Section("roleGrants", "role_grants", _by_person),
    Section("signInIdentities", "sign_in_identities", _by_person),
    Section("sessions", "web_sessions", _by_person, "created_at"),
    Section("credentials", "credentials", _by_person, "issued_at"),
    Section(
        "credentialShares",
        "credential_shares",
        _via("credentials", "credential_id", _by_person),
        "credential_id",
    ),
    Section("ownPaths", "paths", _own_paths),
    Section("pathReviews", "path_reviews", _via("paths", "path_id", _own_paths), "created_at"),
    Section("evidenceClaims", "evidence_claims", _by_person, "submitted_at"),
    Section(
        "evidenceFiles",
        "evidence_files",
        _via("evidence_claims", "claim_id", _by_person),
        "position",
    ),
    Section("recognitions", "recognitions", _by_person, "created_at"),
    Section("holdings", "competence_holdings", _by_person),
    Section("inboxEvents", "inbound_events", _inbox, "received_at"),
    Section("competenceEvents", "competence_events", _by_person, "seq"),
    Section("deliveries", "deliveries", _by_person, "created_at"),
    Section(
        "deliveryAttempts",
        "delivery_attempts",
        _via("deliveries", "delivery_id", _by_person),
        "attempted_at",
    ),
    Section("notices", "notices", _by_person, "created_at"),
    Section("bulkAwardRows", "bulk_award_rows", _by_person),
    Section("auditEntries", "audit_events", _audit, "at"),
    Section("signInLinks", "sign_in_tokens", _by_person, "created_at"),
    Section("connectedServices", "oauth_grants", _by_person, "created_at"),
    Section("storedCredentials", "stored_credentials", _by_person, "created_at"),
)


def jsonable(value: Any) -> Any:
    """A column value as JSON: ids and times as text, JSON columns as they are."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return value


def rows_of(
    session: Session, table: Table, where: ColumnElement[bool], order: str
) -> Iterator[dict[str, Any]]:
    """The rows, every column but binary ones, one at a time."""
    columns = [c for c in table.columns if not isinstance(c.type, LargeBinary)]
    statement = select(*columns).where(where).order_by(table.c[order])
    for row in session.execute(statement).mappings():
        yield {key: jsonable(value) for key, value in row.items()}


def section_rows(session: Session, section: Section, person: Person) -> Iterator[dict[str, Any]]:
    table = _tables()[section.table]
    return rows_of(session, table, section.where(table, person), section.order)


def profile_of(session: Session, person: Person) -> dict[str, Any]:
    """The person's own row, whole."""
    table = _tables()["people"]
    return next(rows_of(session, table, table.c.id == person.id, "id"))


def progress_of(session: Session, person: Person) -> list[dict[str, Any]]:
    """Every path the person is on, with each step and whether it is achieved."""
    found = []
    for entry in person_progress(session, person):
        steps = [
            {
                "subGoalId": str(goal.id),
                "slug": goal.slug,
                "name": goal.name,
                "required": required,
                "achieved": goal.id in entry.achieved,
            }
            for required, goals in ((True, entry.required), (False, entry.optional))
            for goal in goals
        ]
        found.append(
            {
                "pathId": str(entry.path.id),
                "slug": entry.path.slug,
                "name": entry.path.name,
                "kind": entry.path.kind,
                "complete": entry.complete,
                "share": round(entry.share, 4),
                "steps": steps,
            }
        )
    return found
