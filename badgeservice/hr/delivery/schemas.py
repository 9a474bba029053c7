"""HR endpoint and delivery API schemas."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ...api import Page
from ...errors import BadRequest
from ...people.schemas import SLUG, StrictBoolean, text_field
from ..models import DeliveryState
from .endpoints import check_url

__all__ = [
    "DELIVERY_STATES",
    "DeliveryListQuery",
    "DeliverySchema",
    "EndpointInSchema",
    "EndpointListQuery",
    "EndpointPatchSchema",
    "EndpointSchema",
    "EndpointSecretSchema",
    "IssuedEndpointSchema",
]

DELIVERY_STATES = tuple(state.value for state in DeliveryState)


def _url(value: str) -> None:
    try:
        check_url(value)
    except BadRequest as exc:
        raise ValidationError(exc.detail.removeprefix("url: ")) from None


def _url_field(**kwargs: object) -> fields.String:
    return fields.String(
        validate=_url,
        metadata={
            "description": "http:// or https:// URL, no user:password@",
            "pattern": r"^https?://[^\s/?#@]+([/?][^\s#]*)?$",
        },
        **kwargs,  # type: ignore[arg-type]
    )


class EndpointInSchema(Schema):
    class Meta:
        unknown = RAISE

    url = _url_field(required=True)
    name = fields.String(
        validate=SLUG, metadata={"description": "unique in the organisation; default generated"}
    )
    description = text_field(2000, allow_none=True)


class EndpointPatchSchema(Schema):
    class Meta:
        unknown = RAISE

    url = _url_field()
    active = StrictBoolean(
        metadata={"description": "false stops delivery and dead-letters pending deliveries"}
    )
    description = text_field(2000, allow_none=True)


class EndpointListQuery(Page):
    class Meta:
        unknown = RAISE

    active = fields.Boolean()


class EndpointSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    url = fields.String(required=True)
    adapter = fields.String(required=True)
    active = fields.Boolean(required=True)
    description = fields.String(allow_none=True)
    created_at = fields.DateTime(data_key="createdAt")


class IssuedEndpointSchema(EndpointSchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": "the Standard Webhooks secret (whsec_…) receivers verify "
            "webhook-signature with; shown only in this answer"
        },
    )


class EndpointSecretSchema(Schema):
    id = fields.UUID(required=True)
    secret = fields.String(required=True)


class DeliveryListQuery(Page):
    class Meta:
        unknown = RAISE

    state = fields.String(validate=validate.OneOf(DELIVERY_STATES))
    endpoint = fields.UUID()


class DeliveryAttemptSchema(Schema):
    attempted_at = fields.DateTime(required=True, data_key="attemptedAt")
    status_code = fields.Integer(allow_none=True, data_key="statusCode")
    latency_ms = fields.Float(required=True, data_key="latencyMs")
    error = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.UUID(required=True, attribute="delivery.id")
    endpoint = fields.UUID(required=True, attribute="delivery.endpoint_id")
    event = fields.UUID(
        required=True,
        attribute="delivery.event_id",
        metadata={"description": "the competence event; also the webhook-id header"},
    )
    event_type = fields.String(required=True, data_key="eventType")
    event_seq = fields.Integer(required=True, attribute="delivery.event_seq", data_key="eventSeq")
    person = fields.UUID(required=True, attribute="delivery.person_id")
    state = fields.String(required=True, attribute="delivery.state")
    attempt_count = fields.Integer(
        required=True, attribute="delivery.attempts", data_key="attemptCount"
    )
    next_attempt_at = fields.DateTime(
        attribute="delivery.next_attempt_at",
        data_key="nextAttemptAt",
        metadata={"description": "when a pending delivery is due"},
    )
    last_status = fields.Integer(
        allow_none=True, attribute="delivery.last_status", data_key="lastStatus"
    )
    last_error = fields.String(
        allow_none=True, attribute="delivery.last_error", data_key="lastError"
    )
    queued_at = fields.DateTime(
        attribute="delivery.queued_at",
        data_key="queuedAt",
        metadata={"description": "queued (again, after a redelivery); the maximum age counts"},
    )
    delivered_at = fields.DateTime(
        allow_none=True, attribute="delivery.delivered_at", data_key="deliveredAt"
    )
    attempts = fields.List(
        fields.Nested(DeliveryAttemptSchema),
        metadata={"description": "every attempt, oldest first (only for one delivery)"},
    )
