"""In request mode, the server finishes what requests left undone.

An event is stored (committed) before its request processes it. When the server is killed
in between, or a large xAPI batch is stored whole and processed afterwards, events stay
``received``. The embedded server (``badgeservice serve`` and ``demo``) runs a background
thread in each of its processes that

* processes every event left ``received`` at its start,
* then every ``interval`` seconds those received more than ``grace`` seconds ago (a live
  request normally finishes its own within a second), and
* at once, the events a request handed over with :func:`defer`.

Taking an event is decided by the database (:meth:`IngestService.take`), so a request, a
retry of it and the sweeps of several processes never process one event twice. Without
that thread (another WSGI server), ``badgeservice worker`` or ``events replay --state
received`` does the same.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from ..db import database, session_scope, utcnow
from .models import EventState, InboundEvent

__all__ = ["BACKLOG", "defer", "process_received", "start_recovery"]

BACKLOG = "badgeservice.backlog"


def defer(app: Flask, event_ids: Iterable[uuid.UUID]) -> bool:
    """Hand stored events to this process's background thread; False when there is none
    (then the sweep of a server, or the worker, takes them)."""
    backlog: queue.Queue[uuid.UUID] | None = app.extensions.get(BACKLOG)
    ids = list(event_ids)
    if backlog is None or not ids:
        return False
    for event_id in ids:
        backlog.put(event_id)
    return True


def _process(app: Flask, event_id: uuid.UUID) -> bool:
    from ..issuing.services import IssuingService
    from .services import IngestService

    with app.app_context(), session_scope(database()) as session:
        issuing = IssuingService(
            session,
            public_url=app.config["PUBLIC_URL"],
            keystore=app.extensions["badgeservice.keystore"],
        )
        ingest = IngestService(session, issuing)
        event = ingest.take(event_id)
        if event is None:
            return False
        ingest.process(event)
        return True


def process_received(app: Flask, *, older_than: float | None, limit: int = 500) -> int:
    """Process up to ``limit`` events still ``received`` (only those older than
    ``older_than`` seconds, unless None); how many this call processed."""
    with app.app_context(), session_scope(database()) as session:
        query = select(InboundEvent.id).where(InboundEvent.state == EventState.RECEIVED)
        if older_than is not None:
            query = query.where(InboundEvent.received_at < utcnow() - timedelta(seconds=older_than))
        ids = list(session.scalars(query.order_by(InboundEvent.received_at).limit(limit)))
    return sum(_process(app, event_id) for event_id in ids)


def start_recovery(
    app: Flask,
    *,
    interval: float = 30.0,
    grace: float = 10.0,
    echo: Callable[[str], object] = print,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """Start this process's background thread (a daemon, until ``stop`` is set) and its
    backlog."""
    stop = stop or threading.Event()
    backlog: queue.Queue[uuid.UUID] = queue.Queue()
    app.extensions[BACKLOG] = backlog

    def sweep(older_than: float | None) -> None:
        count = 0
        try:
            while True:
                done = process_received(app, older_than=older_than, limit=500)
                count += done
                if done < 500:
                    break
        except Exception as exc:  # keep the server's background work going
            echo(f"events: recovery sweep failed: {type(exc).__name__}: {exc}")
        if count:
            echo(f"events: {count} stored event(s) processed that no request had processed")

    def loop() -> None:
        sweep(None)
        while not stop.is_set():
            try:
                event_id = backlog.get(timeout=interval)
            except queue.Empty:
                if not stop.is_set():
                    sweep(grace)
                continue
            try:
                _process(app, event_id)
            except Exception as exc:
                echo(f"events: processing {event_id} failed: {type(exc).__name__}: {exc}")

    def finish() -> None:
        loop()
        app.extensions.pop(BACKLOG, None)

    thread = threading.Thread(target=finish, name="event-recovery", daemon=True)
    thread.start()
    return thread
