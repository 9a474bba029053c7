"""``badgeservice worker``: inbound events and recognition expiry in the main loop, HR
deliveries in a pool of threads beside it (so a slow endpoint never delays the processing
of completion events); and the same delivery pool in the background of the demo server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

from ..db import database, session_scope, utcnow
from ..ingest.worker import WorkerStats
from ..ingest.worker import run_worker as run_ingest_worker
from . import recognitions
from .delivery import DeliveryStats, Transport
from .dispatch import DeliveryPool

__all__ = ["HrSteps", "run_worker", "start_background_delivery"]


@dataclass
class HrSteps:
    """HR work: the delivery pool, and expiry of recognitions past their ``validUntil``
    (their ``competence.expired`` events are delivered like any other)."""

    app: Flask
    batch_size: int = 50
    echo: Callable[[str], object] = print
    transport: Transport | None = None
    interval: float = 1.0
    expired: int = 0
    pool: DeliveryPool = field(init=False)

    def __post_init__(self) -> None:
        self.pool = DeliveryPool(
            self.app, transport=self.transport, interval=self.interval, echo=self.echo
        )

    @property
    def totals(self) -> DeliveryStats:
        return self.pool.totals

    def deliver(self) -> int:
        """Deliver everything due now with the pool's threads (for ``--until-idle``)."""
        stats = self.pool.drain()
        if stats.attempted or stats.dead:
            self.echo(
                f"hr: {stats.delivered} delivered, {stats.failed} to retry, {stats.dead} dead"
            )
        return stats.attempted

    def expire(self) -> int:
        with self.app.app_context(), session_scope(database()) as session:
            count = recognitions.expire_due(session, utcnow(), self.batch_size)
        self.expired += count
        if count:
            self.echo(f"hr: {count} recognition(s) expired")
        return count


def run_worker(
    app: Flask,
    *,
    until_idle: bool = False,
    batch_size: int = 50,
    interval: float = 1.0,
    echo: Callable[[str], object] = print,
    stop: threading.Event | None = None,
    transport: Transport | None = None,
) -> tuple[WorkerStats, HrSteps]:
    """Inbound events, HR deliveries and expiry until stopped; with ``until_idle``, until
    a round finds nothing to do (a delivery waiting for a later retry is not due)."""
    steps = HrSteps(app, batch_size=batch_size, echo=echo, transport=transport, interval=interval)
    if until_idle:
        stats = run_ingest_worker(
            app,
            until_idle=True,
            batch_size=batch_size,
            interval=interval,
            echo=echo,
            steps=(steps.deliver, steps.expire),
        )
        return stats, steps
    steps.pool.start()
    try:
        stats = run_ingest_worker(
            app,
            batch_size=batch_size,
            interval=interval,
            echo=echo,
            steps=(steps.expire,),
            stop=stop,
        )
    finally:
        steps.pool.stop(timeout=60)
    return stats, steps


def start_background_delivery(
    app: Flask,
    *,
    interval: float = 1.0,
    echo: Callable[[str], object] = print,
    steps: tuple[Callable[[], int], ...] = (),
) -> threading.Thread:
    """Deliver in the delivery pool's threads of this process (``badgeservice demo``), and
    expire (and run ``steps``) every ``interval`` in one more daemon thread; an error is
    reported and the loop goes on."""
    hr = HrSteps(app, echo=echo, interval=interval)
    hr.pool.start()

    def loop() -> None:
        while True:
            for step in (hr.expire, *steps):
                try:
                    step()
                except Exception as exc:  # keep the server's background work going
                    echo(f"background step failed: {type(exc).__name__}: {exc}")
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="hr-expiry", daemon=True)
    thread.start()
    return thread
