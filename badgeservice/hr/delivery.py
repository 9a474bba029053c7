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

Timing. ``next_attempt_at`` is when a pending delivery is due; a worker's ``--until-idle``
ends when nothing is due, even when deliveries wait for a later retry. ``queued_at`` is when
the delivery was queued (again: a manual redelivery re-queues it), and its maximum age counts
from then.
"""

from __future__ import annotations

import http.client
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from ..db import Database, session_scope, utcnow
from ..keystore import KeyStore, KeyStoreError
from .adapters import adapter_for
from .endpoints import dead_letter_pending, endpoint_secret
from .models import CompetenceEvent, Delivery, DeliveryAttempt, HrEndpoint

__all__ = [
    "DEFAULT_SCHEDULE",
    "DeliveryStats",
    "HttpTransport",
    "Reply",
    "RetryPolicy",
    "Transport",
    "TransportError",
    "dead_letter_blocked",
    "deliver_due",
    "deliver_one",
]

DEFAULT_SCHEDULE = "5,30,120,600,3600,21600"
# Response bodies are read up to this size (the connection is closed after it).
MAX_REPLY = 64 * 1024
EXCERPT = 200


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds to wait after the 1st, 2nd, … failure (the last repeats), the maximum age
    of a failing delivery, and the timeout of one HTTP request (per socket operation)."""

    schedule: tuple[float, ...]
    max_age: float
    timeout: float

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
        for key in ("HR_DELIVERY_MAX_AGE", "HR_DELIVERY_TIMEOUT"):
            try:
                numbers[key] = float(config[key])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"BADGESERVICE_{key}: not a number of seconds") from None
            if numbers[key] <= 0:
                raise ValueError(f"BADGESERVICE_{key}: must be more than 0 seconds")
        return cls(schedule, numbers["HR_DELIVERY_MAX_AGE"], numbers["HR_DELIVERY_TIMEOUT"])

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        """Full jitter: uniform in [0, schedule step]; a receiver's ``Retry-After`` is a
        lower bound (capped at the schedule's longest step)."""
        step = self.schedule[min(max(failures, 1), len(self.schedule)) - 1]
        wait = rng.uniform(0, step)
        if retry_after is not None:
            wait = max(wait, min(retry_after, max(self.schedule)))
        return wait


@dataclass(frozen=True)
class Reply:
    status: int
    retry_after: float | None = None
    excerpt: str = ""


class TransportError(Exception):
    """No HTTP answer: refused, reset, timed out, DNS, TLS. The message names the cause."""


class Transport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Reply:
        """POST ``body``; the answer, or :class:`TransportError`. Redirects are answers."""
        ...


class HttpTransport:
    """The standard library's ``http.client``: one connection per message, no redirects
    followed (a 3xx is a failure, as Standard Webhooks asks)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Reply:
        parts = urlsplit(url)
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
        try:
            connection.request("POST", target, body=body, headers=dict(headers))
            response = connection.getresponse()
            excerpt = response.read(MAX_REPLY)[:EXCERPT].decode("utf-8", "replace")
            return Reply(response.status, _seconds(response.getheader("Retry-After")), excerpt)
        except TimeoutError:
            raise TransportError(f"no answer within {timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}"[:500]) from None
        finally:
            connection.close()


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


def _claim(session: Session, now: datetime) -> Delivery | None:
    earlier = aliased(Delivery)
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
    return session.scalar(
        select(Delivery)
        .where(Delivery.state == "pending", Delivery.next_attempt_at <= now, ~blocked)
        .order_by(Delivery.next_attempt_at, Delivery.event_seq)
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
        error = None if accepted else f"HTTP {status}: {reply.excerpt}".strip(": ")
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
    transport = transport or HttpTransport()
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    stats = DeliveryStats()
    with session_scope(database) as session:
        stats.dead += dead_letter_blocked(session)
    for _ in range(limit):
        with session_scope(database) as session:
            delivery = _claim(session, utcnow())
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
