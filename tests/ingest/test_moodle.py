"""The Moodle channel: Moodle's own event JSON (local_webhooks style), token or signature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from badgeservice.db import database, session_scope
from badgeservice.ingest.models import InboundEvent
from badgeservice.organisations.services import create_client, organisation_by_slug
from tests.factories import Example, load_example, signed_headers

# Mikko Laaksonen (E1002) has a Moodle account and is on the organisation's path.
EMPLOYEE = "E1002"
MOODLE_USER = 42
URL = "/hooks/moodle/moodle"


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path)


def course_id(example: Example) -> int:
    kind, _, number = example.activity.partition(":")
    assert kind == "course", example.activity
    return int(number)


def moodle_event(
    example: Example,
    eventname: str = "\\core\\event\\course_completed",
    *,
    token: str | None = None,
    timecreated: int = 1_795_000_000,
    other: Any = None,
    **fields: Any,
) -> dict[str, Any]:
    """A body as local_webhooks sends it: ``$event->get_data()`` plus the ``token``."""
    body: dict[str, Any] = {
        "eventname": eventname,
        "component": "core",
        "action": "completed",
        "target": "course",
        "objecttable": "course_completions",
        "objectid": 9001,
        "crud": "u",
        "edulevel": 2,
        "contextid": 77,
        "contextlevel": 50,
        "contextinstanceid": course_id(example),
        "userid": MOODLE_USER,
        "courseid": course_id(example),
        "relateduserid": MOODLE_USER,
        "anonymous": 0,
        "other": other,
        "timecreated": timecreated,
        "idnumber": EMPLOYEE,
        "token": example.token if token is None else token,
    }
    body.update(fields)
    return body


def post(client: Any, body: Any, url: str = URL) -> Any:
    return client.post(url, json=body)


def module_event(example: Example, state: Any, **fields: Any) -> dict[str, Any]:
    return moodle_event(
        example,
        "\\core\\event\\course_module_completion_updated",
        objecttable="course_modules_completion",
        objectid=5000 + (state if isinstance(state, int) else 9),
        contextinstanceid=2010,
        other={"relateduserid": MOODLE_USER, "overrideby": None, "completionstate": state},
        **fields,
    )


def stored_raw(app: Any) -> list[str]:
    with app.app_context(), session_scope(database()) as session:
        return [event.raw for event in session.scalars(select(InboundEvent))]


def test_course_completed_with_body_token_issues_once(client: Any, example: Example) -> None:
    first = post(client, moodle_event(example))
    assert first.status_code == 202, first.get_json()
    body = first.get_json()
    assert body["event"]["state"] == "processed", body
    assert body["event"]["channel"] == "moodle"
    assert body["event"]["connection"] == "moodle"
    assert body["event"]["duplicate"] is False
    assert len(body["credentials"]) >= 1
    again = post(client, moodle_event(example))
    assert again.status_code == 202
    assert again.get_json()["event"]["duplicate"] is True
    assert again.get_json()["event"]["id"] == body["event"]["id"]
    # Ids as numeric strings and the event name without its leading backslash: the same event.
    variant = moodle_event(example, "core\\event\\course_completed", objectid="9001")
    assert post(client, variant).get_json()["event"]["id"] == body["event"]["id"]
    listed = client.get("/api/v1/credentials", headers=example.admin_headers).get_json()["items"]
    assert sum(1 for c in listed if c["achievement"] == str(example.achievement_id)) == 1
    events = client.get("/api/v1/events", headers=example.admin_headers).get_json()["items"]
    assert len(events) == 1


def test_event_name_without_leading_backslash_is_understood(client: Any, example: Example) -> None:
    response = post(client, moodle_event(example, "core\\event\\course_completed"))
    assert response.get_json()["event"]["state"] == "processed", response.get_json()


def test_the_moodle_user_id_alone_is_the_account(client: Any, example: Example) -> None:
    body = moodle_event(example)
    del body["idnumber"]
    response = post(client, body)
    assert response.status_code == 202
    event = response.get_json()["event"]
    assert event["state"] == "parked"
    assert str(MOODLE_USER) in event["reason"]


def test_module_completion_states(client: Any, example: Example) -> None:
    for state in (1, 2):
        done = post(client, module_event(example, state))
        assert done.status_code == 202, done.get_json()
        assert done.get_json()["event"]["state"] == "processed", done.get_json()
    for state, reason in ((0, "completionstate 0 (incomplete)"), (3, "3 (complete-fail)")):
        ignored = post(client, module_event(example, state)).get_json()["event"]
        assert ignored["state"] == "ignored"
        assert reason in ignored["reason"]
        assert ignored["credentials"] == []


def test_criteria_edit_is_ignored(client: Any, example: Example) -> None:
    response = post(client, moodle_event(example, "\\core\\event\\course_completion_updated"))
    assert response.status_code == 202
    event = response.get_json()["event"]
    assert event["state"] == "ignored"
    assert event["reason"] == (
        "event \\core\\event\\course_completion_updated does not complete anything"
    )


@pytest.mark.parametrize(
    "eventname",
    [
        "\\core\\event\\competency_user_competency_rated",
        "\\core\\event\\competency_user_competency_rated_in_course",
        "\\core\\event\\competency_user_competency_rated_in_plan",
    ],
)
def test_competency_rating(client: Any, example: Example, eventname: str) -> None:
    rated = post(
        client,
        moodle_event(example, eventname, objectid=555, other={"competencyid": 12, "grade": 2}),
    ).get_json()["event"]
    # A completion: no trigger of the example knows the competency, so it is unmatched.
    assert rated["state"] == "unmatched", rated
    assert "'competency:12'" in rated["reason"]
    for grade in (0, None):
        unrated = post(
            client,
            moodle_event(
                example,
                eventname,
                objectid=556,
                timecreated=1_795_000_100 + (grade or 0),
                other={"competencyid": 12, "grade": grade},
            ),
        ).get_json()["event"]
        assert unrated["state"] == "ignored"
        assert "not a positive grade" in unrated["reason"]
    fallback = post(
        client, moodle_event(example, eventname, objectid=557, other={"grade": 1})
    ).get_json()["event"]
    assert "'competency:557'" in fallback["reason"]


def test_signed_variant_with_client_id(client: Any, example: Example) -> None:
    event = moodle_event(example)
    del event["token"]
    raw = json.dumps(event).encode()
    response = client.post(
        f"{URL}?client={example.client_id}", data=raw, headers=signed_headers(example, raw)
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["event"]["state"] == "processed"
    tampered = client.post(
        f"{URL}?client={example.client_id}",
        data=raw.replace(b"9001", b"9002"),
        headers=signed_headers(example, raw, message_id="msg-2"),
    )
    assert tampered.status_code == 401
    assert "does not match" in tampered.get_json()["detail"]


def test_wrong_or_missing_token_is_401(client: Any, example: Example) -> None:
    for token in ("bst_wrong", ""):
        response = post(client, moodle_event(example, token=token))
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
    body = moodle_event(example)
    del body["token"]
    assert post(client, body).status_code == 401
    assert client.get("/api/v1/events", headers=example.admin_headers).get_json()["items"] == []


def test_unknown_connection_is_404(client: Any, example: Example) -> None:
    # The admin client is bound to no connection, so the name itself is looked up.
    response = post(client, moodle_event(example, token=example.admin), url="/hooks/moodle/nope")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "nope" in response.get_json()["detail"]


def test_client_bound_to_another_connection_is_refused(client: Any, example: Example) -> None:
    # The events client is bound to "moodle"; it may not send for the xAPI connection.
    response = post(client, moodle_event(example), url="/hooks/moodle/xapi-lrs")
    assert response.status_code == 403
    assert "moodle" in response.get_json()["detail"]


def test_client_without_events_scope_is_refused(app: Any, client: Any, example: Example) -> None:
    with app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        reader = create_client(
            session,
            org,
            name="hr",
            scopes=["hr:read"],
            keystore=app.extensions["badgeservice.keystore"],
        )
        token = reader.token
    assert post(client, moodle_event(example, token=token)).status_code == 403


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b.pop("eventname"), "eventname"),
        (lambda b: b.update({"eventname": 7}), "eventname"),
        (lambda b: b.update({"timecreated": "yesterday"}), "timecreated"),
        (lambda b: b.pop("timecreated"), "timecreated"),
        (lambda b: b.update({"timecreated": 1.5}), "timecreated"),
        (lambda b: b.pop("relateduserid"), "relateduserid"),
        (lambda b: b.update({"relateduserid": None}), "relateduserid"),
        (lambda b: b.update({"objectid": "x1"}), "objectid"),
        (lambda b: b.update({"courseid": True}), "courseid"),
        (lambda b: b.update({"other": "text"}), "other"),
        (lambda b: b.update({"email": 5}), "email"),
    ],
)
def test_malformed_events_are_precise_400s(
    client: Any, example: Example, mutate: Any, fragment: str
) -> None:
    body = moodle_event(example)
    mutate(body)
    response = post(client, body)
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert fragment in response.get_json()["detail"]


def test_bodies_that_are_not_objects_are_400(client: Any, example: Example) -> None:
    for data in ("[1, 2]", '"course_completed"', "{not json"):
        response = client.post(URL, data=data, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert "JSON" in response.get_json()["detail"]


def test_module_event_needs_a_known_completionstate(client: Any, example: Example) -> None:
    response = post(client, module_event(example, 7))
    assert response.status_code == 400
    assert "other.completionstate" in response.get_json()["detail"]


def test_token_is_never_stored(app: Any, client: Any, example: Example) -> None:
    assert post(client, moodle_event(example)).status_code == 202
    assert post(client, module_event(example, 0)).status_code == 202
    raws = stored_raw(app)
    assert len(raws) == 2
    for raw in raws:
        assert example.token not in raw
        stored = json.loads(raw)
        assert "token" not in stored
        assert stored["relateduserid"] == MOODLE_USER  # the rest of the event is kept


def test_a_known_moodle_user_id_finds_the_person_without_idnumber(
    client: Any, example: Example
) -> None:
    # people.toml records Mikko's Moodle user id (2101) as his LMS account on "moodle".
    body = moodle_event(example, relateduserid=2101, userid=2101, objectid=9100)
    del body["idnumber"]
    response = post(client, body)
    assert response.status_code == 202
    event = response.get_json()["event"]
    assert event["state"] == "processed", event
    person = client.get(f"/api/v1/people/{event['person']}", headers=example.admin_headers)
    assert person.get_json()["employeeNumber"] == EMPLOYEE
