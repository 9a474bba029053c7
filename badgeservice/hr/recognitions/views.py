"""The pull feed for HR systems that poll: ``GET /api/v1/hr/competences``."""

from __future__ import annotations

from flask import Blueprint, Response

from ...api import dump, load_query
from ...auth import current_principal, requires
from ...db import get_session
from .feed import read_feed
from .schemas import FeedPageSchema, FeedQuery

__all__ = ["api"]

api = Blueprint("hr_feed", __name__, url_prefix="/api/v1")


@api.get("/hr/competences")
@requires("hr:read")
def competence_feed() -> Response:
    """Competence events (recognised, updated, revoked, expired) after a cursor.

    The objects are those the HR push sends (schemas/hr/competence-event.schema.json),
    ``person.erased`` among them when an admin erased a person;
    poll with the answer's ``next`` as ``after``. A cursor never skips an event: one whose
    transaction is still running is held back, with everything after it, until it commits.
    ---
    get:
      tags: [hr]
      parameters:
        - {in: query, name: after, schema: {type: string, minLength: 1, maxLength: 200}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 1000}}
      responses:
        200: {content: {application/json: {schema: FeedPageSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
    """
    query = load_query(FeedQuery())
    page = read_feed(
        get_session(),
        current_principal().organisation_id,
        after=query.get("after"),
        limit=query["limit"],
    )
    return dump(FeedPageSchema(), page)
