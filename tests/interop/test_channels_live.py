"""Each inbound channel end to end over real HTTP against a server process: the LMS reports
a completion, the service issues a credential, and the reference JavaScript stack verifies
it, resolving the issuer's did:web document and status list from the server."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from badgeservice.webhooks import sign
from tests.conftest import fresh_database
from tests.interop.conftest import JsStack
from tests.live import http, serve_example

XAPI_ACTIVITY = "https://lms.esimerkkiopisto.example.org/xapi/activities/phishing-simulation"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with fresh_database(tmp_path_factory) as database_url:
        yield from serve_example(tmp_path_factory, database_url)


def _client(server: dict[str, Any], connection: str) -> dict[str, str]:
    out = server["cli"](
        "clients",
        "create",
        "--organisation",
        "esimerkkiopisto",
        "--scopes",
        "events:write",
        "--connection",
        connection,
        "--json",
    )
    return json.loads(out)  # type: ignore[no-any-return]


def _raw(method: str, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _verify_in_js(jsstack: JsStack, server: dict[str, Any], credential_ids: list[str]) -> None:
    assert credential_ids
    for credential_id in credential_ids:
        status, credential = http("GET", f"{server['base']}/credentials/{credential_id}")
        assert status == 200
        result = jsstack({"op": "verify", "credentials": [credential], "resolveLoopback": True})[
            "results"
        ][0]
        assert result["verified"], result
        assert [s["status"] for s in result["statuses"]] == [False]


def _event(server: dict[str, Any], external_id: str) -> dict[str, Any]:
    status, events = http("GET", f"{server['base']}/api/v1/events", token=server["token"])
    assert status == 200
    matching = [e for e in events["items"] if e["externalId"] == external_id]
    assert len(matching) == 1, events
    return matching[0]  # type: ignore[no-any-return]


def test_generic_webhook_channel(server: dict[str, Any], jsstack: JsStack) -> None:
    client = _client(server, "moodle")
    body = json.dumps(
        {
            "id": "lms-evt-1",
            "time": "2026-11-27T12:00:00+00:00",
            "source": {"connection": "moodle"},
            "person": {"employeeNumber": "E1003"},
            "activity": {"id": "course:100", "name": "Data protection"},
            "result": {"completion": True, "success": True},
        }
    ).encode()
    stamp = int(time.time())
    status, raw = _raw(
        "POST",
        f"{server['base']}/api/v1/events?client={client['id']}",
        body,
        {
            "Content-Type": "application/json",
            "webhook-id": "msg-live-1",
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(client["secret"], "msg-live-1", stamp, body),
        },
    )
    assert status == 202, raw
    answer = json.loads(raw)
    assert answer["event"]["state"] == "processed", answer
    _verify_in_js(jsstack, server, [c["id"] for c in answer["credentials"]])


def test_xapi_channel(server: dict[str, Any], jsstack: JsStack) -> None:
    client = _client(server, "xapi-lrs")
    statement_id = str(uuid.uuid4())
    statement = {
        "id": statement_id,
        "actor": {
            "objectType": "Agent",
            "mbox": "mailto:helena.korhonen@esimerkkiopisto.example.org",
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {
            "objectType": "Activity",
            "id": XAPI_ACTIVITY,
            "definition": {"name": {"en-US": "Phishing simulation"}},
        },
        "result": {"completion": True, "success": True},
        "timestamp": "2026-11-27T12:00:00Z",
    }
    auth = base64.b64encode(f"{client['id']}:{client['secret']}".encode()).decode()
    status, raw = _raw(
        "POST",
        f"{server['base']}/xapi/statements",
        json.dumps(statement).encode(),
        {
            "Content-Type": "application/json",
            "Authorization": f"Basic {auth}",
            "X-Experience-API-Version": "1.0.3",
        },
    )
    assert status == 200, raw
    assert json.loads(raw) == [statement_id]
    event = _event(server, statement_id)
    assert event["state"] == "processed", event
    _verify_in_js(jsstack, server, event["credentials"])


def test_moodle_channel(server: dict[str, Any], jsstack: JsStack) -> None:
    client = _client(server, "moodle")
    body = {
        "eventname": "\\core\\event\\course_module_completion_updated",
        "component": "core",
        "action": "updated",
        "target": "course_module_completion",
        "objecttable": "course_modules_completion",
        "objectid": 555,
        "crud": "u",
        "edulevel": 2,
        "contextid": 90,
        "contextlevel": 70,
        "contextinstanceid": 2010,
        "userid": 2101,
        "courseid": 100,
        "relateduserid": 2101,
        "anonymous": 0,
        "other": {"relateduserid": 2101, "overrideby": None, "completionstate": 1},
        "timecreated": int(time.time()),
        "token": client["token"],
    }
    status, raw = _raw(
        "POST",
        f"{server['base']}/hooks/moodle/moodle",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 202, raw
    answer = json.loads(raw)
    assert answer["event"]["state"] == "processed", answer
    _verify_in_js(jsstack, server, [c["id"] for c in answer["credentials"]])
