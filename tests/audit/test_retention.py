"""The retention purge (the worker's step, with an injected clock): raw inbox payloads,
delivery attempts and audit entries go after each organisation's periods, in batches;
what is still needed stays; one audit entry per run and organisation. On PostgreSQL the
audit trail refuses any other UPDATE or DELETE."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from badgeservice import retention
from badgeservice.audit.models import AuditEvent
from badgeservice.audit.services import record
from badgeservice.db import database, session_scope, utcnow
from badgeservice.hr.models import Delivery, DeliveryAttempt, DeliveryState
from badgeservice.ingest.models import PURGED, EventState, InboundEvent
from badgeservice.organisations.models import Organisation
from badgeservice.retention import RetentionStep
from tests.factories import completion, post_signed
from tests.hr.conftest import DlvOrg, dlv_org  # noqa: F401 - the fixture

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=utcnow().tzinfo)


def _step(app: Any, now: datetime = NOW) -> RetentionStep:
    return RetentionStep(app, echo=lambda _line: None, clock=lambda: now)


def _event(org: uuid.UUID, state: str, processed_days_ago: int | None, n: int) -> InboundEvent:
    at = NOW - timedelta(days=processed_days_ago or 0)
    return InboundEvent(
        organisation_id=org,
        connection="moodle",
        channel="webhook",
        external_id=f"evt-{state}-{n}",
        content_hash="0" * 64,
        raw='{"person": {"email": "ada@example.org"}}',
        normalized={"person": {"email": "ada@example.org"}},
        state=state,
        received_at=at,
        processed_at=at if processed_days_ago is not None else None,
    )


def test_inbox_payloads_go_after_the_period_and_the_rows_stay(
    dlv_org: DlvOrg,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches
    org = dlv_org.organisation_id
    with dlv_org.db() as session:
        old = [_event(org, state, 100, n) for n in range(3) for state in ("processed",)]
        old += [_event(org, EventState.UNMATCHED, 91, 0), _event(org, EventState.IGNORED, 95, 0)]
        kept = [
            _event(org, EventState.PROCESSED, 89, 9),  # within the period
            _event(org, EventState.RECEIVED, None, 0),  # not processed yet
            _event(org, EventState.PARKED, 200, 0),  # waiting for the person
            _event(org, EventState.FAILED, 200, 0),  # to be replayed
        ]
        session.add_all(old + kept)
        session.flush()
        old_ids, kept_ids = [e.id for e in old], [e.id for e in kept]

    purged = _step(dlv_org.app).run()
    assert purged.inbox == 5

    with dlv_org.db() as session:
        for event_id in old_ids:
            event = session.get(InboundEvent, event_id)
            assert event is not None and event.raw == PURGED and event.normalized == {}
            assert event.processed_at is not None and event.external_id.startswith("evt-")
        for event_id in kept_ids:
            event = session.get(InboundEvent, event_id)
            assert event is not None and "ada@example.org" in event.raw
    # Purged once: the next run finds nothing and records nothing.
    assert _step(dlv_org.app).run().total == 0
    entries = _entries(dlv_org, "retention.purged")
    assert len(entries) == 1
    assert entries[0].details["inbox"] == 5 and entries[0].details["inbox_days"] == 90
    assert (entries[0].actor_kind, entries[0].channel, entries[0].at) == ("worker", "worker", NOW)


def _entries(org: DlvOrg, action: str) -> list[AuditEvent]:
    with org.db() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.organisation_id == org.organisation_id, AuditEvent.action == action
                )
            )
        )


def test_each_organisation_has_its_own_period(dlv_org: DlvOrg) -> None:  # noqa: F811
    org = dlv_org.organisation_id
    with dlv_org.db() as session:
        event = _event(org, EventState.PROCESSED, 40, 0)
        session.add(event)
        session.flush()
        event_id = event.id
    assert _step(dlv_org.app).run().inbox == 0
    answer = dlv_org.client.patch(
        f"/api/v1/organisations/{org}",
        json={"retention": {"inboxDays": 30}},
        headers=dlv_org.headers,
    )
    assert answer.status_code == 200
    assert _step(dlv_org.app).run().inbox == 1
    with dlv_org.db() as session:
        purged = session.get(InboundEvent, event_id)
        assert purged is not None and purged.raw == PURGED


def test_a_purged_event_cannot_be_replayed(app: Any, client: Any, dlv_org: DlvOrg) -> None:  # noqa: F811
    example = _example(app, dlv_org)
    sent = post_signed(client, example, completion(example, "evt-old"))
    assert sent.status_code == 202, sent.get_json()
    event_id = sent.get_json()["event"]["id"]
    with dlv_org.db() as session:
        event = session.get(InboundEvent, uuid.UUID(event_id))
        assert event is not None and event.state == EventState.PROCESSED
        event.processed_at = NOW - timedelta(days=120)
        credentials = list(event.credential_ids)
    assert _step(app).run().inbox == 1
    shown = client.get(f"/api/v1/events/{event_id}", headers=dlv_org.headers).get_json()
    assert shown["state"] == "processed"
    replay = client.post(f"/api/v1/events/{event_id}/replay", headers=dlv_org.headers)
    assert replay.status_code == 409
    assert "purged by retention" in replay.get_json()["detail"]
    with dlv_org.db() as session:
        event = session.get(InboundEvent, uuid.UUID(event_id))
        assert event is not None and event.credential_ids == credentials
        assert event.state == EventState.PROCESSED  # not turned into a failure


def _example(app: Any, org: DlvOrg) -> Any:
    """The example organisation as an LMS sending to its moodle connection sees it."""
    from badgeservice.organisations.services import create_client
    from tests.factories import Example

    with org.db() as session:
        organisation = session.get(Organisation, org.organisation_id)
        assert organisation is not None
        issued = create_client(
            session,
            organisation,
            name="lms-retention",
            scopes=["events:write"],
            keystore=app.extensions["badgeservice.keystore"],
            connection="moodle",
        )
        from badgeservice.paths.models import SubGoal, Trigger

        trigger = session.scalar(select(Trigger).where(Trigger.sub_goal_id == org.sub_goal_id))
        assert trigger is not None and session.get(SubGoal, org.sub_goal_id) is not None
        return Example(  # the example's, with an LMS client of its own
            org.organisation_id,
            str(issued.client.id),
            issued.token,
            issued.secret,
            org.admin,
            trigger.activity,
            "moodle",
            org.sub_goal_id,
            uuid.uuid4(),
        )


def test_attempts_of_ended_deliveries_go_pending_ones_stay(dlv_org: DlvOrg) -> None:  # noqa: F811
    dlv_org.person("E77")
    dlv_org.add_endpoint("http://127.0.0.1:9/hook", name="hr")
    for _ in range(3):
        dlv_org.publish("E77")
    old, recent = NOW - timedelta(days=200), NOW - timedelta(days=1)
    with dlv_org.db() as session:
        rows = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.organisation_id == dlv_org.organisation_id)
                .order_by(Delivery.event_seq)
            )
        )[-3:]
        states = (DeliveryState.DELIVERED, DeliveryState.DEAD, DeliveryState.PENDING)
        for delivery, state in zip(rows, states, strict=True):
            delivery.state, delivery.queued_at = state, old
            for _ in range(2):
                session.add(
                    DeliveryAttempt(delivery_id=delivery.id, attempted_at=old, latency_ms=1)
                )
        session.add(DeliveryAttempt(delivery_id=rows[0].id, attempted_at=recent, latency_ms=1))
        ids = [row.id for row in rows]

    assert _step(dlv_org.app).run().attempts == 4

    with dlv_org.db() as session:
        left = {
            delivery_id: int(
                session.scalar(
                    select(func.count())
                    .select_from(DeliveryAttempt)
                    .where(DeliveryAttempt.delivery_id == delivery_id)
                )
                or 0
            )
            for delivery_id in ids
        }
        assert session.get(Delivery, ids[0]) is not None  # the delivery itself stays
    assert list(left.values()) == [1, 0, 2]


def test_audit_entries_go_after_their_period(dlv_org: DlvOrg) -> None:  # noqa: F811
    org = dlv_org.organisation_id
    with dlv_org.db() as session:
        record(session, org, "test.old", "x", at=NOW - timedelta(days=731))
        record(session, org, "test.young", "x", at=NOW - timedelta(days=729))
    assert _step(dlv_org.app).run().audit >= 1
    assert _entries(dlv_org, "test.old") == []
    assert len(_entries(dlv_org, "test.young")) == 1
    assert _entries(dlv_org, "retention.purged")[0].details["audit"] >= 1


def test_postgresql_refuses_changing_the_audit_trail_except_for_the_purge(
    dlv_org: DlvOrg,  # noqa: F811
) -> None:
    with dlv_org.app.app_context():
        if database().dialect != "postgresql":
            pytest.skip("the append-only trigger is PostgreSQL's")
        engine = database().engine
    with dlv_org.db() as session:
        entry = record(session, dlv_org.organisation_id, "test.kept", "x")
        entry_id = entry.id
    for statement in (
        "UPDATE audit_events SET actor = 'someone else' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement), {"id": entry_id})
    with engine.begin() as connection:
        assert (
            connection.scalar(
                text("SELECT actor FROM audit_events WHERE id = :id"), {"id": entry_id}
            )
            == "system"
        )
    # The flag is the transaction's own: set, the purge's DELETE goes through …
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL badgeservice.purge = on"))
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": entry_id})
    # … and the next transaction is refused again.
    with dlv_org.db() as session:
        again = record(session, dlv_org.organisation_id, "test.kept", "x").id
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": again})
    with session_scope(database_of(dlv_org)) as session:
        assert session.get(AuditEvent, entry_id) is None
        assert session.get(AuditEvent, again) is not None


def database_of(org: DlvOrg) -> Any:
    with org.app.app_context():
        return database()
