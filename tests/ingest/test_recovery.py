"""Nothing stored stays unprocessed in request mode: a large xAPI batch is stored whole and
processed after the answer (or refused whole past the documented maximum), a retry of an
event its request never processed processes it, and the server processes what a killed
server left at its start."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from badgeservice.db import database, session_scope
from badgeservice.ingest.models import InboundEvent
from badgeservice.ingest.recovery import process_received, start_recovery
from badgeservice.ingest.xapi import INLINE, MAX_BATCH
from tests.conftest import fresh_database
from tests.factories import Example, completion, load_example, post_signed
from tests.ingest.test_reliability import Live
from tests.ingest.test_xapi import headers, statement


@pytest.fixture
def xapi_example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path, connection="xapi-lrs", kind="xapi")


def states(app: Any) -> Counter[str]:
    with app.app_context(), session_scope(database()) as session:
        return Counter(session.scalars(select(InboundEvent.state)))


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.05)


def test_a_batch_past_the_maximum_is_refused_whole(
    app: Any, client: Any, xapi_example: Example
) -> None:
    batch = [statement(xapi_example, str(uuid.uuid4())) for _ in range(MAX_BATCH + 1)]
    response = client.post("/xapi/statements", json=batch, headers=headers(xapi_example))
    assert response.status_code == 413
    assert f"at most {MAX_BATCH}" in response.get_json()["error"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert sum(states(app).values()) == 0  # nothing of it stored


def test_a_large_batch_is_stored_whole_and_processed_after_the_answer(
    app: Any, client: Any, xapi_example: Example
) -> None:
    batch = [statement(xapi_example, str(uuid.uuid4())) for _ in range(300)]
    response = client.post("/xapi/statements", json=batch, headers=headers(xapi_example))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [s["id"] for s in batch]
    stored = states(app)
    assert sum(stored.values()) == 300  # every statement durable before the answer
    assert stored["received"] == 300 - INLINE  # the request processed only the first ones
    # The server's background thread takes the rest (handed over by the request).
    stop = threading.Event()
    start_recovery(app, interval=0.1, echo=lambda _: None, stop=stop)
    try:
        again = [statement(xapi_example, str(uuid.uuid4())) for _ in range(50)]
        assert (
            client.post("/xapi/statements", json=again, headers=headers(xapi_example)).status_code
            == 200
        )
        wait_for(lambda: states(app)["received"] == 0, 120, "every statement processed")
    finally:
        stop.set()
    assert sum(states(app).values()) == 350


def test_a_retry_of_an_unprocessed_event_processes_it(
    app: Any, client: Any, tmp_path: Path
) -> None:
    example = load_example(app, tmp_path)
    # As if the server died between storing the event and processing it.
    app.config["PROCESSING"] = "worker"
    first = post_signed(client, example, completion(example, "evt-crash"))
    assert first.status_code == 202 and first.get_json()["event"]["state"] == "received"
    app.config["PROCESSING"] = "request"
    retry = post_signed(client, example, completion(example, "evt-crash"), message_id="msg-2")
    assert retry.status_code == 202
    body = retry.get_json()
    assert body["event"]["duplicate"] is True
    assert body["event"]["state"] == "processed", body["event"]
    assert len(body["credentials"]) == 1
    # A further retry changes nothing: the same credential, processed once.
    third = post_signed(client, example, completion(example, "evt-crash"), message_id="msg-3")
    assert third.get_json()["credentials"] == body["credentials"]
    with app.app_context(), session_scope(database()) as session:
        attempts = session.scalar(
            select(InboundEvent.attempts).where(InboundEvent.external_id == "evt-crash")
        )
    assert attempts == 1


def test_the_sweep_leaves_recent_events_to_their_requests(
    app: Any, client: Any, tmp_path: Path
) -> None:
    example = load_example(app, tmp_path)
    app.config["PROCESSING"] = "worker"
    assert post_signed(client, example, completion(example, "evt-new")).status_code == 202
    assert process_received(app, older_than=60) == 0
    assert states(app)["received"] == 1
    assert process_received(app, older_than=None) == 1
    assert states(app) == Counter({"processed": 1})
    with app.app_context(), session_scope(database()) as session:
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 1


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with fresh_database(tmp_path_factory) as database_url:
        server = Live(tmp_path_factory, database_url)
        try:
            yield server
        finally:
            server.stop()


def test_the_server_processes_what_a_killed_server_left(live: Live) -> None:
    # Stored, never processed: the worker that should have processed them never ran, and
    # the server is killed.
    live.start("worker")
    people = live.add_people("LEFT", 3)
    sent = [f"left-{person}" for person in people]
    for event_id, person in zip(sent, people, strict=True):
        status, answer = live.send(live.completion(event_id, person, "course:100"))
        assert status == 202 and answer["event"]["state"] == "received", answer
    live.kill()
    # Restarted in request mode, with no worker: the server itself processes them.
    live.start("request")

    def processed() -> bool:
        stored = {e["externalId"]: e["state"] for e in live.events() if e["externalId"] in sent}
        return set(stored.values()) == {"processed"} and len(stored) == len(sent)

    wait_for(processed, 120, "the server to process the events left behind")
    for person in people:
        assert len(live.credentials(live.person_id(person))) >= 1
    assert json.dumps(live.events("received")) == "[]"
