"""Worker mode: requests only store events; the worker processes them, once, and picks up
parked events when their person exists."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from badgeservice.db import database, session_scope
from badgeservice.ingest.models import PURGED, InboundEvent
from badgeservice.ingest.worker import run_worker
from tests.factories import Example, completion, load_example, post_signed

# One line per batch: its size, its time and its outcomes (logfmt).
BATCH_LINE = re.compile(
    r"batch events=(?P<events>\d+) ms=\d+ processed=(?P<processed>\d+) "
    r"unmatched=(?P<unmatched>\d+) ignored=(?P<ignored>\d+) parked=(?P<parked>\d+) "
    r"failed=(?P<failed>\d+) again=(?P<again>\d+)(?: together=(?P<together>\d+))?"
    r"(?: alone=(?P<alone>\d+))?"
)


def _batch(line: str) -> dict[str, int]:
    match = BATCH_LINE.fullmatch(line)
    assert match, line
    return {key: int(value or 0) for key, value in match.groupdict().items()}


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    app.config["PROCESSING"] = "worker"
    return load_example(app, tmp_path)


def _events(client: Any, example: Example, **query: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/events", query_string=query, headers=example.admin_headers)
    assert answer.status_code == 200
    return list(answer.get_json()["items"])


def _credentials(client: Any, example: Example) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/credentials", headers=example.admin_headers)
    assert answer.status_code == 200
    return list(answer.get_json()["items"])


def test_requests_store_and_the_worker_processes_once(
    app: Any, client: Any, example: Example
) -> None:
    first = post_signed(client, example, completion(example, "evt-1"))
    assert first.status_code == 202, first.get_json()
    body = first.get_json()
    assert body["event"]["state"] == "received"
    assert body["credentials"] == []
    again = post_signed(client, example, completion(example, "evt-1"), message_id="msg-2")
    assert again.get_json()["event"]["duplicate"] is True
    other = post_signed(client, example, completion(example, "evt-2"), message_id="msg-3")
    assert other.get_json()["event"]["state"] == "received"
    assert _credentials(client, example) == []

    lines: list[str] = []
    stats = run_worker(app, until_idle=True, echo=lines.append)
    assert stats.processed == 2
    (line,) = lines
    assert _batch(line) == {
        "events": 2,
        "processed": 2,
        "unmatched": 0,
        "ignored": 0,
        "parked": 0,
        "failed": 0,
        "again": 0,
        "together": 1,  # evt-1 with the batch; evt-2 (same person) after it, on its own
        "alone": 0,
    }

    events = {e["externalId"]: e for e in _events(client, example)}
    assert {e["state"] for e in events.values()} == {"processed"}
    assert len(events["evt-1"]["credentials"]) == 1  # the older one issued it
    assert events["evt-2"]["credentials"] == []
    assert events["evt-2"]["reason"].startswith("0 credential(s) issued, 1 already held")
    credentials = _credentials(client, example)
    assert [c["id"] for c in credentials] == events["evt-1"]["credentials"]
    assert credentials[0]["achievement"] == str(example.achievement_id)

    assert run_worker(app, until_idle=True, echo=lines.append).processed == 0
    assert len(_credentials(client, example)) == 1


def test_parked_events_are_processed_once_the_person_exists(
    app: Any, client: Any, example: Example
) -> None:
    event = completion(example, "evt-new", employeeNumber="N2001")
    assert post_signed(client, example, event).status_code == 202
    run_worker(app, until_idle=True, echo=lambda _: None)  # parked retried once, at start
    (parked,) = _events(client, example)
    assert parked["state"] == "parked", parked
    assert "N2001" in parked["reason"]

    created = client.post(
        "/api/v1/people",
        json={"employeeNumber": "N2001", "givenName": "Uusi"},
        headers=example.admin_headers,
    )
    assert created.status_code == 201, created.get_json()
    stats = run_worker(app, until_idle=True, echo=lambda _: None)
    assert stats.processed == 1

    (done,) = _events(client, example)
    assert done["state"] == "processed", done
    assert done["person"] == created.get_json()["id"]
    assert len(done["credentials"]) == 1
    assert _events(client, example, state="parked") == []
    assert [c["id"] for c in _credentials(client, example)] == done["credentials"]


class _Looping(Exception):
    pass


def test_until_idle_ends_while_an_event_stays_parked(
    app: Any, client: Any, example: Example
) -> None:
    event = completion(example, "evt-nobody", employeeNumber="N404")
    assert post_signed(client, example, event).status_code == 202
    batches: list[str] = []

    def echo(line: str) -> None:
        batches.append(line)
        if len(batches) > 5:
            raise _Looping(f"still busy after {len(batches)} batches: {batches[-1]}")

    # parked_every=0 is what `badgeservice worker --until-idle` passes: each pass tries the
    # parked event once, and the worker still becomes idle
    run_worker(app, until_idle=True, parked_every=0, echo=echo)
    (parked,) = _events(client, example)
    assert parked["state"] == "parked"


def _send(client: Any, example: Example, numbers: list[str]) -> dict[str, str]:
    """One completion per person; the event ids by employee number."""
    ids = {}
    for number in numbers:
        sent = post_signed(
            client,
            example,
            completion(example, f"b-{number}", employeeNumber=number),
            message_id=f"m-{number}",
        )
        assert sent.status_code == 202, sent.get_json()
        ids[number] = sent.get_json()["event"]["id"]
    return ids


def _poison(app: Any, event_id: str, **values: Any) -> None:
    with app.app_context(), session_scope(database()) as session:
        session.execute(
            update(InboundEvent).where(InboundEvent.id == uuid.UUID(event_id)).values(**values)
        )


PEOPLE = ["E1001", "E1002", "E1003", "E1004"]


def test_an_event_failing_in_its_savepoint_leaves_its_batch_alone(
    app: Any, client: Any, example: Example
) -> None:
    ids = _send(client, example, PEOPLE)
    _poison(app, ids["E1002"], normalized={"person": "not a person reference"})
    lines: list[str] = []
    run_worker(app, until_idle=True, batch_size=10, echo=lines.append)
    batch = _batch(lines[0])
    assert batch["events"] == 4 and batch["alone"] == 0  # the batch committed as one
    assert (batch["processed"], batch["failed"]) == (3, 1)
    events = {e["id"]: e for e in _events(client, example)}
    poisoned = events.pop(ids["E1002"])
    assert poisoned["state"] == "failed" and poisoned["reason"], poisoned
    assert {e["state"] for e in events.values()} == {"processed"}
    assert all(len(e["credentials"]) == 1 for e in events.values())
    assert len(_credentials(client, example)) == 3


def test_a_poisoned_event_fails_alone_and_the_rest_of_its_batch_is_processed(
    app: Any, client: Any, example: Example
) -> None:
    ids = _send(client, example, PEOPLE)
    # Processing refuses a purged payload before any savepoint: the batch fails as a whole.
    _poison(app, ids["E1003"], raw=PURGED)
    lines: list[str] = []
    run_worker(app, until_idle=True, batch_size=10, echo=lines.append)
    batch = _batch(lines[0])
    assert batch["events"] == 4 and batch["alone"] == 4  # each tried again on its own
    assert (batch["processed"], batch["failed"]) == (3, 1)
    events = {e["id"]: e for e in _events(client, example)}
    poisoned = events.pop(ids["E1003"])
    assert poisoned["state"] == "failed", poisoned
    assert "purged by retention" in poisoned["reason"]
    assert poisoned["attempts"] == 1
    assert {e["state"] for e in events.values()} == {"processed"}
    assert {e["attempts"] for e in events.values()} == {1}  # the failed batch left no trace
    assert all(len(e["credentials"]) == 1 for e in events.values())
    held = sorted(c["id"] for c in _credentials(client, example))
    assert held == sorted(cid for e in events.values() for cid in e["credentials"])
