"""Reliability of HR delivery with real ``badgeservice worker`` processes against a fake HR
receiver on loopback: a receiver that fails at random and then recovers, a worker killed
(SIGKILL) mid-delivery, and two workers at once on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from badgeservice.hr.models import Delivery, DeliveryAttempt
from tests.conftest import ROOT
from tests.hr.conftest import DlvOrg
from tests.hr.fake_receiver import FakeReceiver

POSTGRES = os.environ.get("BADGESERVICE_TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver()
    yield fake
    fake.close()


class Workers:
    """``badgeservice worker`` processes on the test database with a fast retry schedule."""

    def __init__(self, app: Any, folder: Path) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "BADGESERVICE_DATABASE_URL": app.config["DATABASE_URL"],
            "BADGESERVICE_SECRET_KEY": app.config["SECRET_KEY"],
            "BADGESERVICE_INSTANCE_PATH": app.config["INSTANCE_PATH"],
            "BADGESERVICE_HR_RETRY_SCHEDULE": "0.05,0.1,0.2,0.4",
            "BADGESERVICE_HR_DELIVERY_TIMEOUT": "0.5",
            "BADGESERVICE_HR_DELIVERY_MAX_AGE": "300",
            "BADGESERVICE_OUTBOUND_ALLOW": "127.0.0.1/32",
            "BADGESERVICE_HR_BREAKER_PAUSE": "0.2",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
        }
        self.running: list[subprocess.Popen[str]] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "badgeservice", "worker", "--interval", "0.1", *args],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.running.append(process)
        return process

    def until_idle(self) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "badgeservice", "worker", "--until-idle"],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def stop(self) -> list[str]:
        outputs = []
        for process in self.running:
            if process.poll() is None:
                process.terminate()
            out, _ = process.communicate(timeout=30)
            outputs.append(out)
        self.running.clear()
        return outputs


@pytest.fixture
def workers(app: Any, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(app, tmp_path)
    yield pool
    pool.stop()


def publish_many(org: DlvOrg, people: int, per_person: int) -> dict[str, list[str]]:
    """Events for each person, in the order published (recognised, updated, …, revoked)."""
    kinds = ["competence.recognised", "competence.updated", "competence.revoked"]
    sent: dict[str, list[str]] = {}
    for n in range(per_person):
        for p in range(people):
            number = f"W{p:03d}"
            sent.setdefault(number, []).append(org.publish(number, kinds[min(n, 2)]))
    return sent


def pending(org: DlvOrg) -> int:
    with org.db() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.state == "pending")
            )
            or 0
        )


def wait_until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def assert_received_exactly(receiver: FakeReceiver, sent: dict[str, list[str]]) -> None:
    """Everything arrived, signed; duplicates only as the same webhook-id with the same
    bytes; each person's messages first arrived in the order they were published."""
    receipts = receiver.accepted()
    assert all(receipt.verified for receipt in receipts)
    everything = {event for events in sent.values() for event in events}
    assert {r.webhook_id for r in receipts} == everything
    bodies: dict[str, set[bytes]] = defaultdict(set)
    for receipt in receipts:
        bodies[receipt.webhook_id].add(receipt.body)
    assert all(len(variants) == 1 for variants in bodies.values())
    first_seen: list[str] = []
    for receipt in receipts:
        if receipt.webhook_id not in first_seen:
            first_seen.append(receipt.webhook_id)
    for events in sent.values():
        assert [event for event in first_seen if event in events] == events


def test_a_failing_receiver_recovers_and_gets_everything_in_order(
    dlv_org: DlvOrg, receiver: FakeReceiver, workers: Workers
) -> None:
    for p in range(6):
        dlv_org.person(f"W{p:03d}")
    receiver.secret = dlv_org.add_endpoint(receiver.url, name="hr")["secret"]
    sent = publish_many(dlv_org, people=6, per_person=4)
    receiver.hang_seconds = 0.8  # past the worker's 0.5 s timeout
    receiver.chaos(seed=7, fail=0.3, hang=0.1, drop=0.2)

    workers.start()
    # a while of chaos: enough requests that every kind of failure happened
    wait_until(lambda: receiver.requests >= 30, 30, "requests to the failing receiver")
    assert pending(dlv_org) > 0, "the receiver should still be failing"
    receiver.recover()
    wait_until(lambda: pending(dlv_org) == 0, 30, "every delivery to leave pending")
    workers.stop()

    assert_received_exactly(receiver, sent)
    with dlv_org.db() as session:
        states = set(session.scalars(select(Delivery.state)))
        failed = session.scalars(
            select(DeliveryAttempt.error).where(DeliveryAttempt.error.is_not(None))
        ).all()
    assert states == {"delivered"}
    assert any("HTTP 500" in e for e in failed), failed
    assert any("closed without an answer" in e or "reset" in e for e in failed), failed
    assert any("no complete answer within" in e for e in failed), failed


def test_a_worker_killed_mid_delivery_loses_nothing(
    dlv_org: DlvOrg, receiver: FakeReceiver, workers: Workers
) -> None:
    for p in range(4):
        dlv_org.person(f"W{p:03d}")
    receiver.secret = dlv_org.add_endpoint(receiver.url, name="hr")["secret"]
    sent = publish_many(dlv_org, people=4, per_person=3)
    receiver.delay = 0.05

    worker = workers.start()
    wait_until(lambda: len(receiver.accepted()) >= 4, 30, "the first deliveries")
    receiver.hold()  # the next message is accepted but not answered: the worker waits
    wait_until(receiver.holding.is_set, 30, "a delivery in flight")
    held = receiver.accepted()[-1].webhook_id
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    receiver.release()

    with dlv_org.db() as session:
        cut = session.scalar(select(Delivery).where(Delivery.event_id == _uuid(held)))
        assert cut is not None
        # the send was cut off before its outcome committed: still pending, no attempt
        assert cut.state == "pending" and cut.attempts == 0
        delivered = session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state == "delivered")
        )
    assert delivered and delivered < sum(len(v) for v in sent.values())

    out = workers.until_idle()
    assert "worker idle" in out and "0 dead" in out
    assert pending(dlv_org) == 0
    assert_received_exactly(receiver, sent)
    assert receiver.ids().count(held) == 2  # sent again after the kill, same webhook-id


@pytest.mark.skipif(not POSTGRES, reason="SQLite has no SKIP LOCKED: run one worker there")
def test_two_workers_on_postgresql_send_each_message_once(
    dlv_org: DlvOrg, receiver: FakeReceiver, workers: Workers
) -> None:
    for p in range(10):
        dlv_org.person(f"W{p:03d}")
    receiver.secret = dlv_org.add_endpoint(receiver.url, name="hr")["secret"]
    sent = publish_many(dlv_org, people=10, per_person=4)
    receiver.delay = 0.05

    workers.start("--batch-size", "3")
    workers.start("--batch-size", "3")
    wait_until(lambda: pending(dlv_org) == 0, 60, "every delivery")
    outputs = workers.stop()

    assert_received_exactly(receiver, sent)
    assert len(receiver.ids()) == 40  # no message twice
    for out in outputs:  # both took part
        assert sum(int(line.split()[1]) for line in out.splitlines() if line.startswith("hr:")) > 0


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)
