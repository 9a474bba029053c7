"""One organisation's HR endpoint cannot stall the worker for everyone: an overall delivery
deadline against a receiver that trickles bytes, completion events processed while a
delivery hangs, a per-endpoint concurrency limit, and a circuit breaker."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from badgeservice.db import utcnow
from badgeservice.hr.delivery.dispatch import DeliveryPool
from badgeservice.hr.models import Delivery, DeliveryAttempt, HrEndpoint
from badgeservice.ingest.models import InboundEvent
from badgeservice.workers import run_worker
from tests.factories import Example, completion, load_example
from tests.hr.conftest import DlvOrg
from tests.hr.fake_receiver import FakeReceiver


class Trickler:
    """An HTTP receiver on loopback that reads the request and then answers one byte every
    ``every`` seconds (a status line and endless headers) until released, as the attack's
    endpoint did. It records whether a connection is still open."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.server = socket.create_server(("127.0.0.1", 0))
        self.connected = threading.Event()
        self.open_connections = 0
        self.sent = 0
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hooks"

    def _serve(self) -> None:
        while not self.released.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with self._lock:
            self.open_connections += 1
        self.connected.set()
        answer = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000
        try:
            conn.recv(65536)
            for byte in answer:
                if self.released.wait(self.every):
                    break
                conn.sendall(bytes([byte]))
                with self._lock:
                    self.sent += 1
        except OSError:
            pass  # the sender gave up: its deadline
        finally:
            with self._lock:
                self.open_connections -= 1
            conn.close()

    def close(self) -> None:
        self.released.set()
        self.server.close()


@pytest.fixture
def trickler() -> Iterator[Trickler]:
    slow = Trickler()
    yield slow
    slow.close()


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver()
    yield fake
    fake.close()


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_trickling_endpoint_is_cut_at_the_delivery_deadline(
    dlv_org: DlvOrg, trickler: Trickler
) -> None:
    dlv_org.person("T001")
    dlv_org.add_endpoint(trickler.url)
    dlv_org.publish("T001")
    dlv_org.app.config.update(HR_DELIVERY_TIMEOUT=1.5, HR_RETRY_SCHEDULE="600")
    pool = DeliveryPool(dlv_org.app, threads=1, echo=lambda _: None)
    stats = pool.drain()
    assert stats.attempted == 1 and stats.failed == 1
    with dlv_org.db() as session:
        (attempt,) = session.scalars(select(DeliveryAttempt)).all()
    assert attempt.error == "no complete answer within 1.5 s"
    # Cut by the sender while the receiver still had most of its answer to trickle.
    assert trickler.sent < 1000
    wait_until(lambda: trickler.open_connections == 0, 10, "the connection to close")


def _post_events(client: Any, example: Example, ids: list[str]) -> dict[str, float]:
    posted = {}
    for event_id in ids:
        response = client.post(
            "/api/v1/events",
            data=json.dumps(completion(example, event_id=event_id)),
            headers={
                "Authorization": f"Bearer {example.token}",
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 202, response.get_json()
        assert response.get_json()["event"]["state"] == "received"  # worker mode
        posted[event_id] = time.monotonic()
    return posted


def _latencies(app: Any, example: Example, posted: dict[str, float]) -> list[float]:
    """Seconds from each POST until the worker had processed the event (polled)."""
    from badgeservice.db import database, session_scope

    done: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while len(done) < len(posted):
        assert time.monotonic() < deadline, f"events not processed: {set(posted) - set(done)}"
        with app.app_context(), session_scope(database()) as session:
            rows = session.scalars(
                select(InboundEvent).where(InboundEvent.external_id.in_(list(posted)))
            ).all()
        now = time.monotonic()
        for row in rows:
            if row.state != "received" and row.external_id not in done:
                assert row.state == "processed", (row.state, row.reason)
                done[row.external_id] = now - posted[row.external_id]
        time.sleep(0.02)
    return list(done.values())


def test_completion_events_are_processed_while_a_delivery_trickles(
    app: Any, client: Any, tmp_path: Path, trickler: Trickler
) -> None:
    """The acceptance test: with an HR endpoint trickling bytes (its delivery in flight the
    whole time), completion events are processed within their normal latency."""
    example = load_example(app, tmp_path)
    app.config["PROCESSING"] = "worker"
    app.config["HR_DELIVERY_TIMEOUT"] = 300  # the delivery stays in flight during the test
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker,
        args=(app,),
        kwargs={"interval": 0.05, "echo": lambda _: None, "stop": stop},
        daemon=True,
    )
    worker.start()
    try:
        # Normal latency, measured now: no endpoint, nothing to deliver.
        baseline = _latencies(app, example, _post_events(client, example, ["b1", "b2", "b3"]))

        endpoint = client.post(
            "/api/v1/hr/endpoints", json={"url": trickler.url}, headers=example.admin_headers
        )
        assert endpoint.status_code == 201
        # A competence event for the endpoint: a manual award of another badge.
        person = client.get(
            "/api/v1/people?employeeNumber=E1002", headers=example.admin_headers
        ).get_json()["items"][0]
        achievements = client.get("/api/v1/achievements", headers=example.admin_headers).get_json()[
            "items"
        ]
        other = next(a for a in achievements if a["id"] != str(example.achievement_id))
        awarded = client.post(
            "/api/v1/awards",
            json={"achievement": other["id"], "person": person["id"]},
            headers=example.admin_headers,
        )
        assert awarded.status_code == 201, awarded.get_json()
        assert trickler.connected.wait(30), "the delivery never reached the trickling endpoint"

        stalled = _latencies(app, example, _post_events(client, example, ["s1", "s2", "s3"]))
        # Processed while the delivery was still in flight, not after it.
        assert trickler.open_connections >= 1 and not trickler.released.is_set()
        # "Within their normal latency": a generous bound against the same-run baseline.
        assert max(stalled) <= max(5 * max(baseline), max(baseline) + 5), (baseline, stalled)
    finally:
        trickler.close()
        stop.set()
        worker.join(60)
    assert not worker.is_alive()


def test_a_slow_endpoint_takes_only_its_share_of_the_threads(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    people = [f"P{n:03d}" for n in range(4)]
    for number in people:
        dlv_org.person(number)
    hanging = FakeReceiver()
    try:
        hanging.secret = dlv_org.add_endpoint(hanging.url, name="slow")["secret"]
        receiver.secret = dlv_org.add_endpoint(receiver.url, name="fine")["secret"]
        sent = [dlv_org.publish(number) for number in people]
        hanging.hold()
        pool = DeliveryPool(dlv_org.app, threads=3, per_endpoint=1, echo=lambda _: None)
        pool.start()
        try:
            assert hanging.holding.wait(30)
            # The other endpoint gets every message while the slow one holds its one.
            wait_until(lambda: sorted(receiver.ids()) == sorted(sent), 30, "the other endpoint")
            assert hanging.requests == 1  # never more than its limit at once
        finally:
            hanging.release()
            wait_until(lambda: sorted(hanging.ids()) == sorted(sent), 30, "the slow endpoint")
            pool.stop(timeout=30)
    finally:
        hanging.close()


def test_a_failing_endpoint_is_paused_by_its_circuit_breaker(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    dlv_org.person("B001")
    endpoint = dlv_org.add_endpoint(receiver.url)
    receiver.secret = endpoint["secret"]
    dlv_org.publish("B001")
    receiver.status = 500
    dlv_org.app.config.update(HR_RETRY_SCHEDULE="0", HR_BREAKER_THRESHOLD=3, HR_BREAKER_PAUSE=600)
    pool = DeliveryPool(dlv_org.app, threads=2, echo=lambda _: None)
    for _ in range(3):
        pool.drain()
    assert receiver.requests == 3
    with dlv_org.db() as session:
        row = session.scalar(select(HrEndpoint))
        assert row is not None and row.failures == 3
        assert row.paused_until is not None
        assert row.paused_until >= utcnow() + timedelta(seconds=590)
        (delivery,) = session.scalars(select(Delivery)).all()
        assert delivery.state == "pending" and delivery.next_attempt_at <= utcnow()
    # Due, but the breaker is open: the worker leaves the endpoint alone.
    assert pool.drain().attempted == 0
    assert receiver.requests == 3
    # The pause ends; one success closes the breaker.
    receiver.status = 200
    with dlv_org.db() as session:
        row = session.scalar(select(HrEndpoint))
        assert row is not None
        row.paused_until = utcnow() - timedelta(seconds=1)
    assert pool.drain().delivered == 1
    with dlv_org.db() as session:
        row = session.scalar(select(HrEndpoint))
        assert row is not None and row.failures == 0 and row.paused_until is None
