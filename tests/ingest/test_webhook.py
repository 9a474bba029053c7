"""The generic completion webhook: signed or bearer, inbox first, exactly once."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.factories import Example, completion, load_example, post_signed, signed_headers


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path)


def test_signed_completion_issues_once(client: Any, example: Example) -> None:
    first = post_signed(client, example, completion(example))
    assert first.status_code == 202, first.get_json()
    body = first.get_json()
    assert body["event"]["state"] == "processed", body
    assert body["event"]["duplicate"] is False
    assert len(body["credentials"]) >= 1
    again = post_signed(client, example, completion(example), message_id="msg-2")
    assert again.status_code == 202
    assert again.get_json()["event"]["duplicate"] is True
    assert again.get_json()["event"]["id"] == body["event"]["id"]
    other_id = post_signed(client, example, completion(example, "evt-2"), message_id="msg-3")
    assert other_id.get_json()["event"]["state"] == "processed"
    assert other_id.get_json()["event"]["reason"].startswith("0 credential(s) issued")
    listed = client.get("/api/v1/credentials", headers=example.admin_headers).get_json()["items"]
    assert sum(1 for c in listed if c["achievement"] == str(example.achievement_id)) == 1


def test_bearer_token_is_accepted(client: Any, example: Example) -> None:
    response = client.post(
        "/api/v1/events",
        json=completion(example),
        headers={"Authorization": f"Bearer {example.token}"},
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["event"]["state"] == "processed"


@pytest.mark.parametrize(
    ("mutate", "status", "fragment"),
    [
        (lambda h: h.update({"webhook-signature": "v1,AAAA"}), 401, "does not match"),
        (lambda h: h.update({"webhook-timestamp": str(int(time.time()) - 3600)}), 401, "stale"),
        (lambda h: h.pop("webhook-id"), 401, "webhook-id"),
        (lambda h: h.update({"webhook-timestamp": "soon"}), 401, "integer"),
    ],
)
def test_bad_signatures_are_refused(
    client: Any, example: Example, mutate: Any, status: int, fragment: str
) -> None:
    body = json.dumps(completion(example)).encode()
    headers = signed_headers(example, body)
    mutate(headers)
    response = client.post(f"/api/v1/events?client={example.client_id}", data=body, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert fragment in response.get_json()["detail"]
    assert client.get("/api/v1/events", headers=example.admin_headers).get_json()["items"] == []


def test_unknown_connection_person_and_activity(client: Any, example: Example) -> None:
    event = completion(example)
    event["source"]["connection"] = "xapi-lrs"
    forbidden = post_signed(client, example, event)
    assert forbidden.status_code == 403  # this client is bound to the moodle connection
    unknown = client.post(
        "/api/v1/events",
        json={**completion(example), "source": {"connection": "nope"}},
        headers={"Authorization": f"Bearer {example.admin}"},
    )
    assert unknown.status_code == 404
    assert "nope" in unknown.get_json()["detail"]
    parked = post_signed(client, example, completion(example, "evt-p", employeeNumber="E9999"))
    assert parked.get_json()["event"]["state"] == "parked"
    assert "E9999" in parked.get_json()["event"]["reason"]
    event = completion(example, "evt-u")
    event["activity"]["id"] = "course:999999"
    unmatched = post_signed(client, example, event)
    assert unmatched.status_code == 202
    assert unmatched.get_json()["event"]["state"] == "unmatched"
    failed_attempt = completion(example, "evt-f")
    failed_attempt["result"] = {"completion": True, "success": False}
    assert post_signed(client, example, failed_attempt).get_json()["event"]["state"] == "ignored"
    parked_list = client.get("/api/v1/events?state=parked", headers=example.admin_headers)
    assert [e["externalId"] for e in parked_list.get_json()["items"]] == ["evt-p"]


def test_malformed_events_are_precise_400s(client: Any, example: Example) -> None:
    for body, fragment in [
        ({**completion(example), "extra": 1}, "extra"),
        ({k: v for k, v in completion(example).items() if k != "person"}, "person"),
        ({**completion(example), "time": "yesterday"}, "time"),
        ({**completion(example), "person": {"nickname": "x"}}, "person"),
    ]:
        response = client.post(
            "/api/v1/events", json=body, headers={"Authorization": f"Bearer {example.token}"}
        )
        assert response.status_code == 400, body
        assert fragment in response.get_json()["detail"]
    assert client.post("/api/v1/events", json=completion(example)).status_code == 401


def test_parked_event_is_processed_on_replay_once_the_person_exists(
    client: Any, example: Example
) -> None:
    parked = post_signed(client, example, completion(example, "evt-p", employeeNumber="E7777"))
    event_id = parked.get_json()["event"]["id"]
    created = client.post(
        "/api/v1/people",
        headers=example.admin_headers,
        json={"employeeNumber": "E7777", "email": "new@example.org"},
    )
    assert created.status_code == 201, created.get_json()
    replay = client.post(f"/api/v1/events/{event_id}/replay", headers=example.admin_headers)
    assert replay.status_code == 200
    assert replay.get_json()["state"] == "processed"
    again = client.post(f"/api/v1/events/{event_id}/replay", headers=example.admin_headers)
    assert again.get_json()["state"] == "processed"
    assert again.get_json()["credentials"] == replay.get_json()["credentials"]
