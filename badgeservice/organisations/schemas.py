"""Organisation API schemas."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..api import Page, Ref
from ..auth import SCOPES
from ..people.schemas import SLUG

__all__ = [
    "AuditEventSchema",
    "ClientInSchema",
    "ClientListQuery",
    "ClientSchema",
    "IssuedClientSchema",
    "OrganisationSchema",
]


class OrganisationSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    url = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    nquads_ordering = fields.String(
        data_key="nquadsOrdering",
        metadata={
            "enum": ["refuse", "code-point", "utf-16"],
            "description": "How credentials are signed when code-point and UTF-16 order of "
            "their canonical statements differ (organisation.toml).",
        },
    )
    created_at = fields.DateTime(data_key="createdAt")


class ClientInSchema(Schema):
    """A new API client."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=SLUG)
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
    )
    connection = fields.String(
        allow_none=True,
        validate=SLUG,
        metadata={"description": "the LMS connection it sends events for (and sees only)"},
    )
    supervisor = Ref(
        "an employee number or e-mail",
        allow_none=True,
        metadata={"description": "the supervisor a team:read client acts for"},
    )


class ClientSchema(Schema):
    """An API client, never its token or secret."""

    id = fields.UUID(required=True)
    name = fields.String(required=True)
    scopes = fields.Function(lambda client: sorted(client.scope_set), required=True)
    connection = fields.String(allow_none=True)
    supervisor_id = fields.UUID(allow_none=True, data_key="supervisorId")
    created_at = fields.DateTime(data_key="createdAt")
    revoked_at = fields.DateTime(allow_none=True, data_key="revokedAt")


class IssuedClientSchema(ClientSchema):
    """A client with its new credentials, shown only in this answer."""

    token = fields.String(required=True, metadata={"description": "the bearer token"})
    secret = fields.String(
        required=True, metadata={"description": "the signing secret (whsec_…) for webhooks"}
    )


class ClientListQuery(Page):
    class Meta:
        unknown = RAISE

    revoked = fields.Boolean(metadata={"description": "only revoked (true) or active (false)"})


class AuditEventSchema(Schema):
    id = fields.UUID(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(
        required=True, metadata={"description": "client.created, client.revoked, client.rotated"}
    )
    target = fields.String(required=True)
    details = fields.Dict(required=True)
