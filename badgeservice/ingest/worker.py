"""The worker: processes stored events the request did not (worker mode, or a crash in
between), and re-checks parked events whose person may exist by now.

Events are claimed in batches (``FOR UPDATE SKIP LOCKED``: several workers, on several
machines, never take the same event) and a batch is processed in one transaction, each
event in its own savepoint, so an event whose processing fails is recorded ``failed`` with
its reason and the rest of the batch commits. Should the batch itself fail (an error no
savepoint contained, or its commit), it is rolled back whole and each of its events is
processed again alone, in its own transaction: the one that still fails is marked failed
with its reason, and the others are processed as if nothing had happened. Every batch is
logged in one line (:func:`batch_line`)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..db import database, session_scope, utcnow
from ..errors import AppError, is_busy
from ..issuing.services import IssuingService
from .batch import process_batch
from .models import EventState, InboundEvent
from .services import IngestService

__all__ = ["Batch", "WorkerStats", "batch_line", "run_worker"]

# The outcomes a batch line counts, in its order, by the name the line gives them: an event
# still received gave way to another worker's batch (a deadlock) and waits for the next.
OUTCOMES = {
    EventState.PROCESSED: "processed",
    EventState.UNMATCHED: "unmatched",
    EventState.IGNORED: "ignored",
    EventState.PARKED: "parked",
    EventState.FAILED: "failed",
    EventState.RECEIVED: "again",
}


@dataclass
class WorkerStats:
    processed: int = 0
    batches: int = 0


@dataclass
class Batch:
    """What one batch did: how many events it claimed, in how long, with which outcomes,
    and how many were processed alone after the batch as a whole failed."""

    size: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    alone: int = 0
    together: int = 0


def batch_line(batch: Batch) -> str:
    """The batch in one ``key=value`` line (logfmt): easy to read and to parse."""
    counts = " ".join(f"{name}={batch.outcomes.get(state, 0)}" for state, name in OUTCOMES.items())
    line = f"batch events={batch.size} ms={batch.seconds * 1000:.0f} {counts}"
    line += f" together={batch.together}" if batch.together else ""
    return line + (f" alone={batch.alone}" if batch.alone else "")


def _service(app: Flask, session: Session) -> IngestService:
    issuing = IssuingService(
        session,
        public_url=app.config["PUBLIC_URL"],
        keystore=app.extensions["badgeservice.keystore"],
    )
    return IngestService(session, issuing)


def _received_batch(app: Flask, size: int, *, together: bool = True) -> Batch:
    began = time.perf_counter()
    batch = Batch()
    claimed: list[uuid.UUID] = []
    try:
        with app.app_context(), session_scope(database()) as session:
            ingest = _service(app, session)
            # FOR UPDATE SKIP LOCKED: several workers on PostgreSQL never take one event.
            events = ingest.pending([EventState.RECEIVED.value], limit=size, lock=True)
            claimed = [event.id for event in events]
            # The plain completions together (a round per event of one person: each round
            # sees what the one before issued), then each of the rest on its own.
            done: set[uuid.UUID] = set()
            while together and (more := process_batch(ingest, _left(events, done))):
                done |= more
            batch.together = len(done)
            outcomes = Counter({EventState.PROCESSED.value: len(done)})
            outcomes.update(ingest.process(event).state for event in events if event.id not in done)
    except Exception as exc:
        if not claimed:
            raise  # nothing was claimed: the database itself fails
        if isinstance(exc, OperationalError) and is_busy(exc):
            # The database asks to try again (its commit gave way to another's): every
            # event waits, received, for the next round.
            outcomes = Counter({EventState.RECEIVED.value: len(claimed)})
        else:
            outcomes = Counter(_alone(app, event_id) for event_id in claimed)
            batch.alone, batch.together = len(claimed), 0
    batch.size = len(claimed)
    batch.outcomes = Counter({state: n for state, n in outcomes.items() if state})
    batch.seconds = time.perf_counter() - began
    return batch


def _left(events: Sequence[InboundEvent], done: set[uuid.UUID]) -> list[InboundEvent]:
    return [event for event in events if event.id not in done]


def _alone(app: Flask, event_id: uuid.UUID) -> str:
    """Process one event of a failed batch in its own transaction; when that fails too,
    mark it failed with the reason (in another). Its outcome, or "" when it was no longer
    waiting (another worker, or a replay, took it meanwhile: theirs to count)."""
    try:
        with app.app_context(), session_scope(database()) as session:
            ingest = _service(app, session)
            events = ingest.claim([event_id], EventState.RECEIVED.value)
            return ingest.process(events[0]).state if events else ""
    except Exception as exc:
        if isinstance(exc, OperationalError) and is_busy(exc):
            return EventState.RECEIVED.value  # left received: the next round takes it
        reason = exc.detail if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
    with app.app_context(), session_scope(database()) as session:
        failed = session.scalar(
            update(InboundEvent)
            .where(InboundEvent.id == event_id, InboundEvent.state == EventState.RECEIVED)
            .values(
                state=EventState.FAILED,
                reason=reason,
                attempts=InboundEvent.attempts + 1,
                processed_at=utcnow(),
            )
            .returning(InboundEvent.id)
        )
        return EventState.FAILED.value if failed is not None else ""


def _retry_parked(app: Flask, size: int) -> int:
    """One pass over the events parked now (each tried once, so a still-unknown person
    does not keep the worker busy); returns how many left the parked state."""
    with app.app_context(), session_scope(database()) as session:
        ids = [
            event.id
            for event in _service(app, session).pending([EventState.PARKED.value], limit=100_000)
        ]
    released = 0
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        with app.app_context(), session_scope(database()) as session:
            ingest = _service(app, session)
            for event in ingest.claim(chunk, EventState.PARKED.value):
                released += ingest.process(event).state != EventState.PARKED
    return released


def run_worker(
    app: Flask,
    *,
    until_idle: bool = False,
    batch_size: int = 50,
    interval: float = 1.0,
    parked_every: float = 30.0,
    echo: Callable[[str], object] = print,
    steps: Sequence[Callable[[], int]] = (),
    stop: threading.Event | None = None,
    together: bool = True,
) -> WorkerStats:
    """Process received events in batches; every ``parked_every`` seconds (and once at the
    start) retry the parked ones. ``steps`` run once per round too (HR delivery, expiry),
    each returning how much it did. With ``until_idle``, return when a round did nothing;
    otherwise run until ``stop`` is set. ``together`` False processes every event on its own
    (:func:`.batch.process_batch` skipped: the same outcome, more slowly; for comparison)."""
    stats = WorkerStats()
    stop = stop or threading.Event()
    last_parked: float | None = None
    while not stop.is_set():
        if last_parked is None or time.monotonic() - last_parked >= parked_every:
            released = _retry_parked(app, batch_size)
            last_parked = time.monotonic()
            if released:
                echo(f"{released} parked event(s) processed")
                stats.processed += released
        batch = _received_batch(app, batch_size, together=together)
        stats.processed += batch.size
        stats.batches += 1
        if batch.size:
            echo(batch_line(batch))
        other = sum([step() for step in steps])
        if batch.size or other:
            continue
        if until_idle:
            return stats
        stop.wait(interval)
    return stats
