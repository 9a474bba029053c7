"""What an operator watches: ``/readyz`` (the database answers) and ``/metrics`` (the backlog
in the Prometheus text format).

Every figure of ``/metrics`` is read from the database when it is scraped, none is kept in a
process: gunicorn runs several web processes and the events are processed by
``badgeservice worker`` processes, possibly on other machines, so the database is the one
place that knows them all, and every web process answers the same. Row counts are
therefore gauges (retention may purge delivery attempts; a replay moves an event from
``failed`` to ``processed``), and the issue latency histogram is built from the inbox's own
timestamps. A worker reports its own batches in its log (one line per batch).

``/metrics`` answers only the operator's bearer token, ``BADGESERVICE_METRICS_TOKEN``: the
figures are the whole service's, across organisations, so no organisation's API client may
read them. Without the setting it answers 403.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, case, func, literal_column, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import __version__
from .db import database, get_session, utcnow
from .errors import Forbidden, Unauthorized, problem
from .hr.models import Delivery, DeliveryAttempt, DeliveryState
from .ingest.models import EventState, InboundEvent

__all__ = ["ISSUE_BUCKETS", "public"]

public = Blueprint("monitoring", __name__)

# Upper bounds (seconds) of the issue latency histogram: from the event stored to processed.
ISSUE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


@public.get("/readyz")
def readyz() -> Response:
    """Readiness: the database answers a query (``/healthz`` does not ask it).
    ---
    get:
      tags: [service]
      responses:
        200:
          content:
            application/json:
              schema:
                type: object
                required: [status, version]
                properties: {status: {type: string, enum: [ready]}, version: {type: string}}
        503:
          description: The database does not answer.
          content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}
    """
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.warning("readiness: the database does not answer: %s", exc)
        return problem(
            503, "not-ready", "Not ready", f"the database does not answer ({type(exc).__name__})"
        )
    return jsonify({"status": "ready", "version": __version__})


@public.get("/metrics")
def metrics() -> Response:
    """The backlog in the Prometheus text format, read from the database: inbox events by
    channel and state, the oldest unprocessed event's age, the issue latency, the HR outbox
    and delivery attempts by outcome. Bearer token: the operator's
    ``BADGESERVICE_METRICS_TOKEN`` (403 when it is not set).
    ---
    get:
      tags: [service]
      security: [{bearer: []}]
      responses:
        200:
          description: Prometheus text exposition format 0.0.4.
          content: {text/plain: {schema: {type: string}}}
        401: {$ref: '#/components/responses/Unauthorized'}
        403: {$ref: '#/components/responses/Forbidden'}
    """
    _check_token()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Backlog(get_session()))
    # The classic text format, which every Prometheus reads (the names are plain ASCII).
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def _check_token() -> None:
    expected = current_app.config.get("METRICS_TOKEN") or ""
    if not expected:
        raise Forbidden("metrics are off: the operator sets BADGESERVICE_METRICS_TOKEN")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <the metrics token>'")
    # Digests of equal length, compared in constant time: nothing leaks the token's length.
    given = hashlib.sha256(token.strip().encode("utf-8")).digest()
    if not hmac.compare_digest(given, hashlib.sha256(str(expected).encode("utf-8")).digest()):
        raise Unauthorized("the metrics token is not valid")


class Backlog(Collector):
    """The figures of one scrape, each read with one query on ``session``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        yield self._inbox()
        yield _age(
            "badgeservice_inbox_oldest_received_age_seconds",
            "Seconds since the oldest event still waiting to be processed (state received) "
            "was stored; 0 when none waits.",
            self.session.scalar(
                select(func.min(InboundEvent.received_at)).where(
                    InboundEvent.state == EventState.RECEIVED.value
                )
            ),
            now,
        )
        yield self._issue_latency()
        yield self._outbox()
        yield _age(
            "badgeservice_hr_outbox_oldest_pending_age_seconds",
            "Seconds since the oldest HR delivery not yet delivered was queued; 0 when none.",
            self.session.scalar(
                select(func.min(Delivery.queued_at)).where(
                    Delivery.state == DeliveryState.PENDING.value
                )
            ),
            now,
        )
        yield self._attempts()

    def _inbox(self) -> Metric:
        family = GaugeMetricFamily(
            "badgeservice_inbox_events",
            "Inbound events stored, by channel and state (received: waiting; processed, "
            "failed, parked, unmatched, ignored: the outcome).",
            labels=["channel", "state"],
        )
        rows = self.session.execute(
            select(InboundEvent.channel, InboundEvent.state, func.count()).group_by(
                InboundEvent.channel, InboundEvent.state
            )
        )
        for channel, state, count in rows:
            family.add_metric([channel, state], count)
        return family

    def _issue_latency(self) -> Metric:
        """From stored to processed, for every processed event: each bucket counted by the
        database in one pass."""
        seconds = _seconds_between(
            InboundEvent.received_at, InboundEvent.processed_at, self.session
        )
        columns = [func.count(case((seconds <= bound, 1))) for bound in ISSUE_BUCKETS]
        row = self.session.execute(
            select(func.count(), func.coalesce(func.sum(seconds), 0.0), *columns).where(
                InboundEvent.state == EventState.PROCESSED.value,
                InboundEvent.processed_at.is_not(None),
            )
        ).one()
        total, summed, *counts = row
        buckets: list[tuple[str, float]] = [
            (str(bound), float(count)) for bound, count in zip(ISSUE_BUCKETS, counts, strict=True)
        ]
        buckets.append(("+Inf", float(total)))
        return HistogramMetricFamily(
            "badgeservice_issue_latency_seconds",
            "Seconds from an event stored to its processing (credentials issued), for the "
            "processed events in the inbox.",
            buckets=buckets,
            sum_value=max(float(summed or 0.0), 0.0),
        )

    def _outbox(self) -> Metric:
        family = GaugeMetricFamily(
            "badgeservice_hr_outbox_deliveries",
            "HR deliveries by state (pending: the outbox depth, due now or at a later retry).",
            labels=["state"],
        )
        counts = dict.fromkeys((s.value for s in DeliveryState), 0)
        for state, count in self.session.execute(
            select(Delivery.state, func.count()).group_by(Delivery.state)
        ):
            counts[state] = count
        for state, count in counts.items():
            family.add_metric([state], count)
        return family

    def _attempts(self) -> Metric:
        family = GaugeMetricFamily(
            "badgeservice_hr_delivery_attempts",
            "HR delivery attempts kept (retention purges old ones) by outcome: delivered "
            "(2xx), refused (another HTTP status), error (no answer: refused connection, "
            "timeout, blocked address).",
            labels=["outcome"],
        )
        outcome = case(
            (DeliveryAttempt.status_code.is_(None), literal_column("'error'")),
            (DeliveryAttempt.status_code.between(200, 299), literal_column("'delivered'")),
            else_=literal_column("'refused'"),
        )
        counts = {"delivered": 0, "refused": 0, "error": 0}
        for name, count in self.session.execute(select(outcome, func.count()).group_by(outcome)):
            counts[str(name)] = count
        for name, count in counts.items():
            family.add_metric([name], count)
        return family


def _age(name: str, documentation: str, since: datetime | None, now: datetime) -> Metric:
    age = 0.0 if since is None else max((now - since).total_seconds(), 0.0)
    return GaugeMetricFamily(name, documentation, value=age)


def _seconds_between(start: Any, end: Any, session: Session) -> ColumnElement[float]:
    """``end - start`` in seconds, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[float], func.extract("epoch", end - start))
    # SQLite stores the UTC datetimes as ISO text: Julian days, in seconds.
    return (func.julianday(end) - func.julianday(start)) * 86400.0
