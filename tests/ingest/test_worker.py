"""Worker mode: requests only store events; the worker processes them, once, and picks up
parked events when their person exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from badgeservice.ingest.worker import run_worker
from tests.factories import Example, completion, load_example, post_signed


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
    assert lines == ["processed 2 event(s)"]

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
