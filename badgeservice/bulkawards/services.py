"""Bulk awards: read and check a file into a preview (nothing issued), confirm it, and
process its rows in batches (each row an award of its own, in a savepoint, so one refused
row never undoes another). Resolving a file of 10,000 rows takes a few queries, not one
per row."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..achievements.models import Achievement, AchievementVersion
from ..audit.services import record, target_of
from ..awards.awarding import award
from ..awards.signals import awarded
from ..credentials import ob3
from ..db import utcnow
from ..errors import AppError, Conflict, NotFound
from ..issuing.holdings import valid_credential
from ..issuing.models import Credential
from ..issuing.services import IssuingService
from ..paths.models import Path, SubGoal
from ..people.models import Person
from .models import BulkAward, BulkRow, BulkState, RowOutcome
from .reading import Line, read_lines

__all__ = ["Counts", "confirm", "counts", "create_preview", "get_bulk", "process_batch"]

BATCH = 100


def _people(session: Session, organisation_id: uuid.UUID, refs: Iterable[str]) -> dict[str, Person]:
    refs = set(refs)
    emails = {ref.lower() for ref in refs if "@" in ref}
    numbers = {ref for ref in refs if "@" not in ref}
    found: dict[str, Person] = {}
    query = select(Person).where(Person.organisation_id == organisation_id)
    if emails:
        for person in session.scalars(query.where(func.lower(Person.email).in_(emails))):
            found[(person.email or "").lower()] = person
    if numbers:
        for person in session.scalars(query.where(Person.employee_number.in_(numbers))):
            found[person.employee_number or ""] = person
    return found


def _badges(
    session: Session, organisation_id: uuid.UUID, refs: Iterable[str]
) -> dict[str, tuple[uuid.UUID, uuid.UUID | None]]:
    """Each badge reference → (achievement id, sub-goal id or None)."""
    refs = set(refs)
    found: dict[str, tuple[uuid.UUID, uuid.UUID | None]] = {}
    slugs = {ref for ref in refs if "/" not in ref}
    if slugs:
        rows = session.execute(
            select(Achievement.slug, Achievement.id).where(
                Achievement.organisation_id == organisation_id, Achievement.slug.in_(slugs)
            )
        )
        found.update({slug: (achievement_id, None) for slug, achievement_id in rows})
    paths = {ref.split("/", 1)[0] for ref in refs if "/" in ref}
    if paths:
        goals = session.execute(
            select(Path.slug, SubGoal.slug, SubGoal.achievement_id, SubGoal.id)
            .join(Path, Path.id == SubGoal.path_id)
            .where(Path.organisation_id == organisation_id, Path.slug.in_(paths))
        )
        for path, goal, achievement, goal_id in goals:
            if f"{path}/{goal}" in refs:
                found[f"{path}/{goal}"] = (achievement, goal_id)
    return found


def _held(session: Session, person_ids: set[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    if not person_ids:
        return set()
    rows = session.execute(
        select(Credential.person_id, AchievementVersion.achievement_id)
        .join(AchievementVersion, AchievementVersion.id == Credential.achievement_version_id)
        .where(Credential.person_id.in_(person_ids), valid_credential())
    )
    return {(person_id, achievement_id) for person_id, achievement_id in rows}


def create_preview(
    session: Session, organisation_id: uuid.UUID, creator: Person | None, filename: str, data: bytes
) -> BulkAward:
    """Read and check the file (:class:`~.reading.BulkFileError` for an unusable one) into
    a preview: every row resolved or given its problem; nothing is issued."""
    lines = read_lines(data)
    people = _people(session, organisation_id, (line.person for line in lines))
    badges = _badges(session, organisation_id, (line.badge for line in lines))
    held = _held(session, {person.id for person in people.values()})
    bulk = BulkAward(
        organisation_id=organisation_id,
        created_by_id=creator.id if creator else None,
        filename=filename[:255] or "upload.csv",
        sha256=hashlib.sha256(data).hexdigest(),
        total=len(lines),
    )
    seen: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for line in lines:
        row = _row(line, people, badges, seen)
        if row.problem is None and row.person_id and row.achievement_id:
            row.held = (row.person_id, row.achievement_id) in held
        bulk.rows.append(row)
    bulk.invalid = sum(row.problem is not None for row in bulk.rows)
    session.add(bulk)
    session.flush()
    return bulk


def _row(
    line: Line,
    people: dict[str, Person],
    badges: dict[str, tuple[uuid.UUID, uuid.UUID | None]],
    seen: dict[tuple[uuid.UUID, uuid.UUID], int],
) -> BulkRow:
    person = people.get(line.person.lower() if "@" in line.person else line.person)
    badge = badges.get(line.badge)
    row = BulkRow(
        line=line.line,
        person_ref=line.person[:320],
        badge_ref=line.badge[:200],
        narrative=line.narrative,
        evidence_url=line.evidence_url,
        person_id=person.id if person else None,
        achievement_id=badge[0] if badge else None,
        sub_goal_id=badge[1] if badge else None,
    )
    url = line.evidence_url
    if person is None:
        row.problem = "unknown-person"
    elif not person.active:
        row.problem = "inactive-person"
    elif badge is None:
        row.problem = "unknown-badge"
    elif url is not None and (
        not url.lower().startswith(("https://", "http://")) or len(url) > 2000
    ):
        row.problem = "bad-link"
    elif line.narrative is not None and len(line.narrative) > 5000:
        row.problem = "too-long"
    elif (person.id, badge[0]) in seen:
        row.problem, row.message = "repeat", str(seen[(person.id, badge[0])])
    else:
        seen[(person.id, badge[0])] = line.line
    return row


def get_bulk(session: Session, organisation_id: uuid.UUID, bulk_id: uuid.UUID) -> BulkAward:
    bulk = session.get(BulkAward, bulk_id)
    if bulk is None or bulk.organisation_id != organisation_id:
        raise NotFound("no such bulk award")
    return bulk


def confirm(session: Session, bulk: BulkAward) -> BulkAward:
    """Queue a previewed bulk award; confirming twice changes nothing the second time
    (decided by the database: of two concurrent confirmations one changes the row)."""
    changed = session.execute(
        update(BulkAward)
        .where(BulkAward.id == bulk.id, BulkAward.state == BulkState.PREVIEW)
        .values(state=BulkState.QUEUED, confirmed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(changed, "rowcount", 0):
        raise Conflict("this bulk award was confirmed already")
    session.refresh(bulk)
    record(session, bulk.organisation_id, "bulk.confirmed", target_of("bulk", bulk.id), {})
    return bulk


@dataclass(frozen=True)
class Counts:
    total: int
    invalid: int
    processed: int
    issued: int
    held: int
    failed: int

    @property
    def to_process(self) -> int:
        return self.total - self.invalid


def counts(session: Session, bulk: BulkAward) -> Counts:
    outcomes = dict(
        session.execute(
            select(BulkRow.outcome, func.count())
            .where(BulkRow.bulk_id == bulk.id, BulkRow.outcome.is_not(None))
            .group_by(BulkRow.outcome)
        ).all()
    )
    processed = sum(outcomes.values())
    return Counts(
        bulk.total,
        bulk.invalid,
        processed,
        outcomes.get(RowOutcome.ISSUED, 0),
        outcomes.get(RowOutcome.HELD, 0),
        outcomes.get(RowOutcome.FAILED, 0),
    )


def process_batch(session: Session, issuing: IssuingService, limit: int = BATCH) -> int:
    """Award up to ``limit`` open rows of confirmed bulk awards (rows locked, skipping
    those another worker holds); a bulk award with none left is done. Returns the rows
    processed."""
    rows = list(
        session.scalars(
            select(BulkRow)
            .join(BulkAward, BulkAward.id == BulkRow.bulk_id)
            .where(
                BulkAward.state == BulkState.QUEUED,
                BulkRow.outcome.is_(None),
                BulkRow.problem.is_(None),
            )
            .order_by(BulkAward.confirmed_at, BulkRow.line)
            .limit(limit)
            .with_for_update(skip_locked=True, of=BulkRow)
        )
    )
    for row in rows:
        _award_row(session, issuing, row)
    _finish(session, {row.bulk_id for row in rows} or None)
    return len(rows)


def _award_row(session: Session, issuing: IssuingService, row: BulkRow) -> None:
    person = session.get(Person, row.person_id)
    evidence: tuple[ob3.Evidence, ...] = ()
    if row.narrative or row.evidence_url:
        evidence = (ob3.Evidence(id=row.evidence_url, narrative=row.narrative),)
    try:
        with session.begin_nested():
            assert person is not None
            outcome = award(
                session,
                issuing,
                person=person,
                sub_goal_id=row.sub_goal_id,
                achievement_id=None if row.sub_goal_id else row.achievement_id,
                awarded_by=f"bulk:{row.bulk_id}",
                evidence=evidence,
            )
    except AppError as error:
        row.outcome, row.message = RowOutcome.FAILED, error.detail[:2000]
        return
    row.outcome = RowOutcome.ISSUED if outcome.created else RowOutcome.HELD
    row.credential_id = outcome.credential.id
    if outcome.created:  # completions that waited for this badge may go on now
        awarded.send(session=session, person_id=person.id)


def _finish(session: Session, bulk_ids: set[uuid.UUID] | None) -> None:
    """Mark done the queued bulk awards with no open row (all of them when ``None``)."""
    query = select(BulkAward).where(BulkAward.state == BulkState.QUEUED)
    if bulk_ids is not None:
        query = query.where(BulkAward.id.in_(bulk_ids))
    for bulk in session.scalars(query):
        open_rows = session.scalar(
            select(func.count()).where(
                BulkRow.bulk_id == bulk.id, BulkRow.outcome.is_(None), BulkRow.problem.is_(None)
            )
        )
        if not open_rows:
            bulk.state, bulk.finished_at = BulkState.DONE, utcnow()
    session.flush()
