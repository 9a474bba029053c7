"""Erasing a person: in the caller's one transaction, their personal data is removed or
irreversibly anonymised, the person row stays as a tombstone (``erased_at`` set), their
credentials stay verifiable and revocable, and HR is told (``person.erased``). The report
says what was removed and what was kept, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..audit.models import AuditEvent
from ..audit.services import allow_rewriting
from ..bulkawards.models import BulkRow
from ..db import Base, utcnow
from ..errors import Conflict
from ..evidence.models import EvidenceClaim, EvidenceFile
from ..hr.recognitions.erasure import anonymise_events, publish_person_erased
from ..ingest.models import EventState, InboundEvent
from ..issuing.models import Credential
from ..organisations.models import ApiClient
from ..organisations.services import record_event
from ..people.models import Person
from ..sharing.models import CredentialShare
from .mentions import identifiers_of, scrub_mentions
from .personal import DELETED_ROWS, KEPT, PERSON_FIELDS, PLACEHOLDER

__all__ = ["ErasureReport", "erase_person", "is_confirmed"]

_UNSETTLED = (EventState.RECEIVED, EventState.PARKED, EventState.FAILED)


@dataclass
class ErasureReport:
    """What erasure did: ``removed`` (what → how many), ``kept`` (what → why)."""

    person_id: str
    erased_at: datetime
    removed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=lambda: dict(KEPT))
    hr_event_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "personId": self.person_id,
            "erasedAt": self.erased_at.isoformat(),
            "removed": self.removed,
            "kept": self.kept,
            "hrEventId": self.hr_event_id,
        }


def is_confirmed(person: Person, typed: str) -> bool:
    """Whether ``typed`` is the person's employee number or full name (case and spaces
    aside): an admin has to type one to erase them."""
    wanted = {
        " ".join(value.split()).casefold()
        for value in (
            person.employee_number,
            " ".join(n for n in (person.given_name, person.family_name) if n),
        )
        if value and value.strip()
    }
    return " ".join(typed.split()).casefold() in wanted


def _scrub_own_audit(session: Session, person: Person) -> int:
    """The entries of what the person did keep the action and its time; who (the name at
    the time) and from where (address, browser) go."""
    result = session.execute(
        update(AuditEvent)
        .where(
            AuditEvent.organisation_id == person.organisation_id,
            AuditEvent.actor_kind == "person",
            AuditEvent.actor_id == str(person.id),
        )
        .values(actor=PLACEHOLDER, ip=None, user_agent=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def erase_person(session: Session, person: Person, actor: str) -> ErasureReport:
    """Erase ``person`` (see the module); 409 when they already were."""
    # Hold the person (PostgreSQL: a concurrent erasure or award waits), then read them
    # again: one that waited finds them erased.
    session.execute(select(Person.id).where(Person.id == person.id).with_for_update())
    session.refresh(person)
    if person.erased_at is not None:
        raise Conflict(f"person {person.id} was already erased on {person.erased_at:%Y-%m-%d}")
    now = utcnow()
    report = ErasureReport(person_id=str(person.id), erased_at=now)
    needles = identifiers_of(person)
    removed = report.removed
    removed["inbox payloads"] = _scrub_inbox(session, person, needles, now)
    removed.update(_scrub_evidence(session, person))
    removed["bulk award lines"] = _scrub_bulk_rows(session, person)
    removed["credential sharing settings"] = _drop_shares(session, person)
    removed["team:read clients revoked"] = _revoke_clients(session, person, now)
    for table, column in DELETED_ROWS.items():
        target = Base.metadata.tables[table]
        result = session.execute(delete(target).where(target.c[column] == person.id))
        removed[table.replace("_", " ")] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    events = anonymise_events(session, person.id)
    removed["identifiers in HR events"] = events.events
    removed["undelivered HR deliveries rewritten"] = events.waiting_deliveries
    allow_rewriting(session)  # the audit trail is append-only but for erasure and retention
    removed["audit entries of their own actions"] = _scrub_own_audit(session, person)
    for key, count in scrub_mentions(session, person, needles).items():
        removed[f"mentions in {key}"] = count
    for column, value in PERSON_FIELDS.items():
        setattr(person, column, value)
    person.erased_at = now
    session.flush()
    report.hr_event_id = str(
        publish_person_erased(session, person.organisation_id, person.id, now).id
    )
    removed["personal fields of the person"] = len(PERSON_FIELDS)
    record_event(
        session,
        person.organisation_id,
        actor,
        "person.erased",
        f"person {person.id}",
        {"removed": {key: count for key, count in removed.items() if count}},
    )
    return report


def _scrub_inbox(session: Session, person: Person, needles: list[str], now: datetime) -> int:
    """Inbound events of the person, or naming them (a parked event names an unknown
    person only in its payload): the raw payload becomes a note; an event not settled
    yet is ignored from now on (it would match nobody, or the wrong person)."""
    named = [func.lower(InboundEvent.raw).contains(n.lower(), autoescape=True) for n in needles]
    rows = session.scalars(
        select(InboundEvent).where(
            InboundEvent.organisation_id == person.organisation_id,
            or_(InboundEvent.person_id == person.id, *named),
        )
    ).all()
    for event in rows:
        event.raw = f"(removed on {now:%Y-%m-%d}: the person this event named was erased)"
        event.normalized = {"erased": True}
        if event.state in _UNSETTLED:
            event.state = EventState.IGNORED
            event.reason = "the person was erased"
    return len(rows)


def _scrub_evidence(session: Session, person: Person) -> dict[str, int]:
    """Evidence: files deleted, the claims' texts and links cleared (decisions stay)."""
    claims = select(EvidenceClaim.id).where(EvidenceClaim.person_id == person.id)
    files = session.execute(delete(EvidenceFile).where(EvidenceFile.claim_id.in_(claims)))
    texts = session.execute(
        update(EvidenceClaim)
        .where(EvidenceClaim.person_id == person.id)
        .values(narrative="", url=None, reason=None)
    )
    return {
        "evidence files": int(files.rowcount or 0),  # type: ignore[attr-defined]
        "evidence texts and links": int(texts.rowcount or 0),  # type: ignore[attr-defined]
    }


def _scrub_bulk_rows(session: Session, person: Person) -> int:
    """Bulk award lines about the person: the identifier they were named by, the
    narrative and the link (the line and its outcome stay)."""
    result = session.execute(
        update(BulkRow)
        .where(BulkRow.person_id == person.id)
        .values(person_ref=PLACEHOLDER, narrative=None, evidence_url=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _revoke_clients(session: Session, person: Person, now: datetime) -> int:
    """A supervisor's team:read clients stop working with them."""
    result = session.execute(
        update(ApiClient)
        .where(ApiClient.supervisor_id == person.id, ApiClient.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _drop_shares(session: Session, person: Person) -> int:
    """Every credential of the person goes back to private (nobody is left to show)."""
    own = select(Credential.id).where(Credential.person_id == person.id)
    result = session.execute(delete(CredentialShare).where(CredentialShare.credential_id.in_(own)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
