"""What notices are due, queued in the outbox (in the caller's transaction): a badge issued
(one notice for what one award issued, a path badge with the sub-goal that completed it),
a badge expiring (at the organisation's offsets, 30 and 7 days by default: the nearest one
reached), and a supervisor's weekly digest (only for those who turned it on)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ..issuing.models import Credential
from ..organisations.models import Organisation
from ..people.models import Person, TeamMember, TeamRole
from .models import Notice, NoticeKind, NoticeState

__all__ = [
    "DEFAULT_REMINDER_DAYS",
    "queue_digests",
    "queue_expiry_reminders",
    "queue_issued",
    "queue_issued_many",
    "queue_link",
    "wants",
]

DEFAULT_REMINDER_DAYS = (30, 7)
# Each kind's setting when the person has not chosen: the digest is asked for.
_DEFAULTS = {NoticeKind.ISSUED: True, NoticeKind.EXPIRY: True, NoticeKind.DIGEST: False}


def wants(person: Person, kind: str) -> bool:
    """Whether ``person`` gets notices of ``kind`` (and has an address to get them at)."""
    if not person.email or not person.active:
        return False
    chosen = (person.notice_settings or {}).get(kind)
    return bool(_DEFAULTS.get(NoticeKind(kind), False) if chosen is None else chosen)


def _queue(
    session: Session, person: Person, kind: str, key: str, payload: dict[str, object]
) -> Notice | None:
    if session.scalar(select(Notice.id).where(Notice.person_id == person.id, Notice.key == key)):
        return None
    notice = Notice(
        organisation_id=person.organisation_id,
        person_id=person.id,
        kind=kind,
        key=key,
        payload=payload,
    )
    session.add(notice)
    session.flush()
    return notice


def queue_issued(
    session: Session, person: Person, credentials: Sequence[Credential]
) -> Notice | None:
    """One notice for badges issued together (none when the person turned them off): a
    notice of the person's not sent yet and not yet tried takes these badges too, so a
    bulk award or a path badge with its last step is one e-mail, not many."""
    if not credentials or not wants(person, NoticeKind.ISSUED):
        return None
    ids = [str(credential.id) for credential in credentials]
    waiting = session.scalar(
        select(Notice)
        .where(
            Notice.person_id == person.id,
            Notice.kind == NoticeKind.ISSUED,
            Notice.state == NoticeState.PENDING,
            Notice.attempts == 0,
        )
        .order_by(Notice.created_at)
        .limit(1)
        .with_for_update()
    )
    if waiting is not None:
        waiting.payload = {"credentials": [*waiting.payload.get("credentials", []), *ids]}
        session.flush()
        return waiting
    return _queue(session, person, NoticeKind.ISSUED, f"issued:{ids[0]}", {"credentials": ids})


def queue_issued_many(
    session: Session, issued: Sequence[tuple[Person, Sequence[Credential]]]
) -> None:
    """:func:`queue_issued` for each (person, badges issued together) of a batch, in two
    statements: the people's waiting notices read (locked) in one, the new ones written in
    another (a new badge's key is new, so no notice can hold it yet)."""
    wanting = [(p, creds) for p, creds in issued if creds and wants(p, NoticeKind.ISSUED)]
    if not wanting:
        return
    waiting: dict[object, Notice] = {}
    for notice in session.scalars(
        select(Notice)
        .where(
            Notice.person_id.in_(sorted({person.id for person, _ in wanting})),
            Notice.kind == NoticeKind.ISSUED,
            Notice.state == NoticeState.PENDING,
            Notice.attempts == 0,
        )
        .order_by(Notice.created_at)
        .with_for_update()
    ):
        waiting.setdefault(notice.person_id, notice)
    for person, credentials in wanting:
        ids = [str(credential.id) for credential in credentials]
        earlier = waiting.get(person.id)
        if earlier is not None:
            earlier.payload = {"credentials": [*earlier.payload.get("credentials", []), *ids]}
            continue
        waiting[person.id] = Notice(
            organisation_id=person.organisation_id,
            person_id=person.id,
            kind=NoticeKind.ISSUED,
            key=f"issued:{ids[0]}",
            payload={"credentials": ids},
        )
        session.add(waiting[person.id])


def queue_link(session: Session, person: Person, kind: str, token_id: str) -> Notice | None:
    """A link the person asked for (``verify`` or ``sign-in``), mailed to the address its
    token names: always sent (no setting turns off what one asks for), also to a person
    who has left."""
    payload: dict[str, object] = {"token": token_id}
    return _queue(session, person, kind, f"{kind}:{token_id}", payload)


def _offsets(organisation: Organisation) -> list[int]:
    return sorted(set(organisation.reminder_days or DEFAULT_REMINDER_DAYS))


def queue_expiry_reminders(session: Session, now: datetime) -> int:
    """A reminder for each valid badge that reached one of its organisation's offsets
    before its ``validUntil`` (the nearest offset reached; each offset once)."""
    queued = 0
    for organisation in session.scalars(select(Organisation)):
        offsets = _offsets(organisation)
        if not offsets:
            continue
        horizon = now + timedelta(days=max(offsets))
        rows = session.execute(
            select(Credential, Person)
            .join(Person, Person.id == Credential.person_id)
            .where(
                Credential.organisation_id == organisation.id,
                Credential.revoked_at.is_(None),
                Credential.reissued_from_id.is_(None),  # its original's reminder says it
                and_(Credential.valid_until > now, Credential.valid_until <= horizon),
            )
        )
        for credential, person in rows:
            assert credential.valid_until is not None
            left = credential.valid_until - now
            days = min(offset for offset in offsets if left <= timedelta(days=offset))
            if not wants(person, NoticeKind.EXPIRY):
                continue
            key = f"expiry:{credential.id}:{days}"
            payload = {"credential": str(credential.id), "days": days}
            queued += _queue(session, person, NoticeKind.EXPIRY, key, payload) is not None
    return queued


def queue_digests(session: Session, now: datetime) -> int:
    """This week's digest for every supervisor who asked for one (once a week, from
    Monday on)."""
    year, week, _ = now.isocalendar()
    supervisors = session.scalars(
        select(Person)
        .where(
            Person.id.in_(
                select(TeamMember.person_id).where(TeamMember.role == TeamRole.SUPERVISOR)
            ),
            Person.active,
        )
        .order_by(Person.id)
    )
    queued = 0
    since = (now - timedelta(days=7)).isoformat()
    for person in supervisors:
        if wants(person, NoticeKind.DIGEST):
            key = f"digest:{year}-W{week:02d}"
            queued += _queue(session, person, NoticeKind.DIGEST, key, {"since": since}) is not None
    return queued
