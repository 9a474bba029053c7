"""Delivering the outbox: each pending delivery is POSTed to its HR endpoint, signed with
Standard Webhooks headers, until a 2xx answer; failures are retried with exponential
backoff and full jitter until the delivery's maximum age, then it is dead-lettered.

Claiming. One delivery per transaction: ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL),
and the row lock is held while the message is sent and its outcome written. So several
workers never send one delivery twice in the normal case, and a worker killed mid-send
loses nothing: the database drops its locks with its connection, the delivery is still
pending and due, and the next worker sends it again with the same ``webhook-id`` (the
attempt that was cut off is not in the attempt log). SQLite has no row locks (run one
worker there), and its transactions take the write lock when they begin: there the claim's
transaction ends before the message is sent and the outcome is written in a new one, so
the write lock is never held while waiting for an answer.

Per-person order. A delivery is only claimed when no earlier (lower ``event_seq``)
delivery for the same endpoint and person is undelivered, so a revocation never overtakes
its recognition. A *dead* earlier delivery blocks the later ones for good: they are
dead-lettered too ("an earlier delivery … is dead"), and ``redeliver`` (oldest first)
brings the chain back in order.

Limits. Every delivery has one overall deadline (``HR_DELIVERY_TIMEOUT``): resolving,
connecting, sending and reading the answer's status line together, so an endpoint that
trickles bytes cannot hold a worker longer. The destination is resolved and vetted at every
attempt (:mod:`badgeservice.egress`: public addresses only, unless the operator allows more),
and the request goes to the vetted address. The stored error of a failed attempt is a status
line or the kind of failure, never the body a receiver answered. An endpoint failing
``HR_BREAKER_THRESHOLD`` times in a row is paused (its circuit breaker opens) for
``HR_BREAKER_PAUSE`` seconds, doubling with each further failure up to an hour; while paused
its deliveries wait without being claimed, and one success closes the breaker.

Timing. ``next_attempt_at`` is when a pending delivery is due; a worker's ``--until-idle``
ends when nothing is due, even when deliveries wait for a later retry. ``queued_at`` is when
the delivery was queued (again: a manual redelivery re-queues it), and its maximum age counts
from then.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from ...db import Database, session_scope, utcnow
from ...egress import EgressPolicy, EgressRefused, open_connection
from ...keystore import KeyStore, KeyStoreError
from ..models import CompetenceEvent, Delivery, DeliveryAttempt, HrEndpoint
from .adapters import adapter_for
from .endpoints import dead_letter_pending, endpoint_secret

__all__ = [
    "DEFAULT_SCHEDULE",
    "DeliveryStats",
    "HttpTransport",
    "Reply",
    "RetryPolicy",
    "Transport",
    "TransportError",
    "claim_due",
    "dead_letter_blocked",
    "default_transport",
    "deliver_due",
    "deliver_one",
    "positive_int",
]

DEFAULT_SCHEDULE = "5,30,120,600,3600,21600"
# The longest a circuit breaker stays open (its pause doubles up to this).
MAX_PAUSE = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds to wait after the 1st, 2nd, … failure (the last repeats), the maximum age
    of a failing delivery, the overall deadline of one delivery, and the circuit breaker:
    after ``breaker_threshold`` failures in a row an endpoint pauses ``breaker_pause``
    seconds (doubling per further failure, at most :data:`MAX_PAUSE`)."""

    schedule: tuple[float, ...]
    max_age: float
    timeout: float
    breaker_threshold: int = 5
    breaker_pause: float = 60.0

    def pause(self, failures: int) -> float | None:
        """How long an endpoint with ``failures`` in a row pauses (None: not at all)."""
        if failures < self.breaker_threshold:
            return None
        return float(
            min(self.breaker_pause * 2 ** min(failures - self.breaker_threshold, 20), MAX_PAUSE)
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetryPolicy:
        """From ``HR_RETRY_SCHEDULE`` ("5,30,120"), ``HR_DELIVERY_MAX_AGE`` and
        ``HR_DELIVERY_TIMEOUT`` (seconds); ValueError naming the setting that is unusable."""
        raw = config.get("HR_RETRY_SCHEDULE") or DEFAULT_SCHEDULE
        items = raw if isinstance(raw, list | tuple) else str(raw).replace(" ", "").split(",")
        try:
            schedule = tuple(float(item) for item in items)
        except ValueError:
            raise ValueError(
                f"BADGESERVICE_HR_RETRY_SCHEDULE: {raw!r} is not a comma-separated list of seconds"
            ) from None
        if not schedule or any(not 0 <= step < 10**7 for step in schedule):
            raise ValueError("BADGESERVICE_HR_RETRY_SCHEDULE: give 1 or more seconds, each >= 0")
        numbers = {}
        for key in ("HR_DELIVERY_MAX_AGE", "HR_DELIVERY_TIMEOUT", "HR_BREAKER_PAUSE"):
            try:
                numbers[key] = float(config.get(key, 60.0))
            except (TypeError, ValueError):
                raise ValueError(f"BADGESERVICE_{key}: not a number of seconds") from None
            if not 0 < numbers[key] < 10**7:
                raise ValueError(f"BADGESERVICE_{key}: must be more than 0 seconds")
        threshold = positive_int(config, "HR_BREAKER_THRESHOLD", 5)
        return cls(
            schedule,
            numbers["HR_DELIVERY_MAX_AGE"],
            numbers["HR_DELIVERY_TIMEOUT"],
            threshold,
            numbers["HR_BREAKER_PAUSE"],
        )

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        """Full jitter: uniform in [0, schedule step]; a receiver's ``Retry-After`` is a
        lower bound (capped at the schedule's longest step)."""
        step = self.schedule[min(max(failures, 1), len(self.schedule)) - 1]
        wait = rng.uniform(0, step)
        if retry_after is not None:
            wait = max(wait, min(retry_after, max(self.schedule)))
        return wait


def positive_int(config: Mapping[str, Any], key: str, default: int) -> int:
    """A whole number of at least 1 from ``config``; ValueError naming the setting."""
    try:
        value = int(config.get(key, default))
    except (TypeError, ValueError):
        raise ValueError(f"BADGESERVICE_{key}: not a whole number") from None
    if not 1 <= value <= 10_000:
        raise ValueError(f"BADGESERVICE_{key}: give a number from 1 to 10000")
    return value


@dataclass(frozen=True)
class Reply:
    """The answer's status line (its body is never read: nothing of it is stored)."""

    status: int
    retry_after: float | None = None
    reason: str = ""


class TransportError(Exception):
    """No HTTP answer: refused, reset, timed out, DNS, TLS. The message names the cause."""


class Transport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Reply:
        """POST ``body``; the answer, or :class:`TransportError`. Redirects are answers."""
        ...


class HttpTransport:
    """The standard library's ``http.client``: one connection per message, no redirects
    followed (a 3xx is a failure, as Standard Webhooks asks), the destination vetted by the
    egress policy at every attempt, and one deadline for the whole exchange: a watchdog
    shuts the socket when it passes, whatever the receiver is trickling."""

    def __init__(self, egress: EgressPolicy | None = None) -> None:
        self.egress = egress or EgressPolicy()

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Reply:
        deadline = time.monotonic() + timeout
        parts = urlsplit(url)
        https = parts.scheme.lower() == "https"
        try:
            addresses = self.egress.resolve(
                parts.hostname or "", parts.port or (443 if https else 80), timeout
            )
        except EgressRefused as exc:
            raise TransportError(str(exc)) from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransportError(f"no answer within {timeout:g} s")
        connection = open_connection(url, addresses, remaining)
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(remaining, cut)
        watchdog.daemon = True
        watchdog.start()
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", target, body=body, headers=dict(headers))
            response = connection.getresponse()
            reason = "".join(ch for ch in (response.reason or "")[:80] if ch.isprintable())
            return Reply(response.status, _seconds(response.getheader("Retry-After")), reason)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if expired.is_set() or isinstance(exc, TimeoutError):
                raise TransportError(f"no complete answer within {timeout:g} s") from None
            raise TransportError(_describe(exc)) from None
        finally:
            watchdog.cancel()
            connection.close()


def _describe(exc: BaseException) -> str:
    """The kind of a connection failure, without anything the other side sent."""
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the connection closed without an answer"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection reset"
    if isinstance(exc, http.client.HTTPException):
        return f"malformed answer ({type(exc).__name__})"
    if isinstance(exc, OSError) and "CERTIFICATE" in str(exc).upper():
        return "TLS certificate not accepted"
    return f"{type(exc).__name__}"


def _seconds(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


@dataclass
class DeliveryStats:
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def __iadd__(self, other: DeliveryStats) -> DeliveryStats:
        self.attempted += other.attempted
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead
        return self


def claim_due(
    session: Session,
    now: datetime,
    *,
    busy_endpoints: Collection[Any] = (),
    in_flight: Collection[Any] = (),
) -> Delivery | None:
    """The next due delivery: not behind an undelivered earlier one of the same person and
    endpoint, not of an endpoint whose breaker is open or that is at its concurrency limit
    in this process (``busy_endpoints``), not already in flight here (``in_flight``)."""
    earlier = aliased(Delivery)
    paused = (
        select(HrEndpoint.id)
        .where(HrEndpoint.id == Delivery.endpoint_id, HrEndpoint.paused_until > now)
        .exists()
    )
    blocked = (
        select(earlier.id)
        .where(
            earlier.endpoint_id == Delivery.endpoint_id,
            earlier.person_id == Delivery.person_id,
            earlier.event_seq < Delivery.event_seq,
            earlier.state != "delivered",
        )
        .exists()
    )
    query = select(Delivery).where(
        Delivery.state == "pending", Delivery.next_attempt_at <= now, ~blocked, ~paused
    )
    if busy_endpoints:
        query = query.where(Delivery.endpoint_id.not_in(list(busy_endpoints)))
    if in_flight:
        query = query.where(Delivery.id.not_in(list(in_flight)))
    return session.scalar(
        query.order_by(Delivery.next_attempt_at, Delivery.event_seq)
        .limit(1)
        .with_for_update(skip_locked=True, of=Delivery)
    )


def dead_letter_blocked(session: Session) -> int:
    """Dead-letter pending deliveries behind a dead one of the same endpoint and person (a
    new event for someone whose earlier message died waits for that one's redelivery)."""
    earlier = aliased(Delivery)
    dead_before = (
        select(earlier.id)
        .where(
            earlier.endpoint_id == Delivery.endpoint_id,
            earlier.person_id == Delivery.person_id,
            earlier.event_seq < Delivery.event_seq,
            earlier.state == "dead",
        )
        .exists()
    )
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == "pending", dead_before)
        .values(
            state="dead",
            last_error="an earlier delivery for this person to this endpoint is dead; "
            "redeliver it first (redeliver --dead keeps the order)",
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _dead_letter_later(session: Session, delivery: Delivery) -> None:
    session.execute(
        update(Delivery)
        .where(
            Delivery.endpoint_id == delivery.endpoint_id,
            Delivery.person_id == delivery.person_id,
            Delivery.event_seq > delivery.event_seq,
            Delivery.state == "pending",
        )
        .values(
            state="dead",
            last_error=f"an earlier delivery for this person ({delivery.id}) is dead; "
            "redeliver it first (redeliver --dead keeps the order)",
        )
        .execution_options(synchronize_session=False)
    )


def deliver_one(
    session: Session,
    delivery: Delivery,
    *,
    keystore: KeyStore,
    policy: RetryPolicy,
    transport: Transport,
    rng: random.Random,
    release: Callable[[], None] | None = None,
) -> str:
    """Send one claimed delivery and record the attempt; returns its new state.
    ``release`` runs after the last read, just before sending (on SQLite it ends the
    claim's transaction)."""
    endpoint = session.get(HrEndpoint, delivery.endpoint_id)
    event = session.scalar(select(CompetenceEvent).where(CompetenceEvent.id == delivery.event_id))
    assert endpoint is not None
    assert event is not None
    if not endpoint.active:
        delivery.state, delivery.last_error = "dead", "the endpoint was deactivated"
        _dead_letter_later(session, delivery)
        return delivery.state
    status: int | None = None
    retry_after: float | None = None
    started = time.perf_counter()
    try:
        adapter = adapter_for(endpoint.adapter)
        request = adapter.render(
            url=endpoint.url,
            secret=endpoint_secret(endpoint, keystore),
            message_id=str(event.id),
            payload=event.payload,
            timestamp=int(time.time()),
        )
        if release is not None:
            release()
        reply = transport.post(request.url, request.body, request.headers, policy.timeout)
        status, retry_after = reply.status, reply.retry_after
        accepted = adapter.accepted(status)
        error = None if accepted else f"HTTP {status} {reply.reason}".strip()
    except TransportError as exc:
        error = str(exc)
    except KeyStoreError as exc:  # names key ids only, never key material
        error = f"the endpoint's secret cannot be unwrapped: {exc}"
    except ValueError as exc:  # an adapter this version does not have
        error = str(exc)
    latency = round((time.perf_counter() - started) * 1000, 1)
    now = utcnow()
    session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            attempted_at=now,
            status_code=status,
            latency_ms=latency,
            error=error,
        )
    )
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, error
    _breaker(session, endpoint, error is None, now, policy)
    if error is None:
        delivery.state, delivery.delivered_at = "delivered", now
    elif status == 410:
        # Standard Webhooks: 410 Gone means the receiver wants no more messages.
        delivery.state = "dead"
        delivery.last_error = f"{error} (410 Gone: the endpoint was deactivated)"
        endpoint.active = False
        session.flush()
        dead_letter_pending(session, endpoint.id, "the endpoint answered 410 Gone")
    elif (now - delivery.queued_at).total_seconds() >= policy.max_age:
        delivery.state = "dead"
        delivery.last_error = (
            f"gave up after {delivery.attempts} attempt(s) in "
            f"{(now - delivery.queued_at).total_seconds():.0f} s (maximum age "
            f"{policy.max_age:g} s); last: {error}"
        )
        _dead_letter_later(session, delivery)
    else:
        delivery.next_attempt_at = now + timedelta(
            seconds=policy.delay(delivery.attempts, retry_after, rng)
        )
    session.flush()
    return delivery.state


def _breaker(
    session: Session, endpoint: HrEndpoint, ok: bool, now: datetime, policy: RetryPolicy
) -> None:
    """Count the attempt on the endpoint's breaker (in the database, so every worker
    process sees it): a success closes it, failures in a row open it for a while."""
    if ok:
        if endpoint.failures or endpoint.paused_until is not None:
            session.execute(
                update(HrEndpoint)
                .where(HrEndpoint.id == endpoint.id)
                .values(failures=0, paused_until=None)
                .execution_options(synchronize_session=False)
            )
        return
    failures = session.scalar(
        update(HrEndpoint)
        .where(HrEndpoint.id == endpoint.id)
        .values(failures=HrEndpoint.failures + 1)
        .returning(HrEndpoint.failures)
        .execution_options(synchronize_session=False)
    )
    pause = policy.pause(int(failures or 0))
    if pause is not None:
        session.execute(
            update(HrEndpoint)
            .where(HrEndpoint.id == endpoint.id)
            .where(or_(HrEndpoint.paused_until.is_(None), HrEndpoint.paused_until < now))
            .values(paused_until=now + timedelta(seconds=pause))
            .execution_options(synchronize_session=False)
        )


def default_transport() -> HttpTransport:
    """The HTTP transport with the application's egress policy (public addresses only
    outside an application context)."""
    config = current_app.config if has_app_context() else {}
    return HttpTransport(EgressPolicy.from_config(config))


def deliver_due(
    database: Database,
    *,
    keystore: KeyStore,
    policy: RetryPolicy,
    transport: Transport | None = None,
    limit: int = 50,
    rng: random.Random | None = None,
) -> DeliveryStats:
    """Send up to ``limit`` due deliveries, each claimed and recorded in its own
    transaction; stops early when nothing is due."""
    transport = transport or default_transport()
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    stats = DeliveryStats()
    with session_scope(database) as session:
        stats.dead += dead_letter_blocked(session)
    for _ in range(limit):
        with session_scope(database) as session:
            delivery = claim_due(session, utcnow())
            if delivery is None:
                break
            state = deliver_one(
                session,
                delivery,
                keystore=keystore,
                policy=policy,
                transport=transport,
                rng=rng,
                release=session.commit if database.dialect == "sqlite" else None,
            )
        stats.attempted += 1
        stats.delivered += state == "delivered"
        stats.failed += state == "pending"
        stats.dead += state == "dead"
    return stats
