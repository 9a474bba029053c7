"""Organisation views: a token sees exactly its own organisation."""

from __future__ import annotations

from flask import Response

from ..api import api, dump, parse_id
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from .schemas import OrganisationSchema
from .services import get_organisation

__all__: list[str] = []


@api.get("/organisations")
@requires("admin", "awards:write", "hr:read", "events:write", "scim")
def list_organisations() -> Response:
    """The caller's organisation (a token belongs to exactly one).
    ---
    get:
      tags: [organisations]
      responses:
        200:
          content:
            application/json:
              schema:
                type: object
                properties: {items: {type: array, items: OrganisationSchema}}
    """
    organisation = get_organisation(get_session(), current_principal().organisation_id)
    return dump(OrganisationSchema(many=True), [organisation], wrap="items")


@api.get("/organisations/<organisation_id>")
@requires("admin", "awards:write", "hr:read", "events:write", "scim")
def get_organisation_view(organisation_id: str) -> Response:
    """One organisation: only the caller's own exists for it.
    ---
    get:
      tags: [organisations]
      parameters: [{in: path, name: organisation_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: OrganisationSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    wanted = parse_id(organisation_id, "organisation")
    if wanted != current_principal().organisation_id:
        raise NotFound(f"no organisation {organisation_id}")
    return dump(OrganisationSchema(), get_organisation(get_session(), wanted))
