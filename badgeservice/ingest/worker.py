"""The worker: processes stored events the request did not (worker mode, or a crash in
between), and re-checks parked events whose person may exist by now."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from ..db import database, session_scope
from ..issuing.services import IssuingService
from .models import EventState
from .services import IngestService

__all__ = ["WorkerStats", "run_worker"]


@dataclass
class WorkerStats:
    processed: int = 0
    batches: int = 0


def _batch(app: Flask, states: list[str], size: int) -> int:
    with app.test_request_context(), session_scope(database()) as session:
        issuing = IssuingService(
            session,
            public_url=app.config["PUBLIC_URL"],
            keystore=app.extensions["badgeservice.keystore"],
        )
        ingest = IngestService(session, issuing)
        # FOR UPDATE SKIP LOCKED: several workers on PostgreSQL never take the same event.
        events = ingest.pending(states, limit=size, lock=True)
        for event in events:
            ingest.process(event)
        return len(events)


def run_worker(
    app: Flask,
    *,
    until_idle: bool = False,
    batch_size: int = 50,
    interval: float = 1.0,
    parked_every: float = 30.0,
    echo: Callable[[str], object] = print,
) -> WorkerStats:
    """Process received events in batches; every ``parked_every`` seconds also retry parked
    ones. With ``until_idle``, return when nothing is left."""
    stats = WorkerStats()
    last_parked = 0.0
    while True:
        states = [EventState.RECEIVED.value]
        if time.monotonic() - last_parked >= parked_every:
            states.append(EventState.PARKED.value)
            last_parked = time.monotonic()
        count = _batch(app, states, batch_size)
        stats.processed += count
        stats.batches += 1
        if count:
            echo(f"processed {count} event(s)")
            continue
        if until_idle:
            return stats
        time.sleep(interval)
