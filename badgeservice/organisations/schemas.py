"""Organisation API schemas."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..api import Page, Ref
from ..auth import SCOPES
from ..people.schemas import SLUG
from .models import RETENTION_BOUNDS

__all__ = [
    "AuditEventSchema",
    "AuditQuery",
    "ClientInSchema",
    "ClientListQuery",
    "ClientSchema",
    "IssuedClientSchema",
    "OrganisationSchema",
    "OrganisationSettingsSchema",
    "RetentionSchema",
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
    retention = fields.Function(
        lambda organisation: {
            "inboxDays": organisation.retention_inbox_days,
            "deliveriesDays": organisation.retention_deliveries_days,
            "auditDays": organisation.retention_audit_days,
        },
        metadata={"description": "retention periods in days (see RetentionSchema)"},
    )


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
    """One entry of the audit trail: who, when, what, from where."""

    id = fields.UUID(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(
        required=True, metadata={"description": "who, by the name they had at the time"}
    )
    actor_kind = fields.String(
        required=True,
        data_key="actorKind",
        metadata={"enum": ["person", "client", "operator", "worker", "system"]},
    )
    actor_id = fields.String(
        allow_none=True, data_key="actorId", metadata={"description": "the person or client id"}
    )
    action = fields.String(
        required=True,
        metadata={"description": "what, e.g. credential.issued (README lists every action)"},
    )
    target = fields.String(required=True, metadata={"description": "the kind and id of what"})
    details = fields.Dict(required=True)
    channel = fields.String(
        required=True, metadata={"enum": ["api", "page", "scim", "cli", "worker", "system"]}
    )
    ip = fields.String(
        allow_none=True, metadata={"description": "the client address as the service saw it"}
    )
    user_agent = fields.String(allow_none=True, data_key="userAgent")


class AuditQuery(Page):
    """Filters of the audit trail; ``format`` (or the Accept header) chooses JSON pages,
    CSV or JSON Lines."""

    class Meta:
        unknown = RAISE

    actor = fields.String(
        validate=validate.Length(min=1, max=300),
        metadata={"description": "a part of the actor's name or id (any case)"},
    )
    action = fields.String(
        validate=validate.Length(min=1, max=50),
        metadata={"description": "an action or its prefix: credential. for every credential"},
    )
    target = fields.String(
        validate=validate.Length(min=1, max=300),
        metadata={"description": "a part of the target: an id, or e.g. credential"},
    )
    since = fields.AwareDateTime(
        data_key="from", metadata={"description": "entries at or after (ISO 8601 with offset)"}
    )
    until = fields.AwareDateTime(
        data_key="to", metadata={"description": "entries before (ISO 8601 with offset)"}
    )
    format = fields.String(
        validate=validate.OneOf(["json", "csv", "jsonl"]),
        metadata={"description": "json (pages), csv or jsonl (every match unless limit is given)"},
    )


class RetentionSchema(Schema):
    """How long the worker keeps what it purges, in days."""

    class Meta:
        unknown = RAISE

    inbox_days = fields.Integer(
        data_key="inboxDays",
        validate=validate.Range(*RETENTION_BOUNDS["inbox"]),
        metadata={"description": "raw inbox payloads, after their event was processed"},
    )
    deliveries_days = fields.Integer(
        data_key="deliveriesDays",
        validate=validate.Range(*RETENTION_BOUNDS["deliveries"]),
        metadata={"description": "HR delivery attempts, of deliveries that ended"},
    )
    audit_days = fields.Integer(
        data_key="auditDays",
        validate=validate.Range(*RETENTION_BOUNDS["audit"]),
        metadata={"description": "audit entries"},
    )


class OrganisationSettingsSchema(Schema):
    """The settings an admin changes through the API (the rest come from its files)."""

    class Meta:
        unknown = RAISE

    retention = fields.Nested(RetentionSchema, required=True)
