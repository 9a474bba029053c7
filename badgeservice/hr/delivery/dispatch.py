"""HR deliveries in threads of their own, so no endpoint can hold up anything else.

A :class:`DeliveryPool` runs ``HR_DELIVERY_THREADS`` threads beside the event processing
(which never waits for a delivery). Each thread claims one due delivery at a time, sends it
within the delivery deadline and records the outcome in its own transaction. At most
``HR_ENDPOINT_CONCURRENCY`` deliveries to one endpoint are in flight in this process, so a
slow endpoint occupies that many threads at most and the others keep serving every other
organisation; an endpoint that keeps failing is paused by its circuit breaker
(:mod:`badgeservice.hr.delivery.sending`) and not claimed at all meanwhile.

On SQLite (whose claim takes no row lock) the pool also keeps the deliveries in flight out
of the other threads' claims, until their outcome is committed.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable

from flask import Flask

from ...db import database, session_scope, utcnow
from ...keystore import KeyStore
from ..models import DeliveryState
from .policy import RetryPolicy, positive_int
from .sending import DeliveryStats, claim_due, dead_letter_blocked, deliver_one
from .transport import Transport, default_transport

__all__ = ["DeliveryPool"]


class DeliveryPool:
    """Deliver due HR messages with ``threads`` threads, at most ``per_endpoint`` at once
    to one endpoint."""

    def __init__(
        self,
        app: Flask,
        *,
        threads: int | None = None,
        per_endpoint: int | None = None,
        transport: Transport | None = None,
        interval: float = 1.0,
        echo: Callable[[str], object] = print,
    ) -> None:
        self.app = app
        self.policy = RetryPolicy.from_config(app.config)
        self.threads = threads or positive_int(app.config, "HR_DELIVERY_THREADS", 4)
        self.per_endpoint = per_endpoint or positive_int(app.config, "HR_ENDPOINT_CONCURRENCY", 2)
        self.keystore: KeyStore = app.extensions["badgeservice.keystore"]
        with app.app_context():
            self.transport = transport or default_transport()
        self.interval = interval
        self.echo = echo
        self.totals = DeliveryStats()
        self._lock = threading.Lock()
        self._in_flight: dict[uuid.UUID, uuid.UUID] = {}  # delivery → endpoint
        self._per_endpoint: Counter[uuid.UUID] = Counter()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography

    # -- one delivery ----------------------------------------------------------------------

    def deliver_next(self) -> bool:
        """Claim, send and record one due delivery in the calling thread; False when none
        is due (or every due one waits for a busy or paused endpoint)."""
        claimed: tuple[uuid.UUID, uuid.UUID] | None = None
        stats = DeliveryStats()
        # Taken before the claim: a thread that holds the database's write lock (SQLite,
        # between claim and release) must never wait for ``_lock``, whose holder may be
        # waiting for that write lock in its own claim.
        with self._lock:
            rng = random.Random(self._rng.random())  # noqa: S311 - jitter
        try:
            with self.app.app_context(), session_scope(database()) as session:
                with self._lock:
                    busy = [
                        endpoint
                        for endpoint, count in self._per_endpoint.items()
                        if count >= self.per_endpoint
                    ]
                    delivery = claim_due(
                        session, utcnow(), busy_endpoints=busy, in_flight=list(self._in_flight)
                    )
                    if delivery is None:
                        return False
                    claimed = (delivery.id, delivery.endpoint_id)
                    self._in_flight[delivery.id] = delivery.endpoint_id
                    self._per_endpoint[delivery.endpoint_id] += 1
                state = deliver_one(
                    session,
                    delivery,
                    keystore=self.keystore,
                    policy=self.policy,
                    transport=self.transport,
                    rng=rng,
                    # SQLite's write lock is taken when a transaction begins: never hold it
                    # while waiting for the receiver (the claim is kept by ``_in_flight``).
                    release=session.commit if database().dialect == "sqlite" else None,
                )
            stats.attempted = 1
            stats.delivered = int(state == DeliveryState.DELIVERED)
            stats.failed = int(state == DeliveryState.PENDING)
            stats.dead = int(state == DeliveryState.DEAD)
        finally:
            # Only once the outcome is committed may another thread claim the delivery.
            if claimed is not None:
                with self._lock:
                    self._in_flight.pop(claimed[0], None)
                    self._per_endpoint[claimed[1]] -= 1
                    if self._per_endpoint[claimed[1]] <= 0:
                        del self._per_endpoint[claimed[1]]
                    self.totals += stats
        return True

    def dead_letter_blocked(self) -> int:
        with self.app.app_context(), session_scope(database()) as session:
            count = dead_letter_blocked(session)
        with self._lock:
            self.totals.dead += count
        return count

    # -- until idle (``worker --until-idle``, tests) ----------------------------------------

    def drain(self) -> DeliveryStats:
        """Deliver with every thread until nothing is due; the deliveries made."""
        before = self._snapshot()
        self.dead_letter_blocked()

        def work() -> None:
            while self.deliver_next():
                pass

        workers = [
            threading.Thread(target=work, name=f"hr-delivery-{n}") for n in range(self.threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        after = self._snapshot()
        return DeliveryStats(
            after.attempted - before.attempted,
            after.delivered - before.delivered,
            after.failed - before.failed,
            after.dead - before.dead,
        )

    def _snapshot(self) -> DeliveryStats:
        with self._lock:
            return DeliveryStats(
                self.totals.attempted, self.totals.delivered, self.totals.failed, self.totals.dead
            )

    # -- running beside the worker ---------------------------------------------------------

    def start(self) -> None:
        """Start the threads (daemons: they end with the process, or at :meth:`stop`)."""
        self._stop.clear()
        for n in range(self.threads):
            thread = threading.Thread(
                target=self._loop, args=(n,), name=f"hr-delivery-{n}", daemon=True
            )
            thread.start()
            self._workers.append(thread)

    def stop(self, timeout: float | None = None) -> None:
        """Ask the threads to stop after their current delivery and wait for them."""
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout)
        self._workers.clear()

    def _loop(self, number: int) -> None:
        reported = self._snapshot()
        while not self._stop.is_set():
            try:
                if number == 0:
                    self.dead_letter_blocked()
                busy = self.deliver_next()
            except Exception as exc:  # a database hiccup: report it and go on
                self.echo(f"hr: delivery failed: {type(exc).__name__}: {exc}")
                busy = False
            if busy:
                continue
            stats = self._snapshot()
            if number == 0 and stats != reported:
                self.echo(
                    f"hr: {stats.delivered - reported.delivered} delivered, "
                    f"{stats.failed - reported.failed} to retry, {stats.dead - reported.dead} dead"
                )
                reported = stats
            self._stop.wait(self.interval)
