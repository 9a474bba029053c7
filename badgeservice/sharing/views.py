"""``GET/PUT /api/v1/credentials/{id}/sharing``: the holder's choices, for admins and
issuing clients (the holder's own page calls the service directly)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..api import dump, load_body, own
from ..auth import requires
from ..db import get_session
from ..issuing.models import Credential
from ..issuing.services import issuing_service
from .schemas import SharingSchema, SharingUpdateSchema
from .services import Sharing, get_sharing, set_sharing

__all__ = ["api"]

api = Blueprint("sharing", __name__, url_prefix="/api/v1")


def _view(credential: Credential, sharing: Sharing) -> dict[str, Any]:
    return {
        "credential": credential.id,
        "visibility": sharing.visibility.value,
        "show_name": sharing.show_name,
        "page": issuing_service().credential_url(credential.id),
        "updated_at": sharing.updated_at,
    }


@api.get("/credentials/<credential_id>/sharing")
@requires("admin", "awards:write", "hr:read")
def get_credential_sharing(credential_id: str) -> Response:
    """Whether the credential's public page shows the badge and names the earner.
    ---
    get:
      tags: [credentials]
      description: >
        Private (the page says only that the badge has not been shared) and without the
        earner's name unless chosen otherwise. The signed JSON at the credential's URL is
        served to machines either way.
      parameters: [{in: path, name: credential_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: SharingSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    credential = own(Credential, credential_id, "credential")
    return dump(SharingSchema(), _view(credential, get_sharing(get_session(), credential)))


@api.put("/credentials/<credential_id>/sharing")
@requires("admin", "awards:write")
def put_credential_sharing(credential_id: str) -> Response:
    """Set the credential's sharing: ``visibility`` (private | public) and ``showName``.
    ---
    put:
      tags: [credentials]
      parameters: [{in: path, name: credential_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: SharingUpdateSchema}}}
      responses:
        200: {content: {application/json: {schema: SharingSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    data = load_body(SharingUpdateSchema())
    credential = own(Credential, credential_id, "credential")
    sharing = set_sharing(
        get_session(), credential, visibility=data["visibility"], show_name=data["show_name"]
    )
    return dump(SharingSchema(), _view(credential, sharing))
