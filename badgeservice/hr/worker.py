"""``badgeservice worker``: the inbound-event worker, plus HR delivery and recognition
expiry in every round; and the same delivery loop as a background thread for the demo."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

from ..db import database, session_scope, utcnow
from ..ingest.worker import WorkerStats
from ..ingest.worker import run_worker as run_ingest_worker
from ..keystore import KeyStore
from . import recognitions
from .delivery import DeliveryStats, RetryPolicy, Transport, deliver_due

__all__ = ["HrSteps", "run_worker", "start_background_delivery"]


@dataclass
class HrSteps:
    """One round of HR work: deliver what is due, then expire recognitions past their
    ``validUntil`` (their ``competence.expired`` events are delivered in the next round)."""

    app: Flask
    batch_size: int = 50
    echo: Callable[[str], object] = print
    transport: Transport | None = None
    totals: DeliveryStats = field(default_factory=DeliveryStats)
    expired: int = 0

    def __post_init__(self) -> None:
        self.policy = RetryPolicy.from_config(self.app.config)
        self.keystore: KeyStore = self.app.extensions["badgeservice.keystore"]
        self.rng = random.Random()  # noqa: S311 - jitter, not cryptography

    def deliver(self) -> int:
        with self.app.app_context():
            stats = deliver_due(
                database(),
                keystore=self.keystore,
                policy=self.policy,
                transport=self.transport,
                limit=self.batch_size,
                rng=self.rng,
            )
        self.totals += stats
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
) -> tuple[WorkerStats, HrSteps]:
    """Inbound events, HR deliveries and expiry until stopped; with ``until_idle``, until
    a round finds nothing to do (a delivery waiting for a later retry is not due)."""
    steps = HrSteps(app, batch_size=batch_size, echo=echo)
    stats = run_ingest_worker(
        app,
        until_idle=until_idle,
        batch_size=batch_size,
        interval=interval,
        echo=echo,
        steps=(steps.deliver, steps.expire),
    )
    return stats, steps


def start_background_delivery(
    app: Flask, *, interval: float = 1.0, echo: Callable[[str], object] = print
) -> threading.Thread:
    """Deliver (and expire) in a daemon thread of this process, for ``badgeservice demo``;
    an error is reported and the loop goes on after ``interval``."""
    steps = HrSteps(app, echo=echo)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                busy = steps.deliver() + steps.expire()
            except Exception as exc:  # keep the demo delivering after a transient error
                echo(f"hr: delivery round failed: {type(exc).__name__}: {exc}")
                busy = 0
            if not busy:
                stop.wait(interval)

    thread = threading.Thread(target=loop, name="hr-delivery", daemon=True)
    thread.start()
    return thread
