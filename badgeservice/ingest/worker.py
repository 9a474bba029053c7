"""The worker: processes stored events the request did not (worker mode, or a crash in
between), and re-checks parked events whose person may exist by now."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.orm import Session

from ..db import database, session_scope
from ..issuing.services import IssuingService
from .models import EventState
from .services import IngestService

__all__ = ["WorkerStats", "run_worker"]


@dataclass
class WorkerStats:
    processed: int = 0
    batches: int = 0


def _service(app: Flask, session: Session) -> IngestService:
    issuing = IssuingService(
        session,
        public_url=app.config["PUBLIC_URL"],
        keystore=app.extensions["badgeservice.keystore"],
    )
    return IngestService(session, issuing)


def _received_batch(app: Flask, size: int) -> int:
    with app.app_context(), session_scope(database()) as session:
        ingest = _service(app, session)
        # FOR UPDATE SKIP LOCKED: several workers on PostgreSQL never take the same event.
        events = ingest.pending([EventState.RECEIVED.value], limit=size, lock=True)
        for event in events:
            ingest.process(event)
        return len(events)


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
) -> WorkerStats:
    """Process received events in batches; every ``parked_every`` seconds (and once at the
    start) retry the parked ones. ``steps`` run once per round too (HR delivery, expiry),
    each returning how much it did. With ``until_idle``, return when a round did nothing;
    otherwise run until ``stop`` is set."""
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
        count = _received_batch(app, batch_size)
        stats.processed += count
        stats.batches += 1
        other = sum([step() for step in steps])
        if count:
            echo(f"processed {count} event(s)")
        if count or other:
            continue
        if until_idle:
            return stats
        stop.wait(interval)
    return stats
