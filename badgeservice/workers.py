"""``badgeservice worker``: inbound events, recognition expiry, bulk awards and the
retention purge in the main loop, HR
deliveries in a pool of threads beside it (so a slow endpoint never delays the processing
of completion events). The composition of the floors' steps lives here, above them all."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from .audit.context import WORKER, acting
from .bulkawards.worker import BulkSteps
from .hr.delivery.transport import Transport
from .hr.delivery.worker import HrSteps
from .ingest.worker import WorkerStats
from .ingest.worker import run_worker as run_ingest_worker
from .retention import RetentionStep
from .web.notice_steps import NoticeSteps

__all__ = ["run_worker"]


def run_worker(
    app: Flask,
    *,
    until_idle: bool = False,
    batch_size: int = 50,
    interval: float = 1.0,
    echo: Callable[[str], object] = print,
    stop: threading.Event | None = None,
    transport: Transport | None = None,
    together: bool = True,
) -> tuple[WorkerStats, HrSteps]:
    """Inbound events, HR deliveries, expiry and the reserve's upkeep until stopped; with
    ``until_idle``, until a round finds nothing to do (a delivery waiting for a later retry
    is not due). ``together`` as for :func:`.ingest.worker.run_worker`."""
    with acting(WORKER, "worker"):
        return _run(app, until_idle, batch_size, interval, echo, stop, transport, together)


def _run(
    app: Flask,
    until_idle: bool,
    batch_size: int,
    interval: float,
    echo: Callable[[str], object],
    stop: threading.Event | None,
    transport: Transport | None,
    together: bool,
) -> tuple[WorkerStats, HrSteps]:
    steps = HrSteps(app, batch_size=batch_size, echo=echo, transport=transport, interval=interval)
    bulk = BulkSteps(app, echo)
    notices = NoticeSteps(app, echo=echo)
    retention = RetentionStep(app, echo=echo)
    if until_idle:
        stats = run_ingest_worker(
            app,
            until_idle=True,
            batch_size=batch_size,
            interval=interval,
            echo=echo,
            together=together,
            steps=(
                steps.deliver,
                steps.expire,
                steps.upkeep,
                bulk.process,
                notices.queue,
                notices.send,
                retention,
            ),
        )
        return stats, steps
    steps.pool.start()
    try:
        stats = run_ingest_worker(
            app,
            batch_size=batch_size,
            interval=interval,
            echo=echo,
            together=together,
            steps=(
                steps.expire,
                steps.upkeep,
                bulk.process,
                notices.queue,
                notices.send,
                retention,
            ),
            stop=stop,
        )
    finally:
        steps.pool.stop(timeout=60)
    return stats, steps
