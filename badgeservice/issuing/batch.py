"""Issuing many credentials at once (a worker's batch): the occurrences already issued read
in one query, the status entries drawn in two per issuer, every credential built and signed,
then all inserted in one statement, their issue recorded in the audit trail.

What cannot be issued this way is left to :meth:`IssuingService.issue` one by one: an
issuer whose list has no room, and a credential whose row the database refused (another
transaction issued the same occurrence, or drew the same status index, meanwhile)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Executable, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from ..achievements.models import AchievementVersion
from ..credentials import ob3
from ..credentials.errors import CredentialError
from ..db import Base, utcnow
from ..errors import AppError
from ..issuers.models import StatusList
from .documents import Draft
from .models import Credential
from .services import IssuingService, _repetition
from .status import allocate_status, allocate_statuses

__all__ = ["Planned", "issue_batch", "issued_before"]


@dataclass(frozen=True)
class Planned:
    """One credential a batch issues: its draft, who awarded it and the evidence."""

    draft: Draft
    awarded_by: str | None
    evidence: tuple[ob3.Evidence, ...]


def issued_before(
    issuing: IssuingService, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]], occurrence: str
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Of the (person, achievement version) ``pairs``, those with any credential of
    ``occurrence`` (any repetition, whatever its state), in one query."""
    pairs = set(pairs)
    if not pairs:
        return set()
    rows = issuing.session.execute(
        select(
            Credential.person_id, Credential.achievement_version_id, Credential.occurrence
        ).where(
            Credential.person_id.in_(sorted({person for person, _ in pairs})),
            Credential.achievement_version_id.in_(sorted({version for _, version in pairs})),
        )
    ).all()
    return {
        (person, version)
        for person, version, found in rows
        if (person, version) in pairs and _repetition(occurrence, found) is not None
    }


def issue_batch(issuing: IssuingService, planned: Sequence[Planned]) -> list[Credential | None]:
    """Issue ``planned`` (none of whose occurrences is issued yet: see :func:`issued_before`):
    for each, its new credential (persistent in the session, its audit entry added) or None
    when it has to be issued on its own."""
    session = issuing.session
    if not planned:
        return []
    dialect = session.get_bind().dialect.name
    if dialect != "sqlite":
        # As IssuingService.issue: an edit of a version waits for the credentials of it.
        versions = sorted({item.draft.version.id for item in planned})
        session.execute(
            select(AchievementVersion.id)
            .where(AchievementVersion.id.in_(versions))
            .order_by(AchievementVersion.id)
            .with_for_update(read=True)
        )
    slots = _statuses(issuing, planned)
    now = utcnow().replace(microsecond=0)
    built = [_build(issuing, item, slots.get(n), now) for n, item in enumerate(planned)]
    rows = [_row(credential) for credential in built if credential is not None]
    inserted = set(session.scalars(_insert(dialect), rows)) if rows else set()
    issued: list[Credential | None] = []
    for item, credential in zip(planned, built, strict=True):
        if credential is None or credential.id not in inserted:
            issued.append(None)
            continue
        make_transient_to_detached(credential)
        session.add(credential)  # persistent: the row is there
        issuing.record_issued(credential, item.draft.achievement, item.draft.version)
        issued.append(credential)
    return issued


def _build(
    issuing: IssuingService,
    item: Planned,
    status: tuple[StatusList, int] | None,
    now: datetime,
) -> Credential | None:
    """The signed credential, or None when it has no status entry or cannot be built here
    (a document whose N-Quads orderings conflict, say): issued on its own, that refusal is
    the event's reason."""
    if status is None:
        return None
    try:
        return issuing.build(item.draft, item.awarded_by, item.evidence, status, now)
    except (AppError, CredentialError):
        return None


def _statuses(
    issuing: IssuingService, planned: Sequence[Planned]
) -> dict[int, tuple[StatusList, int]]:
    """A status entry for each planned credential (by its position) whose issuer's newest
    list has room for the issuer's share of the batch."""
    by_issuer: dict[uuid.UUID, list[int]] = defaultdict(list)
    for n, item in enumerate(planned):
        by_issuer[item.draft.issuer.id].append(n)
    slots: dict[int, tuple[StatusList, int]] = {}
    for positions in by_issuer.values():
        issuer = planned[positions[0]].draft.issuer
        found = allocate_statuses(issuing.issuers, issuer, len(positions))
        if found is None:
            # No list yet, or too little room left in the newest: the single way opens
            # the issuer's next list when it needs one, then the batch draws again.
            allocate_status(issuing.issuers, issuer)
            found = allocate_statuses(issuing.issuers, issuer, len(positions))
        if found is not None:
            status_list, indexes = found
            for n, index in zip(positions, indexes, strict=True):
                slots[n] = (status_list, index)
    return slots


def _row(credential: Credential) -> dict[str, object]:
    return {column.key: getattr(credential, column.key) for column in Credential.__table__.columns}


def _insert(dialect: str) -> Executable:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` into credentials: a row either
    uniqueness rule refuses is skipped, not an error, and its id does not come back."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Base.metadata.tables[Credential.__tablename__]
    return insert(table).on_conflict_do_nothing().returning(table.c.id)
