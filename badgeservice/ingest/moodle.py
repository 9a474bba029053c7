"""The Moodle channel: ``POST /hooks/moodle/<connection>`` takes Moodle's own event JSON.

Moodle core has no outbound webhooks; plugins such as ``local_webhooks`` observe events and
POST ``$event->get_data()`` as JSON (``eventname``, ``objectid``, ``relateduserid``,
``courseid``, ``contextinstanceid``, ``other``, ``timecreated``, …) with a shared ``token``
added to the body. This endpoint accepts that body unchanged.

Authentication (the route is on the public blueprint and does its own):

* the ``token`` field of the body is the bearer token of an API client with
  ``events:write`` (or ``admin``), bound to this connection or to none; the token is removed
  from the body before it is stored, so the inbox never holds it; or
* Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``)
  with the client id in ``?client=``, for plugins that can sign.

Parsed (:func:`parse`) into the same typed completion the generic webhook produces:

* ``\\core\\event\\course_completed`` completes ``course:<courseid>``;
* ``\\core\\event\\course_module_completion_updated`` completes ``cm:<contextinstanceid>``
  when ``other.completionstate`` is 1 (complete) or 2 (complete-pass); 0 (incomplete) and
  3 (complete-fail) are stored and ignored;
* ``\\core\\event\\competency_user_competency_rated`` (and ``…_in_course``, ``…_in_plan``)
  completes ``competency:<other.competencyid>`` (``objectid`` when that is absent) when
  ``other.grade`` is a positive number;
* every other event (notably ``course_completion_updated``, a teacher editing criteria) is
  stored and ignored with the reason.

The learner is ``relateduserid`` (the Moodle user id, matched as the LMS ``account``); a
top-level ``idnumber`` or ``email`` (plugins that add user fields) is used as the employee
number or email. The external id is a UUIDv5 over (connection, eventname, objectid,
relateduserid, timecreated): the same Moodle event sent twice is one event.
"""

from __future__ import annotations

import hmac
import json
import math
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select

from ..api import dump, parse_json
from ..auth import hash_token
from ..db import get_session
from ..errors import BadRequest, Unauthorized
from ..organisations.models import ApiClient
from .channels import (
    Caller,
    accept,
    connection_of,
    event_view,
    may_send_events,
    resolve_client,
    signed_caller,
)
from .completion import Completion, PersonRef
from .schemas import InboundResponseSchema

__all__ = ["CHANNEL", "NAMESPACE", "external_id", "parse", "public"]

public = Blueprint("moodle", __name__)

CHANNEL = "moodle"
# The namespace of the UUIDv5 external ids of Moodle events.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://badgeservice.dev/ns/moodle-event")

COURSE_COMPLETED = "\\core\\event\\course_completed"
MODULE_COMPLETION = "\\core\\event\\course_module_completion_updated"
COMPETENCY_RATED = frozenset(
    {
        "\\core\\event\\competency_user_competency_rated",
        "\\core\\event\\competency_user_competency_rated_in_course",
        "\\core\\event\\competency_user_competency_rated_in_plan",
    }
)
COMPLETION_STATES = {0: "incomplete", 1: "complete", 2: "complete-pass", 3: "complete-fail"}
_IDS = ("objectid", "relateduserid", "userid", "courseid", "contextid", "contextinstanceid")
_TEXT_MAX = 320


@public.post("/hooks/moodle/<connection>")
def receive_moodle_event(connection: str) -> Response:
    """Receive one Moodle event: 202 with the stored event and any credentials issued.
    ---
    post:
      tags: [inbound]
      description: >-
        Moodle's event JSON (`eventname`, `userid`, `relateduserid`, `courseid`,
        `contextinstanceid`, `timecreated`, `other`, …) for the connection named in the
        path. Authenticate with the client's token in the body's `token` field, or with
        Standard Webhooks signature headers and `?client=<id>`. See docs/inbound.md.
      parameters:
        - {in: path, name: connection, required: true, schema: {type: string}}
        - {in: query, name: client, schema: {type: string, format: uuid}}
        - {in: header, name: webhook-id, schema: {type: string}}
        - {in: header, name: webhook-timestamp, schema: {type: string}}
        - {in: header, name: webhook-signature, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [eventname]
              properties:
                eventname: {type: string}
                token: {type: string}
                userid: {type: integer}
                relateduserid: {type: integer}
                courseid: {type: integer}
                contextinstanceid: {type: integer}
                timecreated: {type: integer}
                other: {}
      responses:
        202: {content: {application/json: {schema: InboundResponseSchema}}}
        401: {$ref: '#/components/responses/Unauthorized'}
        403: {$ref: '#/components/responses/Forbidden'}
    """
    if request.headers.get("webhook-signature") or request.args.get("client"):
        # Verify the exact bytes before reading them; a token in the body is then only removed.
        caller = signed_caller(request.args.get("client") or request.headers.get("x-client-id"))
        body = _body()
        token = body.pop("token", None)
    else:
        body = _body()
        token = body.pop("token", None)
        caller = _token_caller(token)
    target = connection_of(caller, connection)
    raw = json.dumps(body, ensure_ascii=False) if token is not None else _raw_text()
    received, _ = accept(caller, target, CHANNEL, external_id(target.name, body), raw, parse(body))
    return dump(InboundResponseSchema(), event_view(received.event, received.duplicate), 202)


# -- authentication ------------------------------------------------------------------------


def _token_caller(token: Any) -> Caller:
    """The client whose bearer token the body carries in ``token``."""
    if not isinstance(token, str) or not token.strip():
        raise Unauthorized(
            "send the client's token in the body field 'token', or sign the request "
            "(Standard Webhooks headers and ?client=<id>)"
        )
    digest = hash_token(token.strip())
    client = get_session().scalar(select(ApiClient).where(ApiClient.token_hash == digest))
    if client is None or not hmac.compare_digest(client.token_hash, digest):
        raise Unauthorized("the token is not valid")
    client = may_send_events(resolve_client(str(client.id)))  # revoked → 401, no scope → 403
    return Caller(client.organisation_id, client.connection, client.id)


# -- parsing and validation ----------------------------------------------------------------


def _raw_text() -> str:
    return request.get_data(cache=True).decode("utf-8")


def _body() -> dict[str, Any]:
    """The JSON object of the request, whatever Content-Type the plugin was set to send."""
    data = parse_json(request.get_data(cache=True))
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object (a Moodle event)")
    return data


def _event_name(body: dict[str, Any]) -> str:
    name = body.get("eventname")
    if not isinstance(name, str) or not name.strip("\\ "):
        raise BadRequest("eventname: a Moodle event name such as \\core\\event\\course_completed")
    if len(name) > _TEXT_MAX:
        raise BadRequest(f"eventname: at most {_TEXT_MAX} characters")
    return "\\" + name.strip().lstrip("\\")


def _integer(value: Any, field: str) -> int | None:
    """An integer or a string of digits; ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        raise BadRequest(f"{field}: must be an integer (or a string of digits), not {value!r}")
    if abs(number) >= 2**63:
        raise BadRequest(f"{field}: out of range")
    return number


def _ids(body: dict[str, Any]) -> dict[str, int | None]:
    return {name: _integer(body.get(name), name) for name in _IDS}


def _timecreated(body: dict[str, Any]) -> int:
    value = _integer(body.get("timecreated"), "timecreated")
    if value is None:
        raise BadRequest("timecreated: required, the event's Unix time in seconds")
    if not 0 <= value < 253402300800:  # before year 10000
        raise BadRequest("timecreated: not a plausible Unix time in seconds")
    return value


def _other(body: dict[str, Any]) -> dict[str, Any]:
    other = body.get("other")
    if other is None or other == []:  # PHP encodes an empty array as []
        return {}
    if not isinstance(other, dict):
        raise BadRequest("other: must be a JSON object")
    return other


def _text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > _TEXT_MAX:
        raise BadRequest(f"{field}: must be text of at most {_TEXT_MAX} characters")
    return value.strip() or None


def _required(ids: dict[str, int | None], field: str, name: str) -> int:
    value = ids[field]
    if value is None:
        raise BadRequest(f"{field}: required for {name}")
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


# -- parsing -------------------------------------------------------------------------------


def external_id(connection: str, body: dict[str, Any]) -> str:
    """The idempotency key: UUIDv5 over (connection, eventname, objectid, relateduserid,
    timecreated), ids as integers so ``"5"`` and ``5`` are the same event."""
    ids = _ids(body)
    key = [
        connection,
        _event_name(body),
        ids["objectid"],
        ids["relateduserid"],
        _timecreated(body),
    ]
    return str(uuid.uuid5(NAMESPACE, json.dumps(key, separators=(",", ":"))))


def parse(body: dict[str, Any]) -> Completion:
    """The completion a Moodle event body reports (400 naming a field that is wrong)."""
    name = _event_name(body)
    created = _timecreated(body)
    ids = _ids(body)
    other = _other(body)
    person = PersonRef(
        employee_number=_text(body, "idnumber"),
        email=_text(body, "email"),
        account=None if ids["relateduserid"] is None else str(ids["relateduserid"]),
        given_name=_text(body, "firstname"),
        family_name=_text(body, "lastname"),
    )
    activity: str | None = None
    result: dict[str, Any] = {}
    completed = False
    reason: str | None = None
    if name == COURSE_COMPLETED:
        _required(ids, "relateduserid", name)
        activity = f"course:{_required(ids, 'courseid', name)}"
        completed = True
    elif name == MODULE_COMPLETION:
        _required(ids, "relateduserid", name)
        activity = f"cm:{_required(ids, 'contextinstanceid', name)}"
        state = _integer(other.get("completionstate"), "other.completionstate")
        if state not in COMPLETION_STATES:
            raise BadRequest(
                "other.completionstate: required, 0 (incomplete), 1 (complete), "
                "2 (complete-pass) or 3 (complete-fail)"
            )
        result = {"completionstate": state}
        completed = state in (1, 2)
        if not completed:
            reason = f"completionstate {state} ({COMPLETION_STATES[state]})"
    elif name in COMPETENCY_RATED:
        _required(ids, "relateduserid", name)
        competency = _integer(other.get("competencyid"), "other.competencyid")
        if competency is None:
            competency = _required(ids, "objectid", name)
        activity = f"competency:{competency}"
        grade = _number(other.get("grade"))
        result = {"grade": other.get("grade")}
        completed = grade is not None and grade > 0
        if not completed:
            reason = f"competency rating grade {other.get('grade')!r} is not a positive grade"
    else:
        reason = f"event {name} does not complete anything"
    return Completion(
        person=person,
        activity=activity,
        completed=completed,
        reason=reason,
        result=result,
        time=datetime.fromtimestamp(created, UTC).isoformat(),
        kinds=("lms",),
        details={"event": name},
    )
