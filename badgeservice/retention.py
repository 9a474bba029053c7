"""Retention: the worker's purge of what an organisation keeps only for a while.

Per organisation (``retention_*_days``, README "Retention"):

- raw inbox payloads: an event processed, unmatched or ignored longer ago than
  ``retention_inbox_days`` keeps its row (id, connection, channel, external id, state,
  reason, dates, the credentials it led to) with its payload replaced by :data:`PURGED`;
  received, parked and failed events keep theirs (they are still to be processed);
- delivery attempts: the attempt rows older than ``retention_deliveries_days`` of a
  delivery that has ended (delivered or dead); a pending delivery keeps every attempt;
- audit entries older than ``retention_audit_days``.

Each run purges in batches, each its own transaction, and adds one audit entry per
organisation it purged something of (``retention.purged``, with the counts).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .audit.context import WORKER, acting
from .audit.models import AuditEvent
from .audit.services import allow_rewriting, record, target_of
from .db import database, session_scope, utcnow
from .hr.models import Delivery, DeliveryAttempt, DeliveryState
from .ingest.models import PURGED, EventState, InboundEvent
from .organisations.models import Organisation

__all__ = ["BATCH", "Purged", "RetentionStep", "purge_organisation"]

BATCH = 500
# Events whose raw payload may go: their processing is over.
_DONE = (EventState.PROCESSED, EventState.UNMATCHED, EventState.IGNORED)


@dataclass
class Purged:
    inbox: int = 0
    attempts: int = 0
    audit: int = 0
    by_organisation: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.inbox + self.attempts + self.audit


def _inbox_batch(session: Session, organisation: Organisation, now: datetime) -> int:
    cutoff = now - timedelta(days=organisation.retention_inbox_days)
    ids = list(
        session.scalars(
            select(InboundEvent.id)
            .where(
                InboundEvent.organisation_id == organisation.id,
                InboundEvent.state.in_(_DONE),
                InboundEvent.processed_at < cutoff,
                InboundEvent.raw != PURGED,
            )
            .limit(BATCH)
        )
    )
    if ids:
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(ids), InboundEvent.state.in_(_DONE))
            .values(raw=PURGED, normalized={})
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def _attempts_batch(session: Session, organisation: Organisation, now: datetime) -> int:
    cutoff = now - timedelta(days=organisation.retention_deliveries_days)
    ended = (
        select(Delivery.id)
        .where(
            Delivery.organisation_id == organisation.id,
            Delivery.state.in_((DeliveryState.DELIVERED, DeliveryState.DEAD)),
            Delivery.queued_at < cutoff,
        )
        .scalar_subquery()
    )
    ids = list(
        session.scalars(
            select(DeliveryAttempt.id)
            .where(DeliveryAttempt.delivery_id.in_(ended), DeliveryAttempt.attempted_at < cutoff)
            .limit(BATCH)
        )
    )
    if ids:
        session.execute(
            delete(DeliveryAttempt)
            .where(DeliveryAttempt.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def _audit_batch(session: Session, organisation: Organisation, now: datetime) -> int:
    cutoff = now - timedelta(days=organisation.retention_audit_days)
    ids = list(
        session.scalars(
            select(AuditEvent.id)
            .where(AuditEvent.organisation_id == organisation.id, AuditEvent.at < cutoff)
            .limit(BATCH)
        )
    )
    if ids:
        allow_rewriting(session)  # the append-only trigger lets this one deletion through
        session.execute(
            delete(AuditEvent)
            .where(AuditEvent.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    return len(ids)


_KINDS: dict[str, Callable[[Session, Organisation, datetime], int]] = {
    "inbox": _inbox_batch,
    "attempts": _attempts_batch,
    "audit": _audit_batch,
}


def purge_organisation(app: Flask, organisation_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """Purge what ``organisation_id`` keeps past its periods at ``now``, a batch per
    transaction; one audit entry when anything went. The counts by kind."""
    counts = dict.fromkeys(_KINDS, 0)
    db = database()
    for kind, batch in _KINDS.items():
        while True:
            with session_scope(db) as session:
                organisation = session.get(Organisation, organisation_id)
                if organisation is None:
                    return counts
                done = batch(session, organisation, now)
            counts[kind] += done
            if done < BATCH:
                break
    if any(counts.values()):
        with session_scope(db) as session:
            organisation = session.get(Organisation, organisation_id)
            assert organisation is not None
            record(
                session,
                organisation_id,
                "retention.purged",
                target_of("organisation", organisation_id, organisation.slug),
                {
                    **counts,
                    "inbox_days": organisation.retention_inbox_days,
                    "deliveries_days": organisation.retention_deliveries_days,
                    "audit_days": organisation.retention_audit_days,
                },
                at=now,
            )
    return counts


class RetentionStep:
    """The worker's step: purge every organisation at most once per ``every`` seconds."""

    def __init__(
        self,
        app: Flask,
        *,
        echo: Callable[[str], object] = print,
        clock: Callable[[], datetime] = utcnow,
        every: float = 3600.0,
    ) -> None:
        self.app, self.echo, self.clock, self.every = app, echo, clock, every
        self._ran_at = float("-inf")

    def run(self) -> Purged:
        """One purge of every organisation, now."""
        purged = Purged()
        now = self.clock()
        with self.app.app_context(), acting(WORKER, "worker"):
            with session_scope(database()) as session:
                organisations = list(session.execute(select(Organisation.id, Organisation.slug)))
            for organisation_id, slug in organisations:
                counts = purge_organisation(self.app, organisation_id, now)
                purged.inbox += counts["inbox"]
                purged.attempts += counts["attempts"]
                purged.audit += counts["audit"]
                if any(counts.values()):
                    purged.by_organisation[slug] = counts
        if purged.total:
            self.echo(
                f"retention: {purged.inbox} inbox payload(s), {purged.attempts} delivery "
                f"attempt(s), {purged.audit} audit entr(ies) purged"
            )
        return purged

    def __call__(self) -> int:
        """The step (at most once per ``every`` seconds): how much it purged."""
        if time.monotonic() - self._ran_at < self.every:
            return 0
        self._ran_at = time.monotonic()
        return self.run().total
