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

import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from ...db import Database, session_scope, utcnow
from ...keystore import KeyStore, KeyStoreError
from ..models import CompetenceEvent, Delivery, DeliveryAttempt, DeliveryState, HrEndpoint
from .adapters import adapter_for
from .endpoints import dead_letter_pending, endpoint_secret
from .policy import RetryPolicy
from .transport import Transport, TransportError, default_transport

__all__ = [
    "DeliveryStats",
    "claim_due",
    "dead_letter_blocked",
    "deliver_due",
    "deliver_one",
]


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
            earlier.state != DeliveryState.DELIVERED,
        )
        .exists()
    )
    query = select(Delivery).where(
        Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= now, ~blocked, ~paused
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
            earlier.state == DeliveryState.DEAD,
        )
        .exists()
    )
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.PENDING, dead_before)
        .values(
            state=DeliveryState.DEAD,
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
            Delivery.state == DeliveryState.PENDING,
        )
        .values(
            state=DeliveryState.DEAD,
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
        delivery.state, delivery.last_error = DeliveryState.DEAD, "the endpoint was deactivated"
        _dead_letter_later(session, delivery)
        return delivery.state
    started = time.perf_counter()
    status, retry_after, error = _send(
        endpoint, event, keystore=keystore, policy=policy, transport=transport, release=release
    )
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
    _outcome(session, delivery, endpoint, now, error, status, retry_after, policy, rng)
    session.flush()
    return delivery.state


def _send(
    endpoint: HrEndpoint,
    event: CompetenceEvent,
    *,
    keystore: KeyStore,
    policy: RetryPolicy,
    transport: Transport,
    release: Callable[[], None] | None,
) -> tuple[int | None, float | None, str | None]:
    """Render the message with the endpoint's adapter and post it: the answer's status,
    its Retry-After, and the error (None when the endpoint accepted it)."""
    status: int | None = None
    retry_after: float | None = None
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
    return status, retry_after, error


def _outcome(
    session: Session,
    delivery: Delivery,
    endpoint: HrEndpoint,
    now: datetime,
    error: str | None,
    status: int | None,
    retry_after: float | None,
    policy: RetryPolicy,
    rng: random.Random,
) -> None:
    """The delivery's new state after an attempt: delivered, dead (410 Gone, or past its
    maximum age) or due again after the policy's backoff."""
    if error is None:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED, now
    elif status == 410:
        # Standard Webhooks: 410 Gone means the receiver wants no more messages.
        delivery.state = DeliveryState.DEAD
        delivery.last_error = f"{error} (410 Gone: the endpoint was deactivated)"
        endpoint.active = False
        session.flush()
        dead_letter_pending(session, endpoint.id, "the endpoint answered 410 Gone")
    elif (now - delivery.queued_at).total_seconds() >= policy.max_age:
        delivery.state = DeliveryState.DEAD
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
    transaction; stops early when nothing is due. A round tries each delivery at most
    once: one that fails and falls due again within the round waits for the next."""
    transport = transport or default_transport()
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    stats = DeliveryStats()
    with session_scope(database) as session:
        stats.dead += dead_letter_blocked(session)
    tried: set[Any] = set()
    for _ in range(limit):
        with session_scope(database) as session:
            delivery = claim_due(session, utcnow(), in_flight=tried)
            if delivery is None:
                break
            tried.add(delivery.id)
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
        stats.delivered += state == DeliveryState.DELIVERED
        stats.failed += state == DeliveryState.PENDING
        stats.dead += state == DeliveryState.DEAD
    return stats
