"""HR's share of the worker: deliveries in a pool of threads (so a slow endpoint never
delays anything else) and the expiry of recognitions, as steps the worker's loop runs
(``badgeservice.workers``); and the same in the background of the demo server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select

from ...db import database, session_scope, utcnow
from ...organisations.models import Organisation
from ..recognitions import recording as recognitions
from ..reserve.targets import maintain_reserve
from .dispatch import DeliveryPool
from .sending import DeliveryStats
from .transport import Transport

__all__ = ["HrSteps", "start_background_delivery"]


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
    upkeep_every: float = 5.0
    pool: DeliveryPool = field(init=False)
    _last_upkeep: float | None = field(default=None, init=False)

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

    def upkeep(self) -> int:
        """Keep every organisation's stored reserve counts and trend points current (reads
        never write them), at most every ``upkeep_every`` seconds. Upkeep, not work
        waiting: returns 0, so ``--until-idle`` ends."""
        if self._last_upkeep is not None and (
            time.monotonic() - self._last_upkeep < self.upkeep_every
        ):
            return 0
        self._last_upkeep = time.monotonic()
        with self.app.app_context(), session_scope(database()) as session:
            organisations = list(session.scalars(select(Organisation.id)))
        for organisation_id in organisations:
            with self.app.app_context(), session_scope(database()) as session:
                maintain_reserve(session, organisation_id)
        return 0

    def expire(self) -> int:
        with self.app.app_context(), session_scope(database()) as session:
            count = recognitions.expire_due(session, utcnow(), self.batch_size)
        self.expired += count
        if count:
            self.echo(f"hr: {count} recognition(s) expired")
        return count


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
            for step in (hr.expire, hr.upkeep, *steps):
                try:
                    step()
                except Exception as exc:  # keep the server's background work going
                    echo(f"background step failed: {type(exc).__name__}: {exc}")
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="hr-expiry", daemon=True)
    thread.start()
    return thread
