"""Delivering the outbox to a real HTTP receiver on loopback: Standard Webhooks signatures,
retries with backoff, the attempt log, maximum age and dead letters, manual redelivery
(API and CLI), per-person order, 410 Gone and Retry-After, the deliveries API."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from badgeservice.cli import cli
from badgeservice.commands import register
from badgeservice.db import database, utcnow
from badgeservice.hr.delivery.policy import RetryPolicy
from badgeservice.hr.delivery.sending import DeliveryStats, deliver_due
from badgeservice.hr.models import CompetenceEvent, Delivery, DeliveryAttempt
from tests.hr.conftest import DlvOrg
from tests.hr.fake_receiver import DROP, FAIL, HANG, OK, FakeReceiver, verify_standard_webhook

register(cli)

FAST = RetryPolicy((0.05, 0.1, 0.2), max_age=60, timeout=1.0, breaker_threshold=10_000)


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver()
    yield fake
    fake.close()


def connect(org: DlvOrg, receiver: FakeReceiver, name: str = "hr") -> dict[str, Any]:
    endpoint = org.add_endpoint(receiver.url, name=name)
    receiver.secret = endpoint["secret"]
    return endpoint


def deliver_round(org: DlvOrg, policy: RetryPolicy = FAST) -> DeliveryStats:
    with org.app.app_context():
        return deliver_due(
            database(),
            keystore=org.app.extensions["badgeservice.keystore"],
            policy=policy,
            rng=random.Random(5),
        )


def rows(org: DlvOrg) -> list[Delivery]:
    with org.db() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.event_seq)))


def drain(org: DlvOrg, policy: RetryPolicy = FAST, seconds: float = 15) -> DeliveryStats:
    """Delivery rounds until nothing is pending (waiting out retry times)."""
    total = DeliveryStats()
    deadline = time.monotonic() + seconds
    while any(row.state == "pending" for row in rows(org)):
        assert time.monotonic() < deadline, [(r.state, r.last_error) for r in rows(org)]
        total += deliver_round(org, policy)
        time.sleep(0.02)
    return total


def test_a_signed_delivery_reaches_the_receiver(dlv_org: DlvOrg, receiver: FakeReceiver) -> None:
    dlv_org.person("S001")
    endpoint = connect(dlv_org, receiver)
    event_id = dlv_org.publish("S001")
    stats = deliver_round(dlv_org)
    assert (stats.attempted, stats.delivered) == (1, 1)

    (receipt,) = receiver.accepted()
    assert receipt.verified, receipt.headers  # checked with the secret the API handed out
    assert receipt.webhook_id == event_id
    assert receipt.headers["content-type"] == "application/json"
    assert receipt.headers["user-agent"].startswith("badgeservice/")
    with dlv_org.db() as session:
        event = session.scalar(
            select(CompetenceEvent).where(CompetenceEvent.id == uuid.UUID(event_id))
        )
        assert event is not None
        assert receipt.payload == event.payload and receipt.payload["id"] == event_id
        assert json.loads(receipt.body.decode("utf-8"))["data"]["note"] == "ä ✓"
    (delivery,) = rows(dlv_org)
    assert delivery.state == "delivered" and delivery.attempts == 1
    assert delivery.last_status == 200 and delivery.delivered_at is not None

    shown = dlv_org.client.get(f"/api/v1/hr/deliveries/{delivery.id}", headers=dlv_org.headers)
    body = shown.get_json()
    assert body["state"] == "delivered" and body["eventType"] == "competence.recognised"
    assert body["endpoint"] == endpoint["id"] and body["event"] == event_id
    (attempt,) = body["attempts"]
    assert attempt["statusCode"] == 200 and attempt["latencyMs"] >= 0 and attempt["error"] is None

    # rotation: the next message is signed with the new secret only
    rotated = dlv_org.client.post(
        f"/api/v1/hr/endpoints/{endpoint['id']}/secret", headers=dlv_org.headers
    ).get_json()["secret"]
    dlv_org.publish("S001", "competence.revoked")
    deliver_round(dlv_org)
    latest = receiver.accepted()[-1]
    assert not latest.verified  # the receiver still checks with the old secret
    assert verify_standard_webhook(rotated, latest.headers, latest.body)


def test_failures_are_retried_with_backoff_and_every_attempt_is_logged(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    dlv_org.person("R001")
    connect(dlv_org, receiver)
    event_id = dlv_org.publish("R001")
    script = iter([FAIL, DROP, HANG])
    receiver.hang_seconds = 1.5
    receiver.rule(lambda _id: next(script, OK))
    policy = RetryPolicy((0.2, 0.4), max_age=60, timeout=0.5, breaker_threshold=10_000)

    before = utcnow()
    first = deliver_round(dlv_org, policy)
    assert (first.attempted, first.failed) == (1, 1)
    (delivery,) = rows(dlv_org)
    assert delivery.state == "pending" and delivery.last_status == 500
    # full jitter: the wait after the first failure is drawn from [0, 0.2 s]
    assert before <= delivery.next_attempt_at <= utcnow() + timedelta(seconds=0.2)
    drain(dlv_org, policy)

    (delivery,) = rows(dlv_org)
    assert delivery.state == "delivered" and delivery.attempts == 4
    with dlv_org.db() as session:
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery.id)
            .order_by(DeliveryAttempt.attempted_at)
        ).all()
    assert [a.status_code for a in attempts] == [500, None, None, 200]
    # A status line, never the body the receiver answered ({"error": ...}).
    assert attempts[0].error == "HTTP 500 Internal Server Error"
    assert attempts[1].error == "the connection closed without an answer"
    assert attempts[2].error == "no complete answer within 0.5 s"
    assert attempts[2].latency_ms >= 450
    # the hung attempt did reach the receiver: a duplicate, with the same webhook-id
    assert receiver.ids() == [event_id, event_id]


def test_a_round_tries_each_delivery_once_even_when_it_falls_due_again_at_once(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    # With no wait after a failure the delivery is due again the moment it failed; a round
    # must still not hammer the receiver with it (the next round retries).
    dlv_org.person("T001")
    connect(dlv_org, receiver)
    dlv_org.publish("T001")
    receiver.status = 503
    policy = RetryPolicy((0.0,), max_age=60, timeout=1.0, breaker_threshold=10_000)
    stats = deliver_round(dlv_org, policy)
    assert (stats.attempted, stats.failed) == (1, 1)
    assert receiver.requests == 1
    receiver.status = 200
    assert deliver_round(dlv_org, policy).delivered == 1


def test_maximum_age_dead_letters_and_redelivery_restores_the_order(
    dlv_org: DlvOrg, receiver: FakeReceiver, app: Any
) -> None:
    dlv_org.person("M001")
    dlv_org.person("M002")
    connect(dlv_org, receiver)
    first = dlv_org.publish("M001")
    receiver.status = 503
    # The maximum age leaves room for several tries even on a slow, busy machine (the
    # first try can come late): at least two before it gives up.
    policy = RetryPolicy((0.05,), max_age=2.0, timeout=1.0, breaker_threshold=10_000)
    drain(dlv_org, policy)
    (dead,) = rows(dlv_org)
    assert dead.state == "dead" and dead.attempts >= 2 and dead.last_status == 503
    assert "gave up after" in (dead.last_error or "") and "maximum age" in (dead.last_error or "")

    # a newer event for the same person cannot overtake the dead one: it is dead-lettered
    later = dlv_org.publish("M001", "competence.revoked")
    other = dlv_org.publish("M002")
    receiver.status = 200
    drain(dlv_org, policy)
    by_event = {str(row.event_id): row for row in rows(dlv_org)}
    assert by_event[later].state == "dead" and "earlier delivery" in (
        by_event[later].last_error or ""
    )
    assert by_event[other].state == "delivered"
    assert receiver.ids() == [other]

    headers = dlv_org.headers
    listed = dlv_org.client.get("/api/v1/hr/deliveries?state=dead", headers=headers).json["items"]
    assert {item["event"] for item in listed} == {first, later}
    assert all(item["lastError"] and "attempts" not in item for item in listed)
    alone = dlv_org.client.post(
        f"/api/v1/hr/deliveries/{by_event[later].id}/redeliver", headers=headers
    )
    assert alone.status_code == 409 and str(by_event[first].id) in alone.json["detail"]

    # the CLI puts every dead delivery back, oldest first; attempts are kept
    env = {
        "BADGESERVICE_DATABASE_URL": app.config["DATABASE_URL"],
        "BADGESERVICE_SECRET_KEY": app.config["SECRET_KEY"],
        "BADGESERVICE_INSTANCE_PATH": app.config["INSTANCE_PATH"],
    }
    runner = CliRunner()
    usage = runner.invoke(cli, ["hr", "redeliver", "--organisation", "esimerkkiopisto"], env=env)
    assert usage.exit_code == 2 and "--dead" in usage.output
    result = runner.invoke(
        cli, ["hr", "redeliver", "--organisation", "esimerkkiopisto", "--dead"], env=env
    )
    assert result.exit_code == 0 and "2 delivery(ies) queued again" in result.output
    requeued = {str(row.event_id): row for row in rows(dlv_org)}
    assert requeued[first].state == "pending" and requeued[first].attempts == dead.attempts
    drain(dlv_org, policy)
    assert receiver.ids() == [other, first, later]  # the person's order holds

    # a delivered one can be redelivered through the API (same webhook-id again)
    again = dlv_org.client.post(
        f"/api/v1/hr/deliveries/{requeued[first].id}/redeliver", headers=headers
    )
    assert again.status_code == 200 and again.json["state"] == "pending"
    drain(dlv_org, policy)
    assert receiver.ids() == [other, first, later, first]
    one = runner.invoke(
        cli,
        ["hr", "redeliver", "--organisation", "esimerkkiopisto", str(requeued[later].id)],
        env=env,
    )
    assert one.exit_code == 0, one.output
    unknown = runner.invoke(
        cli, ["hr", "redeliver", "--organisation", "esimerkkiopisto", str(uuid.uuid4())], env=env
    )
    assert unknown.exit_code == 2 and "no delivery" in unknown.output


def test_per_person_order_holds_while_an_earlier_message_is_retried(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    for number in ("P001", "P002"):
        dlv_org.person(number)
    connect(dlv_org, receiver)
    recognised = dlv_org.publish("P001")
    updated = dlv_org.publish("P001", "competence.updated")
    revoked = dlv_org.publish("P001", "competence.revoked")
    elsewhere = dlv_org.publish("P002")
    failures = Counter[str]()

    def flaky_first(webhook_id: str) -> str | None:
        if webhook_id == recognised and failures[webhook_id] < 3:
            failures[webhook_id] += 1
            return FAIL
        return None

    receiver.rule(flaky_first)
    deliver_round(dlv_org)
    # P002 is not held up by P001's failing message; P001's later ones wait for it
    assert receiver.ids() == [elsewhere]
    assert {str(r.event_id): r.attempts for r in rows(dlv_org)}[updated] == 0
    drain(dlv_org)
    assert receiver.ids() == [elsewhere, recognised, updated, revoked]


def test_gone_deactivates_the_endpoint_and_retry_after_is_honoured(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    dlv_org.person("G001")
    endpoint = connect(dlv_org, receiver)
    dlv_org.publish("G001")
    receiver.status = 429
    receiver.extra_headers = {"Retry-After": "3"}
    before = utcnow()
    deliver_round(
        dlv_org, RetryPolicy((0.1, 10), max_age=60, timeout=1.0, breaker_threshold=10_000)
    )
    (delivery,) = rows(dlv_org)
    assert delivery.state == "pending" and delivery.last_status == 429
    assert delivery.next_attempt_at >= before + timedelta(seconds=3)

    dlv_org.publish("G001", "competence.revoked")
    with dlv_org.db() as session:
        session.get(Delivery, delivery.id).next_attempt_at = utcnow()  # type: ignore[union-attr]
    receiver.status, receiver.extra_headers = 410, {}
    stats = deliver_round(dlv_org)
    assert stats.attempted == 1
    first, second = rows(dlv_org)
    assert first.state == "dead" and "410 Gone" in (first.last_error or "")
    assert second.state == "dead" and second.attempts == 0
    shown = dlv_org.client.get(f"/api/v1/hr/endpoints/{endpoint['id']}", headers=dlv_org.headers)
    assert shown.json["active"] is False


def test_the_deliveries_api_pages_filters_and_refuses_bad_queries(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    dlv_org.person("L001")
    one = connect(dlv_org, receiver, "one")
    two = dlv_org.add_endpoint("http://127.0.0.1:9/never", name="two")
    for _ in range(3):
        dlv_org.publish("L001")
    get = dlv_org.client.get
    headers = dlv_org.headers
    everything = get("/api/v1/hr/deliveries", headers=headers).json["items"]
    assert len(everything) == 6 and {d["state"] for d in everything} == {"pending"}
    seqs = [d["eventSeq"] for d in everything]
    assert seqs == sorted(seqs, reverse=True)
    mine = get(f"/api/v1/hr/deliveries?endpoint={one['id']}&limit=2", headers=headers).json
    assert len(mine["items"]) == 2 and {d["endpoint"] for d in mine["items"]} == {one["id"]}
    page2 = get(f"/api/v1/hr/deliveries?endpoint={two['id']}&limit=2&offset=2", headers=headers)
    assert len(page2.json["items"]) == 1
    for query in ("state=lost", "endpoint=12", "limit=0", "offset=-1", "colour=red"):
        answer = get(f"/api/v1/hr/deliveries?{query}", headers=headers)
        assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    missing = get(f"/api/v1/hr/deliveries/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert get("/api/v1/hr/deliveries/not-an-id", headers=headers).status_code == 404


def test_the_demo_delivers_to_its_own_receiver(tmp_path: Any) -> None:
    """`badgeservice demo` runs delivery in the process: an award reaches the demo's HR
    receiver, which verifies the signature and logs the receipt (never the secret)."""
    import os
    import re
    import shutil
    import subprocess
    import sys
    import urllib.request

    from tests.conftest import ROOT
    from tests.live import free_port

    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BADGESERVICE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "badgeservice", "demo", "--port", str(port)],
        cwd=tmp_path,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        while not any("API description" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        token = re.search(r"\(admin\): (\S+)", text).group(1)  # type: ignore[union-attr]
        award = re.search(r"-d '(\{.*\})'", text).group(1)  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"

        def call(path: str, body: bytes | None = None) -> Any:
            request = urllib.request.Request(
                base + path,
                data=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())

        for _ in range(100):
            try:
                call("/api/v1/hr/endpoints")
                break
            except OSError:
                time.sleep(0.2)
        (endpoint,) = call("/api/v1/hr/endpoints")["items"]
        assert endpoint["url"] == f"{base}/demo/hr-receiver"
        call("/api/v1/awards", award.encode())
        deadline = time.monotonic() + 30
        while True:
            items = call("/api/v1/hr/deliveries")["items"]
            if items and all(item["state"] == "delivered" for item in items):
                break
            assert time.monotonic() < deadline, items
            time.sleep(0.2)
        assert items[0]["lastStatus"] == 204
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    log = "".join(lines) + output
    assert re.search(r"demo HR receiver: competence\.\w+ \S+ for E\d+, signature verified", log)
    assert "whsec_" not in log
