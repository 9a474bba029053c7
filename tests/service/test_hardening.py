"""Findings of an attack on loopback, each a 4xx (or the right answer) where it was a 500 or a
leak: huge numbers, concurrent revocations, a connection-bound client's inbox, security
headers, and what an unauthenticated client id learns."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from badgeservice.credentials.statuslist import StatusList
from badgeservice.db import database, session_scope
from badgeservice.ingest.models import InboundEvent
from badgeservice.organisations.services import create_client, organisation_by_slug
from badgeservice.security_headers import HSTS
from tests.factories import Example, completion, load_example, signed_headers
from tests.factories import create_achievement as create
from tests.factories import insert_person as add_person


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path)


# -- item 7: other 5xx --------------------------------------------------------------------


def test_a_400_digit_webhook_timestamp_is_a_401(client: Any, example: Example) -> None:
    body = json.dumps(completion(example)).encode()
    headers = signed_headers(example, body)
    headers["webhook-timestamp"] = "9" * 400
    response = client.post(f"/api/v1/events?client={example.client_id}", data=body, headers=headers)
    assert response.status_code == 401
    assert "webhook-timestamp" in response.get_json()["detail"]


def test_a_status_list_number_past_64_bits_is_not_found(client: Any, make_tenant: Any) -> None:
    make_tenant("acme")
    for number in (2**63, 2**64 + 5, 10**30):
        response = client.get(f"/issuers/acme/academy/status/{number}")
        assert response.status_code == 404, number
        assert response.mimetype == "application/problem+json"


def _concurrently(count: int, call: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = call(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_concurrent_revocations_one_wins_and_no_bit_is_lost(
    app: Any, client: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    achievement = create(client, tenant)["id"]
    credentials = []
    for n in range(6):
        person = add_person(app, tenant, email=f"p{n}@example.org")
        response = client.post(
            "/api/v1/awards",
            headers=tenant.headers,
            json={"achievement": achievement, "person": str(person)},
        )
        assert response.status_code == 201, response.get_json()
        credentials.append(response.get_json())

    def revoke(credential_id: str) -> int:
        status: int = (
            app.test_client()
            .post(
                f"/api/v1/credentials/{credential_id}/revoke",
                headers=tenant.headers,
                json={"reason": "issued in error"},
            )
            .status_code
        )
        return status

    # The same credential six times at once: exactly one revocation, five conflicts.
    same = _concurrently(6, lambda _i: revoke(credentials[0]["id"]))
    assert sorted(same) == [200] + [409] * 5, same
    # Five other credentials of the same status list at once: every bit is set.
    others = _concurrently(5, lambda i: revoke(credentials[i + 1]["id"]))
    assert others == [200] * 5, others
    status_url = credentials[0]["credential"]["credentialStatus"]["statusListCredential"]
    listing = client.get(status_url.removeprefix("https://badges.example.org")).get_json()
    bits = StatusList.decode(listing["credentialSubject"]["encodedList"])
    for credential in credentials:
        index = int(credential["credential"]["credentialStatus"]["statusListIndex"])
        assert bits.get(index) == 1, index


# -- item 9: a connection-bound client sees its own connection's events -------------------


def test_a_connection_bound_client_lists_only_its_connections_events(
    app: Any, client: Any, example: Example
) -> None:
    with app.app_context(), session_scope(database()) as session:
        ids = {}
        for connection in ("moodle", "xapi-lrs"):
            event = InboundEvent(
                organisation_id=example.organisation_id,
                connection=connection,
                channel="webhook",
                external_id=f"evt-{connection}",
                content_hash="0" * 64,
                raw="{}",
                normalized={"person": {"email": f"someone@{connection}.example.org"}},
                state="parked",
                reason=f"no person matches email 'someone@{connection}.example.org'",
            )
            session.add(event)
            session.flush()
            ids[connection] = str(event.id)
    bound = {"Authorization": f"Bearer {example.token}"}  # bound to "moodle"
    listed = client.get("/api/v1/events", headers=bound)
    assert listed.status_code == 200
    assert {item["connection"] for item in listed.get_json()["items"]} == {"moodle"}
    other = client.get("/api/v1/events?connection=xapi-lrs", headers=bound)
    assert other.get_json()["items"] == []
    assert client.get(f"/api/v1/events/{ids['xapi-lrs']}", headers=bound).status_code == 404
    assert client.get(f"/api/v1/events/{ids['moodle']}", headers=bound).status_code == 200
    # An unbound admin still sees the whole inbox.
    everything = client.get("/api/v1/events", headers=example.admin_headers).get_json()["items"]
    assert {item["connection"] for item in everything} == {"moodle", "xapi-lrs"}


# -- item 11: security headers ------------------------------------------------------------


def test_security_headers_on_every_response(
    app: Any, client: Any, make_tenant: Any, example: Example
) -> None:
    make_tenant("acme")
    responses = {
        "json": client.get("/healthz"),
        "problem": client.get("/api/v1/people"),
        "public": client.get("/issuers/acme/academy/did.json"),
        "405": client.delete("/healthz"),
        "xapi": client.get("/xapi/about"),
    }
    for name, response in responses.items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "no-referrer", name
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp, name
        assert "frame-ancestors 'none'" in csp, name
        # The public URL of the tests is https: browsers are told to stay on HTTPS.
        assert response.headers["Strict-Transport-Security"] == HSTS, name
        assert "Server" not in response.headers, name
    assert responses["405"].status_code == 405
    assert set(responses["405"].headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert responses["405"].mimetype == "application/problem+json"


def test_hsts_only_over_https(app: Any) -> None:
    app.config["PUBLIC_URL"] = "http://badges.example.org"
    plain = app.test_client().get("/healthz")
    assert "Strict-Transport-Security" not in plain.headers
    secure = app.test_client().get("/healthz", base_url="https://badges.example.org")
    assert secure.headers["Strict-Transport-Security"] == HSTS


def test_the_live_server_names_no_version(tmp_path_factory: Any, database_url: str) -> None:
    from tests.live import serve_example

    server = serve_example(tmp_path_factory, database_url)
    service = next(server)
    try:
        import urllib.request

        with urllib.request.urlopen(f"{service['base']}/healthz", timeout=30) as response:
            banner = response.headers.get("Server") or ""
            assert not any(ch.isdigit() for ch in banner), banner
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        server.close()


# -- item 12: an id without its secret learns nothing -------------------------------------


def test_an_unauthenticated_client_id_learns_no_scopes(
    app: Any, client: Any, example: Example
) -> None:
    with app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        reader = create_client(
            session,
            org,
            name="reader",
            scopes=["hr:read"],
            keystore=app.extensions["badgeservice.keystore"],
            connection="moodle",
        )
        reader_id, reader_secret = str(reader.client.id), reader.secret
    body = json.dumps(completion(example)).encode()
    stamp = int(time.time())
    forged = {
        "webhook-id": "msg-x",
        "webhook-timestamp": str(stamp),
        "webhook-signature": "v1," + base64.b64encode(b"\0" * 32).decode(),
        "Content-Type": "application/json",
    }
    response = client.post(f"/api/v1/events?client={reader_id}", data=body, headers=forged)
    assert response.status_code == 401, response.get_json()
    assert "scope" not in response.get_json()["detail"]
    # The same over xAPI's Basic authentication with a wrong password.
    wrong = base64.b64encode(f"{reader_id}:whsec_wrong".encode()).decode()
    xapi = client.post(
        "/xapi/statements",
        data="{}",
        headers={
            "Authorization": f"Basic {wrong}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    assert xapi.status_code == 401 and "scope" not in xapi.get_json()["error"]
    # Properly authenticated, the missing scope is then named.
    from badgeservice.webhooks import sign

    proper = dict(forged)
    proper["webhook-signature"] = sign(reader_secret, "msg-x", stamp, body)
    response = client.post(f"/api/v1/events?client={reader_id}", data=body, headers=proper)
    assert response.status_code == 403
    assert "events:write" in response.get_json()["detail"]
    assert uuid.UUID(reader_id)
