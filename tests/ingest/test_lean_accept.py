"""The webhook's lean accept path (worker mode): the same answers and rows as the Flask
view, every other case left to the view, a revoked client refused within the bound."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from werkzeug.test import Client
from werkzeug.wrappers import Response

from badgeservice.db import database, session_scope
from badgeservice.ingest.channels import event_view
from badgeservice.ingest.lean import CLIENT_SECONDS, LeanAccept, answer
from badgeservice.ingest.models import InboundEvent
from badgeservice.ingest.schemas import CompletionEventSchema
from badgeservice.ingest.services import inbox_row
from badgeservice.ingest.views import _INBOUND
from badgeservice.ingest.webhook import parse
from badgeservice.organisations.models import ApiClient
from badgeservice.organisations.services import create_client, organisation_by_slug
from badgeservice.webhooks import sign
from tests.factories import Example, completion, load_example

# The columns that differ between two stores of the same event.
_OWN = ("id", "received_at")


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    app.config["PROCESSING"] = "worker"
    return load_example(app, tmp_path)


@pytest.fixture
def lean(app: Any) -> LeanAccept:
    layer = app.extensions["badgeservice.lean_accept"]
    assert isinstance(layer, LeanAccept)
    return layer


@pytest.fixture
def flask_only(app: Any, lean: LeanAccept) -> Client:
    """The same application without the lean path in front of it."""
    return Client(lean.flask, Response)


def _no_change(_headers: dict[str, str]) -> None:
    return None


def _post(
    http: Client | FlaskClient,
    client_id: str,
    secret: str,
    body: bytes,
    *,
    mutate: Callable[[dict[str, str]], object] = _no_change,
    query: str | None = None,
) -> Any:
    headers = {
        **signed_headers_for(secret, body),
        "Accept": "application/json",
    }
    mutate(headers)
    url = f"/api/v1/events?{query if query is not None else f'client={client_id}'}"
    return http.post(url, data=body, headers=headers)


def signed_headers_for(secret: str, body: bytes, message_id: str = "msg-1") -> dict[str, str]:
    stamp = int(time.time())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, message_id, stamp, body),
        "Content-Type": "application/json",
    }


def _rows(app: Any) -> list[dict[str, Any]]:
    with app.app_context(), session_scope(database()) as session:
        table = InboundEvent.__table__
        return [dict(row._mapping) for row in session.execute(select(table)).all()]


def _forget_events(app: Any) -> None:
    with app.app_context(), session_scope(database()) as session:
        session.execute(delete(InboundEvent))


def _answered(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.to_wsgi_list() if k.lower() != "date"]
    return response.status_code, headers, response.get_data()


def _same_but_own(body: bytes, event: dict[str, Any]) -> bytes:
    """``body`` with the stored event's own id and time put in."""
    data = json.loads(body)
    data["event"]["id"], data["event"]["receivedAt"] = event["id"], event["receivedAt"]
    return json.dumps(data).encode()


def test_lean_and_flask_answer_and_store_alike(
    app: Any, client: Any, example: Example, lean: LeanAccept, flask_only: Client
) -> None:
    body = json.dumps(completion(example, "evt-same")).encode()
    fast = _post(client, example.client_id, example.secret, body)
    assert fast.status_code == 202, fast.get_data()
    assert lean.accepted == 1
    (fast_row,) = _rows(app)
    _forget_events(app)
    slow = _post(flask_only, example.client_id, example.secret, body)
    assert lean.accepted == 1  # the view answered this one
    (slow_row,) = _rows(app)

    status, headers, fast_body = _answered(fast)
    assert (status, headers) == _answered(slow)[:2]
    assert (
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ) in headers
    slow_event = json.loads(slow.get_data())["event"]
    assert _same_but_own(fast_body, slow_event) == _same_but_own(slow.get_data(), slow_event)
    assert fast_body.endswith(b"}\n")
    assert json.loads(fast_body)["event"]["id"] == str(fast_row["id"])
    assert {k: v for k, v in fast_row.items() if k not in _OWN} == {
        k: v for k, v in slow_row.items() if k not in _OWN
    }
    assert fast_row["raw"] == body.decode()
    assert fast_row["state"] == "received"


def test_answer_is_the_views_dump_byte_for_byte(app: Any, example: Example) -> None:
    data = CompletionEventSchema().load(completion(example, "évènement ✓"))
    for moment in (
        datetime(2026, 12, 6, 0, 1, 2, tzinfo=UTC),  # no microseconds: isoformat omits them
        datetime(2026, 12, 6, 0, 1, 2, 345678, tzinfo=UTC),
    ):
        values = inbox_row(
            organisation_id=example.organisation_id,
            connection=example.connection,
            channel="webhook",
            external_id=data["id"],
            raw="{}",
            completion=parse(data),
        )
        values["received_at"] = moment
        with app.test_request_context():
            view = event_view(InboundEvent(**values), False)
            expected = app.json.response(_INBOUND.dump(view)).get_data()
        assert answer(values) == expected


def test_https_adds_hsts_as_the_view_does(
    app: Any, client: Any, example: Example, lean: LeanAccept, flask_only: Client
) -> None:
    body = json.dumps(completion(example, "evt-s")).encode()
    headers = signed_headers_for(example.secret, body)
    url = f"/api/v1/events?client={example.client_id}"
    fast = client.post(url, data=body, headers=headers, base_url="https://localhost")
    assert lean.accepted == 1
    _forget_events(app)
    slow = flask_only.post(url, data=body, headers=headers, base_url="https://localhost")
    assert _answered(fast)[:2] == _answered(slow)[:2]
    assert "Strict-Transport-Security" in fast.headers


def _bounded(app: Any, example: Example, scopes: list[str], connection: str | None) -> str:
    """A new client of the example's organisation: its id (the secret put in its name's
    place is read back below)."""
    with app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        issued = create_client(
            session,
            org,
            name=f"c-{uuid.uuid4().hex[:6]}",
            scopes=scopes,
            keystore=app.extensions["badgeservice.keystore"],
            connection=connection,
        )
        return f"{issued.client.id} {issued.secret}"


def _change(app: Any, client_id: str, **values: Any) -> None:
    with app.app_context(), session_scope(database()) as session:
        session.execute(
            update(ApiClient).where(ApiClient.id == uuid.UUID(client_id)).values(**values)
        )


def _revoke(app: Any, client_id: str) -> None:
    _change(app, client_id, revoked_at=datetime.now(UTC))


# Changes to the signed request's headers, by case.
HEADER_CHANGES: dict[str, Callable[[dict[str, str]], object]] = {
    "bad-signature": lambda h: h.update({"webhook-signature": "v1,AAAA"}),
    "stale": lambda h: h.update({"webhook-timestamp": str(int(time.time()) - 3600)}),
    "no-webhook-id": lambda h: h.pop("webhook-id"),
    "text-plain": lambda h: h.update({"Content-Type": "text/plain"}),
    "bearer-too": lambda h: h.update({"Authorization": "Bearer nonsense"}),
}


def _event_change(name: str, event: dict[str, Any], limit: int) -> None:
    if name == "wrong-connection":
        event["source"]["connection"] = "xapi-lrs"
    elif name == "unknown-field":
        event["extra"] = 1
    elif name == "bad-time":
        event["time"] = "yesterday"
    elif name == "no-person":
        del event["person"]
    elif name == "nul":
        event["activity"]["name"] = "a\x00b"
    elif name == "oversized":
        event["activity"]["name"] = "x" * (limit + 1)


def _sender(app: Any, example: Example, name: str) -> tuple[str, str, str | None]:
    """(client id, secret, query or None for the usual one) of a case."""
    client_id, secret = example.client_id, example.secret
    if name == "unknown-client":
        client_id = str(uuid.uuid4())
    elif name == "uppercase-client-id":
        return client_id, secret, f"client={client_id.upper()}"
    elif name == "revoked":
        client_id, secret = _bounded(app, example, ["events:write"], "moodle").split()
        _revoke(app, client_id)
    elif name == "no-scope":
        client_id, secret = _bounded(app, example, ["hr:read"], "moodle").split()
    elif name == "unbound":
        client_id, secret = _bounded(app, example, ["events:write"], None).split()
    elif name == "bound-elsewhere":
        # bound to a connection its organisation no longer has
        client_id, secret = _bounded(app, example, ["events:write"], "moodle").split()
        _change(app, client_id, connection="nowhere")
    return client_id, secret, None


def _send_case(http: Client | FlaskClient, app: Any, example: Example, name: str) -> Any:
    """The request of the case ``name`` (its client made, if any, once per call)."""
    client_id, secret, query = _sender(app, example, name)
    event = completion(example, f"evt-{name}")
    _event_change(name, event, app.config["MAX_CONTENT_LENGTH"])
    body = json.dumps(event).encode()
    if name == "malformed":
        body = b'{"id": "evt-malformed", '
    elif name == "not-utf8":
        body = body.replace(b"Course", b"Cours\xe9")
    mutate = HEADER_CHANGES.get(name, _no_change)
    return _post(http, client_id, secret, body, mutate=mutate, query=query)


ERRORS = [
    "bad-signature",
    "stale",
    "no-webhook-id",
    "unknown-client",
    "revoked",
    "no-scope",
    "bound-elsewhere",
    "wrong-connection",
    "unknown-field",
    "bad-time",
    "no-person",
    "nul",
    "malformed",
    "not-utf8",
    "oversized",
    "text-plain",
]


@pytest.mark.parametrize("name", ERRORS)
def test_every_refusal_is_the_views_problem(
    app: Any, client: Any, example: Example, lean: LeanAccept, flask_only: Client, name: str
) -> None:
    fast = _send_case(client, app, example, name)
    slow = _send_case(flask_only, app, example, name)
    assert 400 <= fast.status_code < 500, fast.get_data()
    assert fast.mimetype == "application/problem+json"
    assert _answered(fast) == _answered(slow)
    assert lean.accepted == 0
    assert _rows(app) == []


@pytest.mark.parametrize("name", ["unbound", "uppercase-client-id", "bearer-too"])
def test_cases_it_does_not_take_are_the_views(
    app: Any, client: Any, example: Example, lean: LeanAccept, name: str
) -> None:
    response = _send_case(client, app, example, name)
    assert response.status_code == 202, response.get_data()
    assert response.get_json()["event"]["state"] == "received"
    assert lean.accepted == 0
    assert len(_rows(app)) == 1


def test_a_duplicate_is_answered_by_the_view(
    app: Any, client: Any, example: Example, lean: LeanAccept
) -> None:
    body = json.dumps(completion(example, "evt-twice")).encode()
    first = _post(client, example.client_id, example.secret, body)
    again = _post(client, example.client_id, example.secret, body)
    assert lean.accepted == 1
    assert again.status_code == 202
    assert again.get_json()["event"]["duplicate"] is True
    assert again.get_json()["event"]["id"] == first.get_json()["event"]["id"]
    assert len(_rows(app)) == 1


def test_a_revoked_client_is_refused_within_the_bound(
    app: Any, client: Any, example: Example, lean: LeanAccept
) -> None:
    now = [1000.0]
    lean.clock = lambda: now[0]
    client_id, secret = _bounded(app, example, ["events:write"], "moodle").split()

    def send(event_id: str) -> Any:
        body = json.dumps(completion(example, event_id)).encode()
        return _post(client, client_id, secret, body)

    assert send("evt-1").status_code == 202
    _revoke(app, client_id)
    now[0] += CLIENT_SECONDS / 2
    assert send("evt-2").status_code == 202  # still within the bound: the documented lag
    assert lean.accepted == 2
    now[0] += CLIENT_SECONDS / 2
    refused = send("evt-3")
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert lean.accepted == 2


def test_a_revoked_client_is_refused_a_bound_later_in_real_time(
    app: Any, client: Any, example: Example, lean: LeanAccept
) -> None:
    body = json.dumps(completion(example, "evt-1")).encode()
    assert _post(client, example.client_id, example.secret, body).status_code == 202
    _revoke(app, example.client_id)
    time.sleep(CLIENT_SECONDS)
    body = json.dumps(completion(example, "evt-2")).encode()
    assert _post(client, example.client_id, example.secret, body).status_code == 401
    assert lean.accepted == 1


def test_a_rotated_secret_works_at_once(
    app: Any, client: Any, example: Example, lean: LeanAccept
) -> None:
    body = json.dumps(completion(example, "evt-1")).encode()
    assert _post(client, example.client_id, example.secret, body).status_code == 202
    answer = client.post(
        f"/api/v1/clients/{example.client_id}/rotate", headers=example.admin_headers
    )
    assert answer.status_code == 200, answer.get_json()
    new_secret = answer.get_json()["secret"]
    body = json.dumps(completion(example, "evt-2")).encode()
    assert _post(client, example.client_id, new_secret, body).status_code == 202


def test_request_mode_is_the_views(
    app: Any, client: Any, example: Example, lean: LeanAccept
) -> None:
    app.config["PROCESSING"] = "request"
    body = json.dumps(completion(example, "evt-r")).encode()
    response = _post(client, example.client_id, example.secret, body)
    assert response.status_code == 202
    assert response.get_json()["event"]["state"] == "processed"
    assert lean.accepted == 0


def test_other_paths_are_the_applications(client: Any, lean: LeanAccept) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.post("/api/v1/events/").status_code in (404, 405, 308)
    assert lean.accepted == 0


def test_a_lost_database_connection_falls_back_to_the_view(
    app: Any, client: Any, example: Example, lean: LeanAccept
) -> None:
    def send(event_id: str) -> Any:
        body = json.dumps(completion(example, event_id)).encode()
        return _post(client, example.client_id, example.secret, body)

    assert send("evt-1").status_code == 202
    lean._held().connection.driver_connection.close()  # as a server restart would
    fallback = send("evt-2")
    assert fallback.status_code == 202, fallback.get_data()
    assert fallback.get_json()["event"]["state"] == "received"
    assert lean.accepted == 1  # the view answered it
    assert send("evt-3").status_code == 202
    assert lean.accepted == 2  # and the next one has a connection again
    assert sorted(row["external_id"] for row in _rows(app)) == ["evt-1", "evt-2", "evt-3"]
