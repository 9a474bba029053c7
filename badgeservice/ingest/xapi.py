"""xAPI 1.0.3 statements in, LRS-style: a learning record store's statement resource.

These routes live on the ``public`` blueprint (outside ``/api/v1``; the OpenAPI document
describes them with the statement shape by reference to the xAPI specification) and
authenticate themselves:

``GET /xapi/about``
    ``{"version": ["1.0.3", "1.0.0"]}``; no authentication.

``POST /xapi/statements``
    One statement or an array of statements → ``200`` with the JSON array of their ids, in
    order (an id is generated for a statement without one). A batch naming the same id
    twice → ``400``; more than :data:`MAX_BATCH` (1,000) statements → ``413``. A batch is
    stored whole in one transaction before the answer (all of it or, on an error, none);
    in request mode the first :data:`INLINE` new statements are processed before the answer
    and the rest right after it, in the server's background (or by the worker).

``PUT /xapi/statements?statementId=<uuid>``
    One statement; its ``id``, if present, must equal ``statementId`` → ``204``.

Authentication is HTTP Basic: the API client's id as the user name and its signing secret
(the ``whsec_…`` string of ``clients create --json``) as the password. The client needs the
scope ``events:write`` and must be bound to a connection: the connection of every event.
Missing or wrong credentials → ``401`` with ``WWW-Authenticate: Basic realm="xAPI"``.

Every request must send ``X-Experience-API-Version`` (``1.0.x`` or ``2.0.x``); every
response carries ``X-Experience-API-Version: 1.0.3``. Errors are xAPI-style: the status and
a JSON body ``{"error": "<message>"}`` (``application/json``, not problem+json).

Idempotency: the statement id is the event's external id (channel ``xapi``). The stored
``raw`` is the statement's canonical JSON (sorted keys, no whitespace, without the
LRS-owned ``stored``, ``authority`` and ``version``), so its content hash identifies the
content: the same id with the same content changes nothing; with other content → ``409``.

Normalization: the actor's ``account.name`` is the person's LMS account on the connection;
``mbox`` gives the e-mail address. ``mbox_sha1sum`` cannot be matched by the service, so
this module hashes ``mailto:<lower-cased e-mail>`` of the organisation's people and, on a
match, adds that e-mail to the person reference (the hash stays in it as ``mboxSha1sum``).
``openid`` actors cannot be matched (their events park). The verbs ``completed``,
``passed`` and ``mastered`` complete a trigger unless ``result.success`` is false; a
``voided`` statement with a ``StatementRef`` object voids the referenced statement, which
revokes the credentials it issued.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..api import parse_json
from ..db import get_session
from ..errors import AppError, BadRequest, Conflict, Forbidden, PayloadTooLarge, Unauthorized
from ..issuing.services import issuing_service
from .channels import (
    Caller,
    accept_many,
    client_secret,
    connection_of,
    may_send_events,
    resolve_client,
)
from .completion import Completion
from .services import IngestService, content_hash
from .xapi_statements import CHANNEL, canonical, parse, prepare, statement_uuid

__all__ = ["public"]

public = Blueprint("xapi", __name__)

VERSION = "1.0.3"
VERSION_HEADER = "X-Experience-API-Version"
MAX_BATCH = 1000
INLINE = 20


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="xAPI"'
    return response


def _xapi_view(view: Callable[[], Response]) -> Callable[[], Response]:
    """Answer errors in the xAPI form and stamp the version header on every response."""

    @wraps(view)
    def wrapper() -> Response:
        try:
            response = view()
        except AppError as exc:
            response = _error(exc.status, exc.detail)
        except HTTPException as exc:
            response = _error(exc.code or 500, exc.description or exc.name or "error")
        response.headers[VERSION_HEADER] = VERSION
        return response

    return wrapper


@public.after_request
def _stamp_version(response: Response) -> Response:
    # Also for the errors the application's handlers answer (a 500, a database conflict).
    if request.path.startswith("/xapi/"):
        response.headers[VERSION_HEADER] = VERSION
    return response


# -- routes -------------------------------------------------------------------------------


@public.get("/xapi/about")
@_xapi_view
def xapi_about() -> Response:
    """The xAPI versions this LRS speaks.
    ---
    get:
      tags: [inbound]
      responses:
        200:
          content:
            application/json:
              schema:
                type: object
                required: [version]
                properties: {version: {type: array, items: {type: string}}}
    """
    return jsonify({"version": [VERSION, "1.0.0"]})


@public.post("/xapi/statements")
@_xapi_view
def xapi_post_statements() -> Response:
    """Store one statement or a batch; 200 with the ids in order.
    ---
    post:
      tags: [inbound]
      description: >-
        An LRS subset of xAPI 1.0.3 (statements of completion or success become completion
        events; voiding statements revoke what the voided one issued). Authenticate with
        HTTP Basic: the client id and its secret.
      externalDocs: {url: "https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Communication.md"}
      security: [{basic: []}]
      parameters:
        - {in: header, name: X-Experience-API-Version, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - {$ref: '#/components/schemas/XapiStatement'}
                - {type: array, items: {$ref: '#/components/schemas/XapiStatement'}}
      responses:
        200:
          description: the statement ids, in the order sent
          content:
            application/json: {schema: {type: array, items: {type: string, format: uuid}}}
        401: {$ref: '#/components/responses/XapiError'}
        403: {$ref: '#/components/responses/XapiError'}
        409: {$ref: '#/components/responses/XapiError'}
    """
    caller = _caller()
    body = _body()
    statements = body if isinstance(body, list) else [body]
    if not statements:
        raise BadRequest("send at least one statement")
    if len(statements) > MAX_BATCH:
        raise PayloadTooLarge(
            f"a batch holds at most {MAX_BATCH} statements, this one {len(statements)}: "
            "send it in smaller batches (nothing of it was stored)",
        )
    prepared = [
        prepare(statement, f"statement {i}" if isinstance(body, list) else "statement")
        for i, statement in enumerate(statements)
    ]
    seen: set[str] = set()
    for statement_id, _ in prepared:
        if statement_id in seen:
            raise BadRequest(f"the batch contains statement id {statement_id} more than once")
        seen.add(statement_id)
    _store(caller, prepared)
    return jsonify([statement_id for statement_id, _ in prepared])


@public.put("/xapi/statements")
@_xapi_view
def xapi_put_statement() -> Response:
    """Store one statement under ``statementId``; 204.
    ---
    put:
      tags: [inbound]
      externalDocs: {url: "https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Communication.md"}
      security: [{basic: []}]
      parameters:
        - {in: query, name: statementId, required: true, schema: {type: string, format: uuid}}
        - {in: header, name: X-Experience-API-Version, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: '#/components/schemas/XapiStatement'}}
      responses:
        204: {description: Stored}
        401: {$ref: '#/components/responses/XapiError'}
        403: {$ref: '#/components/responses/XapiError'}
        409: {$ref: '#/components/responses/XapiError'}
    """
    caller = _caller()
    given = request.args.get("statementId")
    if not given:
        raise BadRequest("statementId is required in the query string")
    statement_id = statement_uuid(given, "statementId")
    body = _body()
    if not isinstance(body, dict):
        raise BadRequest("PUT takes one statement (a JSON object)")
    if "id" in body and statement_uuid(body["id"], "id") != statement_id:
        raise BadRequest(f"id {body['id']!r} does not match statementId {given!r}")
    prepared = prepare({**body, "id": statement_id}, "statement")
    _store(caller, [prepared])
    return Response(status=204)


# -- authentication -----------------------------------------------------------------------


def _caller() -> Caller:
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise Unauthorized("send HTTP Basic credentials: the client id and its secret")
    client = resolve_client(auth.username)
    secret = client_secret(client)
    if not hmac.compare_digest((auth.password or "").encode("utf-8"), secret.encode("utf-8")):
        raise Unauthorized("the client id and secret do not match")
    may_send_events(client)
    version = request.headers.get(VERSION_HEADER, "")
    if not (version.startswith("1.0.") or version.startswith("2.0")):
        raise BadRequest(
            f"the header {VERSION_HEADER} is required and must be 1.0.x or 2.0.x"
            + (f", not {version!r}" if version else "")
        )
    if not client.connection:
        raise BadRequest("bind the client to a connection: its statements come from it")
    return Caller(client.organisation_id, client.connection, client.id)


def _body() -> Any:
    data = parse_json(request.get_data(cache=True))
    if not isinstance(data, dict | list):
        raise BadRequest("the body must be a JSON statement or an array of statements")
    return data


# -- storing ------------------------------------------------------------------------------


def _store(caller: Caller, prepared: list[tuple[str, dict[str, Any]]]) -> None:
    """Check every statement against the stored ones first, then accept the new ones."""
    connection = connection_of(caller, None)
    ingest = IngestService(get_session(), issuing_service())
    new: list[tuple[str, str, Completion]] = []
    for statement_id, statement in prepared:
        raw = canonical(statement)
        stored = ingest.find(caller.organisation_id, CHANNEL, statement_id)
        if stored is not None:
            if stored.content_hash != content_hash(raw):
                raise Conflict(f"statement {statement_id} is already stored with other content")
            continue
        completion = parse(statement)
        if completion.void is not None:
            voided = ingest.find(caller.organisation_id, CHANNEL, completion.void)
            if voided is not None and voided.connection != connection.name:
                raise Forbidden(
                    f"statement {completion.void} came from another connection; "
                    "only its own connection may void it"
                )
        new.append((statement_id, raw, completion))
    accept_many(caller, connection, CHANNEL, new, inline=INLINE)
