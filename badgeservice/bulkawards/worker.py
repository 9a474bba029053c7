"""Processing confirmed bulk awards in the background: a step of ``badgeservice worker``,
and a thread of each web server process in request mode (the embedded default), so an
upload completes whether or not a worker runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Flask

from ..db import database, session_scope
from ..issuing.services import issuing_service
from .services import process_batch

__all__ = ["BulkSteps", "start_background_bulk"]


class BulkSteps:
    """One batch of rows per call, in its own transaction."""

    def __init__(self, app: Flask, echo: Callable[[str], object] = print) -> None:
        self.app = app
        self.echo = echo

    def process(self) -> int:
        with self.app.app_context(), session_scope(database()) as session:
            done = process_batch(session, issuing_service(session))
        if done:
            self.echo(f"bulk: {done} row(s) awarded")
        return done


def start_background_bulk(
    app: Flask, *, interval: float = 1.0, echo: Callable[[str], object] = print
) -> threading.Thread:
    """A daemon thread processing bulk awards: batch after batch while there are rows,
    then every ``interval``; an error is reported and the loop goes on."""
    steps = BulkSteps(app, echo)

    def loop() -> None:
        while True:
            try:
                busy = steps.process()
            except Exception as exc:  # keep the server's background work going
                echo(f"bulk award step failed: {type(exc).__name__}: {exc}")
                busy = 0
            if not busy:
                time.sleep(interval)

    thread = threading.Thread(target=loop, name="bulk-awards", daemon=True)
    thread.start()
    return thread
