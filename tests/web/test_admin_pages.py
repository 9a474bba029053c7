"""The admin's pages through the real application: the dashboard counts what is stuck, an
event parked for an unknown person is processed again from the inbox once the person
exists, a dead HR delivery is queued again; only admins enter, and only their own
organisation's records."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from sqlalchemy import select, update

from badgeservice.db import database, session_scope
from badgeservice.hr.models import Delivery
from badgeservice.ingest.models import InboundEvent
from badgeservice.organisations.services import create_client, organisation_by_slug
from badgeservice.webhooks import sign
from tests.web.conftest import Org, form_token, signed_in
from tests.web.test_public_pages import BROWSER, page, text_of


def _lms_client(web_app: Any) -> tuple[str, str]:
    keystore = web_app.extensions["badgeservice.keystore"]
    with web_app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "acme")
        issued = create_client(
            session,
            org,
            name="lms",
            scopes=["events:write"],
            keystore=keystore,
            connection="moodle",
        )
        return str(issued.client.id), issued.secret


def _completion(client: Any, lms: tuple[str, str], number: str) -> Any:
    event = {
        "id": f"evt-{number}",
        "time": "2026-11-20T10:00:00+00:00",
        "source": {"connection": "moodle"},
        "person": {"employeeNumber": number},
        "activity": {"id": "course:100", "name": "Data protection"},
        "result": {"completion": True, "success": True},
    }
    body = json.dumps(event).encode()
    stamp = int(time.time())
    headers = {
        "webhook-id": f"msg-{number}",
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(lms[1], f"msg-{number}", stamp, body),
        "Content-Type": "application/json",
    }
    return client.post(f"/api/v1/events?client={lms[0]}", data=body, headers=headers)


def test_only_admins_enter(web_app: Any, acme: Org, provider: Any) -> None:
    admin_pages = (
        "/o/acme/admin",
        "/o/acme/admin/events",
        "/o/acme/admin/deliveries",
        "/o/acme/admin/clients",
        "/o/acme/admin/endpoints",
    )
    # A learner, HR and a supervisor: none of them an admin.
    for login in ("aino", "helena", "mikko"):
        visitor = signed_in(web_app, acme, provider, login)
        for path in admin_pages:
            page(visitor, path, status=403)
        assert "/o/acme/admin" not in page(visitor, "/o/acme/home")
        refused = visitor.post(
            "/o/acme/admin/clients",
            data={"csrf_token": form_token(page(visitor, "/o/acme/home")), "name": "x"},
            headers={"Accept": BROWSER},
        )
        assert refused.status_code == 403
    signed_out = web_app.test_client().get("/o/acme/admin", headers={"Accept": BROWSER})
    assert signed_out.status_code == 303 and "/sign-in" in signed_out.headers["Location"]


def test_a_parked_event_is_replayed_once_its_person_exists(
    web_app: Any, acme: Org, provider: Any
) -> None:
    lms = _lms_client(web_app)
    tuomas = signed_in(web_app, acme, provider, "tuomas")
    quiet = text_of(page(tuomas, "/o/acme/admin"))
    assert "Nothing needs you now" in quiet
    assert _completion(tuomas, lms, "E7777").status_code == 202
    dashboard = text_of(page(tuomas, "/o/acme/admin"))
    assert "parked (person unknown): 1" in dashboard
    assert "Nothing needs you now" not in dashboard

    parked = page(tuomas, "/o/acme/admin/events?state=parked")
    assert "E7777" in text_of(parked) or "unknown" in text_of(parked)
    (event_id,) = re.findall(r'name="event" value="([0-9a-f-]+)"', parked)
    created = tuomas.post(
        "/api/v1/people",
        headers=acme.headers,
        json={"employeeNumber": "E7777", "email": "new.trainer@esimerkkiopisto.example.org"},
    )
    assert created.status_code == 201, created.get_json()
    replay = tuomas.post(
        "/o/acme/admin/events/replay",
        data={"csrf_token": form_token(parked), "event": [event_id], "state": "parked"},
    )
    assert replay.status_code == 303
    assert "1 event was processed again" in text_of(page(tuomas, replay.headers["Location"]))
    with web_app.app_context(), session_scope(database()) as session:
        event = session.get(InboundEvent, uuid.UUID(event_id))
        assert event is not None and event.state == "processed" and event.credential_ids
    # the same again is harmless: still one credential
    again = tuomas.post(
        "/o/acme/admin/events/replay",
        data={"csrf_token": form_token(parked), "event": [event_id]},
    )
    assert again.status_code == 303
    credentials = tuomas.get("/api/v1/credentials?person=E7777", headers=acme.headers)
    assert len(credentials.get_json()["items"]) == 1
    bad = tuomas.post(
        "/o/acme/admin/events/replay",
        data={"csrf_token": form_token(parked), "event": ["not-an-id"]},
        headers={"Accept": BROWSER},
    )
    assert bad.status_code == 400
    nobody = tuomas.post(
        "/o/acme/admin/events/replay",
        data={"csrf_token": form_token(parked), "event": ["00000000-0000-4000-8000-000000000000"]},
        headers={"Accept": BROWSER},
    )
    assert nobody.status_code == 404


def test_a_dead_delivery_is_queued_again(web_app: Any, acme: Org, provider: Any) -> None:
    tuomas = signed_in(web_app, acme, provider, "tuomas")
    endpoint = tuomas.post(
        "/api/v1/hr/endpoints",
        headers=acme.headers,
        json={"name": "hr", "url": "https://hr.example.org/hooks"},
    )
    assert endpoint.status_code == 201, endpoint.get_json()
    awarded = tuomas.post(
        "/api/v1/awards",
        headers=acme.headers,
        json={"achievement": "data-protection", "person": "E1003"},
    )
    assert awarded.status_code == 201
    with web_app.app_context(), session_scope(database()) as session:
        session.execute(
            update(Delivery).values(state="dead", attempts=3, last_error="connection refused")
        )
        count = len(list(session.scalars(select(Delivery))))
    assert count >= 1
    assert f"given up: {count}" in text_of(page(tuomas, "/o/acme/admin"))
    listing = page(tuomas, "/o/acme/admin/deliveries")
    assert "connection refused" in text_of(listing)
    detail = re.search(r'href="(/o/acme/admin/deliveries/[0-9a-f-]+)"', listing)
    assert detail and "Every attempt" in text_of(page(tuomas, detail.group(1)))
    ids = re.findall(r'name="delivery" value="([0-9a-f-]+)"', listing)
    answer = tuomas.post(
        "/o/acme/admin/deliveries/redeliver",
        data={"csrf_token": form_token(listing), "delivery": ids},
    )
    assert answer.status_code == 303
    assert "queued again" in text_of(page(tuomas, answer.headers["Location"]))
    with web_app.app_context(), session_scope(database()) as session:
        states = {row.state for row in session.scalars(select(Delivery))}
    assert states == {"pending"}
    page(tuomas, "/o/acme/admin/deliveries?state=lost", status=400)
    page(tuomas, "/o/acme/admin/deliveries/00000000-0000-4000-8000-000000000000", status=404)


def _secret_of(html: str, field: str) -> str:
    found = re.search(rf'id="{field}" class="share-address secret" readonly value="([^"]+)"', html)
    assert found, field
    return found.group(1)


def test_api_clients_are_created_rotated_and_revoked(
    web_app: Any, acme: Org, provider: Any
) -> None:
    tuomas = signed_in(web_app, acme, provider, "tuomas")
    listing = page(tuomas, "/o/acme/admin/clients")
    form = {"csrf_token": form_token(listing), "name": "Moodle", "connection": "moodle"}
    refused = tuomas.post("/o/acme/admin/clients", data={**form, "scope": []})
    assert refused.status_code == 400
    assert "Choose at least one" in text_of(refused.get_data(as_text=True))
    created = tuomas.post("/o/acme/admin/clients", data={**form, "scope": ["events:write"]})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    token = _secret_of(html, "token")
    assert token.startswith("bst_") and _secret_of(html, "secret")
    events = tuomas.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert events.status_code == 200  # the new token works, for its connection's events
    assert token not in page(tuomas, "/o/acme/admin/clients")  # never shown again

    client_id = re.search(
        r"/o/acme/admin/clients/([0-9a-f-]+)/rotate", page(tuomas, "/o/acme/admin/clients")
    )
    assert client_id
    rotated = tuomas.post(
        f"/o/acme/admin/clients/{client_id.group(1)}/rotate",
        data={"csrf_token": form_token(listing)},
    )
    fresh = _secret_of(rotated.get_data(as_text=True), "token")
    assert fresh != token
    old = tuomas.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert old.status_code == 401
    revoked = tuomas.post(
        f"/o/acme/admin/clients/{client_id.group(1)}/revoke",
        data={"csrf_token": form_token(listing)},
    )
    assert revoked.status_code == 303
    assert "Moodle is revoked" in text_of(page(tuomas, revoked.headers["Location"]))
    gone = tuomas.get("/api/v1/events", headers={"Authorization": f"Bearer {fresh}"})
    assert gone.status_code == 401
    audit = tuomas.get("/api/v1/audit", headers=acme.headers).get_json()["items"]
    actions = [e["action"] for e in audit if "Tuomas" in e["actor"]]
    assert actions == ["client.revoked", "client.rotated", "client.created"]


def test_hr_endpoints_and_issuer_keys(web_app: Any, acme: Org, provider: Any) -> None:
    tuomas = signed_in(web_app, acme, provider, "tuomas")
    listing = page(tuomas, "/o/acme/admin/endpoints")
    token = form_token(listing)
    private = tuomas.post(
        "/o/acme/admin/endpoints",
        data={"csrf_token": token, "name": "internal", "url": "http://10.0.0.5/hooks"},
    )
    assert private.status_code == 400  # SSRF guard: not a public address
    added = tuomas.post(
        "/o/acme/admin/endpoints",
        data={"csrf_token": token, "name": "sympa", "url": "https://hr.example.org/hooks"},
    )
    assert added.status_code == 200 and added.headers["Cache-Control"] == "no-store"
    secret = _secret_of(added.get_data(as_text=True), "secret")
    assert secret.startswith("whsec_")
    listing = page(tuomas, "/o/acme/admin/endpoints")
    endpoint_id = re.search(r"/o/acme/admin/endpoints/([0-9a-f-]+)/secret", listing)
    assert endpoint_id and secret not in listing
    again = tuomas.post(
        f"/o/acme/admin/endpoints/{endpoint_id.group(1)}/secret", data={"csrf_token": token}
    )
    assert _secret_of(again.get_data(as_text=True), "secret") != secret
    off = tuomas.post(
        f"/o/acme/admin/endpoints/{endpoint_id.group(1)}/active",
        data={"csrf_token": token, "active": "false"},
    )
    assert off.status_code == 303
    assert "inactive" in text_of(page(tuomas, "/o/acme/admin/endpoints"))

    dashboard = page(tuomas, "/o/acme/admin")
    issuer_id = re.search(r"/o/acme/admin/issuers/([0-9a-f-]+)/keys", dashboard)
    assert issuer_id
    did = tuomas.get("/issuers/acme/staff-academy/did.json").get_json()
    rotated = tuomas.post(
        f"/o/acme/admin/issuers/{issuer_id.group(1)}/keys",
        data={"csrf_token": form_token(dashboard)},
    )
    assert rotated.status_code == 303
    assert "A new signing key was made" in text_of(page(tuomas, rotated.headers["Location"]))
    after = tuomas.get("/issuers/acme/staff-academy/did.json").get_json()
    # A rotation adds one key of each kind: Ed25519 (Data Integrity) and JOSE (VC-JWT).
    for kind in ("Multikey", "JsonWebKey"):
        count = [
            len([m for m in d["verificationMethod"] if m["type"] == kind]) for d in (did, after)
        ]
        assert count[1] == count[0] + 1, kind
    page(tuomas, "/o/acme/admin/clients/00000000-0000-4000-8000-000000000000/rotate", status=405)


def test_the_catalogue_at_a_glance(web_app: Any, acme: Org, provider: Any) -> None:
    tuomas = signed_in(web_app, acme, provider, "tuomas")
    html = page(tuomas, "/o/acme/admin/catalogue")
    words = text_of(html)
    assert "24 badges" in words
    assert html.count('class="badge-card catalogue-card"') == 24
    assert "/achievements/acme/data-protection/v1/image" in html
    assert "Digital Trainer 2027" in words and "Digital competence strategy 2025\u20132027" in words
    assert "Aino Virtanen's path 2026" not in words  # own paths only counted
    assert "people's own paths" in words
    assert "evidence accepted by an assessor" in words and "course:100" in words
    finnish = text_of(page(tuomas, "/o/acme/admin/catalogue", language="fi"))
    assert "Digikouluttaja 2027" in finnish and "Henkilötietojen suojaaminen" in finnish


def test_a_new_connection_and_its_client(web_app: Any, acme: Org, provider: Any) -> None:
    tuomas = signed_in(web_app, acme, provider, "tuomas")
    listing = page(tuomas, "/o/acme/admin/clients")
    token = form_token(listing)
    for bad in (
        {"name": "Bad Name", "kind": "moodle"},
        {"name": "canvas", "kind": "scorm"},
        {"name": "canvas", "kind": "webhook", "base_url": "ftp://x"},
        {"name": "moodle", "kind": "moodle"},  # taken
    ):
        answer = tuomas.post(
            "/o/acme/admin/connections",
            data={"csrf_token": token, **bad},
            headers={"Accept": BROWSER},
        )
        assert answer.status_code == 400, bad
    added = tuomas.post(
        "/o/acme/admin/connections",
        data={
            "csrf_token": token,
            "name": "canvas",
            "kind": "webhook",
            "base_url": "https://canvas.example.org",
            "unknown_person": "create",
        },
    )
    assert added.status_code == 303
    html = page(tuomas, added.headers["Location"])
    assert "canvas was added" in text_of(html)
    assert '<option value="canvas">canvas</option>' in html
    created = tuomas.post(
        "/o/acme/admin/clients",
        data={
            "csrf_token": token,
            "name": "Canvas",
            "scope": ["events:write"],
            "connection": "canvas",
        },
    )
    assert created.status_code == 200 and "canvas" in text_of(created.get_data(as_text=True))
