"""Hostile JSON at every entry point (API, events, xAPI, Moodle, SCIM): too deep, lone UTF-16
surrogates, NUL, numbers out of range. Each is a 400 in the entry point's error format that
names what is wrong: never a 500, never stored."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from badgeservice.api import MAX_JSON_DEPTH, json_depth
from tests.factories import Example, completion, load_example, signed_headers
from tests.factories import create_achievement as create
from tests.factories import insert_person as add_person

XAPI = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
LONE = "broken \ud83c"  # json.dumps writes it as the escape "broken \ud83c"


def deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def _xapi_auth(example: Example) -> dict[str, str]:
    pair = f"{example.client_id}:{example.secret}".encode()
    return {**XAPI, "Authorization": "Basic " + base64.b64encode(pair).decode()}


def statement(verb: str = "http://adlnet.gov/expapi/verbs/completed") -> dict[str, Any]:
    return {
        "actor": {"account": {"homePage": "https://lms.example.org", "name": "42"}},
        "verb": {"id": verb},
        "object": {"id": "https://lms.example.org/course/1"},
    }


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path)


def _problem(response: Any, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    assert response.mimetype == "application/problem+json"
    detail: str = response.get_json()["detail"]
    return detail


def test_depth_is_counted_on_the_bytes_outside_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'"\\"[[[["') == 0
    assert json_depth(deep(500)) == 500


def test_deep_json_is_a_400_at_every_entry_point(
    client: Any, example: Example, make_tenant: Any
) -> None:
    body = deep(50_000)  # far past the interpreter's recursion limit
    admin = example.admin_headers | {"Content-Type": "application/json"}
    for url in ("/api/v1/events", "/api/v1/awards", "/api/v1/frameworks/import"):
        detail = _problem(client.post(url, data=body, headers=admin))
        assert f"deeper than {MAX_JSON_DEPTH}" in detail, url
    # Moodle: the body is read before the token in it authenticates.
    detail = _problem(client.post("/hooks/moodle/moodle", data=body))
    assert "deeper" in detail
    signed = client.post(
        f"/api/v1/events?client={example.client_id}",
        data=body,
        headers=signed_headers(example, body),
    )
    assert "deeper" in _problem(signed)
    xapi = client.post("/xapi/statements", data=body, headers=_xapi_auth(example))
    assert xapi.status_code == 400 and "deeper" in xapi.get_json()["error"]
    scim = make_tenant("scimorg")
    response = client.post(
        "/scim/v2/Users",
        data=body,
        headers=scim.headers | {"Content-Type": "application/scim+json"},
    )
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidSyntax"
    # Just inside the limit is read (and then judged on its content).
    near = client.post("/api/v1/events", data=deep(MAX_JSON_DEPTH), headers=admin)
    assert near.status_code == 400 and "deeper" not in near.get_json()["detail"]


def test_lone_surrogates_name_the_field_everywhere(
    app: Any, client: Any, example: Example, make_tenant: Any
) -> None:
    # API: an award's evidence narrative (it would be signed).
    tenant = make_tenant("acme")
    achievement = create(client, tenant)["id"]
    person = add_person(app, tenant)
    award = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={
            "achievement": achievement,
            "person": str(person),
            "evidence": [{"name": "Work sample", "narrative": LONE}],
        },
    )
    detail = _problem(award)
    assert "evidence.0.narrative" in detail and "surrogate" in detail

    # Events: the event id, signed and with a token.
    event = completion(example, event_id=LONE)
    body = json.dumps(event).encode()
    assert b"\\ud83c" in body
    signed = client.post(
        f"/api/v1/events?client={example.client_id}",
        data=body,
        headers=signed_headers(example, body),
    )
    assert "id:" in _problem(signed) and "surrogate" in _problem(signed)
    with_token = client.post(
        "/api/v1/events",
        data=body,
        headers={"Authorization": f"Bearer {example.token}", "Content-Type": "application/json"},
    )
    assert "surrogate" in _problem(with_token)

    # Moodle: a field of Moodle's own event.
    moodle = {
        "eventname": "\\core\\event\\course_completed",
        "courseid": 3,
        "relateduserid": 7,
        "timecreated": 1_763_000_000,
        "other": {"note": LONE},
        "token": example.token,
    }
    detail = _problem(client.post("/hooks/moodle/moodle", data=json.dumps(moodle)))
    assert "other.note" in detail and "surrogate" in detail

    # xAPI: its own error form ({"error": …}), still a 400 naming the field.
    xapi = statement()
    xapi["object"]["definition"] = {"name": {"en": LONE}}
    response = client.post("/xapi/statements", data=json.dumps(xapi), headers=_xapi_auth(example))
    assert response.status_code == 400
    assert "object.definition.name.en" in response.get_json()["error"]

    # SCIM: a SCIM error document.
    scim = make_tenant("scimorg")
    response = client.post(
        "/scim/v2/Users",
        data=json.dumps(
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": LONE}
        ),
        headers=scim.headers | {"Content-Type": "application/scim+json"},
    )
    assert response.status_code == 400
    body_scim = response.get_json()
    assert body_scim["scimType"] == "invalidValue"
    assert "userName" in body_scim["detail"] and "surrogate" in body_scim["detail"]


def test_numbers_out_of_range_and_nul_are_refused(client: Any, example: Example) -> None:
    event = json.dumps(completion(example)).replace('"scaled": 0.9', '"scaled": 1e999')
    assert "1e999" in event
    response = client.post(
        "/api/v1/events",
        data=event,
        headers={"Authorization": f"Bearer {example.token}", "Content-Type": "application/json"},
    )
    assert "1e999" in _problem(response)
    nan = event.replace("1e999", "NaN")
    response = client.post(
        "/api/v1/events",
        data=nan,
        headers={"Authorization": f"Bearer {example.token}", "Content-Type": "application/json"},
    )
    assert "NaN" in _problem(response)
    # NUL in an xAPI verb IRI (stored raw on SQLite before: now refused at the edge).
    response = client.post(
        "/xapi/statements",
        data=json.dumps(statement("http://adlnet.gov/expapi/verbs/compl\u0000eted")),
        headers=_xapi_auth(example),
    )
    assert response.status_code == 400
    assert "verb.id" in response.get_json()["error"]
    assert "NUL" in response.get_json()["error"]
