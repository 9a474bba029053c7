"""xAPI 1.0.3 statements, LRS-style: Basic auth, statement ids as idempotency keys, voiding."""

from __future__ import annotations

import base64
import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from badgeservice.db import database, session_scope
from badgeservice.ingest.models import InboundEvent
from badgeservice.organisations.models import Connection
from badgeservice.organisations.services import create_client, organisation_by_slug
from tests.factories import Example, load_example

ACCOUNT = {"homePage": "https://lms.esimerkkiopisto.example.org", "name": "aino.virtanen"}
VERBS = "http://adlnet.gov/expapi/verbs/"
HELENA = "helena.korhonen@esimerkkiopisto.example.org"


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path, connection="xapi-lrs", kind="xapi")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def headers(example: Example, **extra: str) -> dict[str, str]:
    return {
        "Authorization": basic(example.client_id, example.secret),
        "X-Experience-API-Version": "1.0.3",
        **extra,
    }


def statement(
    example: Example,
    statement_id: str | None = None,
    verb: str = "completed",
    actor: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actor": actor if actor is not None else {"objectType": "Agent", "account": ACCOUNT},
        "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": example.activity,
            "definition": {"name": {"fi-FI": "Tietojenkalastelu"}},
        },
        "result": {"completion": True, "success": True, "score": {"scaled": 0.9}},
        "timestamp": "2026-11-20T10:00:00Z",
        **extra,
    }
    if statement_id is not None:
        body["id"] = statement_id
    return body


def post(client: Any, example: Example, body: Any, **extra: str) -> Any:
    response = client.post("/xapi/statements", json=body, headers=headers(example, **extra))
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    return response


def events(client: Any, example: Example) -> dict[str, dict[str, Any]]:
    items = client.get("/api/v1/events", headers=example.admin_headers).get_json()["items"]
    return {item["externalId"]: item for item in items}


def credentials(client: Any, example: Example) -> list[dict[str, Any]]:
    items = client.get("/api/v1/credentials", headers=example.admin_headers).get_json()["items"]
    return [c for c in items if c["achievement"] == str(example.achievement_id)]


def assert_error(response: Any, status: int, fragment: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert fragment in response.get_json()["error"], response.get_json()
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_about(client: Any) -> None:
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert response.get_json() == {"version": ["1.0.3", "1.0.0"]}
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_completed_statement_issues_once(client: Any, example: Example) -> None:
    sid = str(uuid.uuid4())
    first = post(client, example, statement(example, sid))
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == [sid]
    event = events(client, example)[sid]
    assert event["state"] == "processed", event
    assert event["channel"] == "xapi" and event["connection"] == "xapi-lrs"
    assert len(credentials(client, example)) == 1

    again = post(client, example, statement(example, sid))
    assert again.status_code == 200 and again.get_json() == [sid]
    assert len(events(client, example)) == 1
    assert len(credentials(client, example)) == 1

    changed = statement(example, sid)
    changed["result"]["score"] = {"scaled": 0.5}
    assert_error(post(client, example, changed), 409, sid)
    # LRS-owned properties do not count as content.
    stamped = {**statement(example, sid), "stored": "2026-11-21T00:00:00Z", "version": "1.0.3"}
    assert post(client, example, stamped).status_code == 200


def test_statement_without_id_gets_one(client: Any, example: Example) -> None:
    response = post(client, example, [statement(example)])
    assert response.status_code == 200
    [generated] = response.get_json()
    assert uuid.UUID(generated).version == 4
    assert events(client, example)[generated]["state"] == "processed"


def test_put(client: Any, example: Example) -> None:
    sid = str(uuid.uuid4())
    response = client.put(
        f"/xapi/statements?statementId={sid}",
        json=statement(example),
        headers=headers(example),
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert events(client, example)[sid]["state"] == "processed"
    same = client.put(
        f"/xapi/statements?statementId={sid}",
        json=statement(example, sid),
        headers=headers(example),
    )
    assert same.status_code == 204
    mismatch = client.put(
        f"/xapi/statements?statementId={uuid.uuid4()}",
        json=statement(example, sid),
        headers=headers(example),
    )
    assert_error(mismatch, 400, "statementId")
    missing = client.put("/xapi/statements", json=statement(example), headers=headers(example))
    assert_error(missing, 400, "statementId")
    assert len(events(client, example)) == 1


def test_batch_with_duplicate_ids_is_refused(client: Any, example: Example) -> None:
    sid = str(uuid.uuid4())
    response = post(client, example, [statement(example, sid), statement(example, sid)])
    assert_error(response, 400, sid)
    assert events(client, example) == {}


def test_batch_order_and_passed_verb(client: Any, example: Example) -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    body = [
        statement(example, ids[0], verb="attempted"),
        statement(example, ids[1], verb="passed"),
        statement(example, ids[2], verb="completed"),
    ]
    response = post(client, example, body)
    assert response.status_code == 200 and response.get_json() == ids
    stored = events(client, example)
    assert stored[ids[0]]["state"] == "ignored"
    assert "attempted does not complete" in stored[ids[0]]["reason"]
    assert stored[ids[1]]["state"] == "processed"
    assert stored[ids[1]]["reason"].startswith("1 credential(s) issued")
    assert stored[ids[2]]["reason"].startswith("0 credential(s) issued")
    assert len(credentials(client, example)) == 1


def test_failures_are_ignored(client: Any, example: Example) -> None:
    failed, unsuccessful = str(uuid.uuid4()), str(uuid.uuid4())
    post(client, example, statement(example, failed, verb="failed"))
    body = statement(example, unsuccessful)
    body["result"]["success"] = False
    post(client, example, body)
    stored = events(client, example)
    assert stored[failed]["state"] == "ignored"
    assert stored[unsuccessful]["state"] == "ignored"
    assert stored[unsuccessful]["reason"] == "result.success is false"
    assert credentials(client, example) == []


def test_voiding_revokes_the_credential(client: Any, example: Example) -> None:
    sid = str(uuid.uuid4())
    assert post(client, example, statement(example, sid)).status_code == 200
    [credential] = credentials(client, example)
    assert credential["status"] != "revoked"
    void = {
        "actor": {"account": ACCOUNT},
        "verb": {"id": VERBS + "voided"},
        "object": {"objectType": "StatementRef", "id": sid},
    }
    void_id = post(client, example, void).get_json()[0]
    assert events(client, example)[void_id]["state"] == "processed"
    shown = client.get(f"/api/v1/credentials/{credential['id']}", headers=example.admin_headers)
    assert shown.get_json()["status"] == "revoked"
    not_a_ref = {**void, "object": {"id": example.activity}}
    assert_error(post(client, example, not_a_ref), 400, "StatementRef")


def test_mbox_actor(client: Any, example: Example) -> None:
    sid = str(uuid.uuid4())
    post(client, example, statement(example, sid, actor={"mbox": f"mailto:{HELENA}"}))
    assert events(client, example)[sid]["state"] == "processed"
    assert len(credentials(client, example)) == 1


def test_mbox_sha1sum_actor(client: Any, example: Example) -> None:
    digest = hashlib.sha1(f"mailto:{HELENA}".encode()).hexdigest()
    sid = str(uuid.uuid4())
    post(client, example, statement(example, sid, actor={"mbox_sha1sum": digest.upper()}))
    assert events(client, example)[sid]["state"] == "processed"
    assert len(credentials(client, example)) == 1
    unknown = str(uuid.uuid4())
    post(client, example, statement(example, unknown, actor={"mbox_sha1sum": "0" * 40}))
    assert events(client, example)[unknown]["state"] == "parked"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda s: s.pop("actor"), "actor is required"),
        (lambda s: s["actor"].update({"mbox": f"mailto:{HELENA}"}), "exactly one"),
        (lambda s: s.update({"actor": {"name": "nobody"}}), "exactly one"),
        (lambda s: s["actor"].update({"account": {"name": "x"}}), "actor.account.homePage"),
        (lambda s: s.update({"actor": {"mbox": HELENA}}), "actor.mbox"),
        (lambda s: s.update({"actor": {"mbox_sha1sum": "abc"}}), "mbox_sha1sum"),
        (lambda s: s.update({"id": "not-a-uuid"}), "id must be a UUID"),
        (lambda s: s.update({"verb": {"id": "completed"}}), "verb.id"),
        (lambda s: s.pop("object"), "object is required"),
        (lambda s: s["object"].update({"id": "no iri"}), "object.id"),
        (lambda s: s["result"].update({"success": "yes"}), "result.success"),
        (lambda s: s["result"].update({"completion": 1}), "result.completion"),
        (lambda s: s.update({"timestamp": "yesterday"}), "timestamp"),
    ],
)
def test_invalid_statements_are_precise_400s(
    client: Any, example: Example, mutate: Any, fragment: str
) -> None:
    body = statement(example, str(uuid.uuid4()))
    mutate(body)
    assert_error(post(client, example, body), 400, fragment)
    assert events(client, example) == {}


def test_one_invalid_statement_refuses_the_whole_batch(client: Any, example: Example) -> None:
    bad = statement(example)
    bad.pop("actor")
    assert_error(post(client, example, [statement(example), bad]), 400, "statement 1: actor")
    assert events(client, example) == {}


def test_version_header_is_required(client: Any, example: Example) -> None:
    body = statement(example)
    missing = client.post(
        "/xapi/statements",
        json=body,
        headers={"Authorization": basic(example.client_id, example.secret)},
    )
    assert_error(missing, 400, "X-Experience-API-Version")
    old = post(client, example, body, **{"X-Experience-API-Version": "0.95"})
    assert_error(old, 400, "X-Experience-API-Version")
    assert post(client, example, [body], **{"X-Experience-API-Version": "2.0.0"}).status_code == 200


def test_authentication(client: Any, example: Example) -> None:
    body = statement(example)
    for auth in [
        None,
        f"Bearer {example.token}",
        basic(example.client_id, example.secret + "x"),
        basic(example.client_id, ""),
        basic(str(uuid.uuid4()), example.secret),
        basic("not-a-client", example.secret),
    ]:
        sent = {"X-Experience-API-Version": "1.0.3"}
        if auth:
            sent["Authorization"] = auth
        response = client.post("/xapi/statements", json=body, headers=sent)
        assert_error(response, 401, "")
        assert response.headers["WWW-Authenticate"] == 'Basic realm="xAPI"'
    assert events(client, example) == {}


def test_clients_without_a_connection_or_of_another_organisation(
    app: Any, client: Any, example: Example, make_tenant: Any
) -> None:
    make_tenant("acme")
    keystore = app.extensions["badgeservice.keystore"]
    with app.test_request_context(), session_scope(database()) as session:
        ours = organisation_by_slug(session, "esimerkkiopisto")
        unbound = create_client(
            session, ours, name="unbound", scopes=["events:write"], keystore=keystore
        )
        acme = organisation_by_slug(session, "acme")
        session.add(Connection(organisation_id=acme.id, name="xapi-lrs", kind="xapi"))
        session.flush()
        theirs = create_client(
            session,
            acme,
            name="acme-lrs",
            scopes=["events:write"],
            keystore=keystore,
            connection="xapi-lrs",
        )
        unbound_id, unbound_secret = str(unbound.client.id), unbound.secret
        theirs_id, theirs_secret = str(theirs.client.id), theirs.secret
    body = statement(example, str(uuid.uuid4()))
    version = {"X-Experience-API-Version": "1.0.3"}
    unbound_response = client.post(
        "/xapi/statements",
        json=body,
        headers={"Authorization": basic(unbound_id, unbound_secret), **version},
    )
    assert_error(unbound_response, 400, "bind the client to a connection")
    # Another organisation's client may not borrow our client's secret, nor ours its secret.
    borrowed = client.post(
        "/xapi/statements",
        json=body,
        headers={"Authorization": basic(theirs_id, example.secret), **version},
    )
    assert_error(borrowed, 401, "")
    # With its own credentials its statement lands in its own organisation, never ours.
    own = client.post(
        "/xapi/statements",
        json=body,
        headers={"Authorization": basic(theirs_id, theirs_secret), **version},
    )
    assert own.status_code == 200, own.get_json()
    assert events(client, example) == {}
    assert credentials(client, example) == []
    with app.app_context(), session_scope(database()) as session:
        stored = session.scalars(select(InboundEvent)).all()
        assert [(e.organisation_id, e.state) for e in stored] == [(acme.id, "parked")]
