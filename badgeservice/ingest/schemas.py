"""Inbound event and inbox API schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..api import Page
from ..people.schemas import StrictBoolean
from .checks import instant_problem, score_problem
from .models import EventState

__all__ = ["CompletionEventSchema", "EventListQuery", "InboundEventSchema"]

_TEXT = validate.Length(min=1, max=300)


class EventPersonSchema(Schema):
    class Meta:
        unknown = RAISE

    employee_number = fields.String(data_key="employeeNumber", validate=_TEXT)
    email = fields.Email(validate=validate.Length(max=320))
    account = fields.String(validate=_TEXT, metadata={"description": "the LMS account id"})
    given_name = fields.String(data_key="givenName", validate=_TEXT)
    family_name = fields.String(data_key="familyName", validate=_TEXT)

    @validates_schema
    def _identified(self, data: dict[str, Any], **_: Any) -> None:
        if not ({"employee_number", "email", "account"} & set(data)):
            raise ValidationError("give employeeNumber, account or email", "_schema")


class EventSourceSchema(Schema):
    class Meta:
        unknown = RAISE

    connection = fields.String(required=True, validate=validate.Length(min=1, max=63))


class EventActivitySchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    name = fields.String(validate=_TEXT)


class EventResultSchema(Schema):
    class Meta:
        unknown = RAISE

    completion = StrictBoolean(required=True)
    success = StrictBoolean()
    score = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["scaled", "raw", "min", "max"])),
        values=fields.Float(allow_nan=False),
        metadata={"description": "xAPI's score: scaled in [-1, 1], raw within [min, max]"},
    )

    @validates_schema
    def _score(self, data: dict[str, Any], **_: Any) -> None:
        problem = score_problem(data.get("score", {}))
        if problem:
            raise ValidationError(problem, "score")


def _sane_instant(value: Any) -> None:
    problem = instant_problem(value)
    if problem:
        raise ValidationError(problem)


class CompletionEventSchema(Schema):
    """The generic completion webhook's body."""

    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(load_default="completion", validate=validate.OneOf(["completion"]))
    time = fields.AwareDateTime(required=True, validate=_sane_instant)
    source = fields.Nested(EventSourceSchema, required=True)
    person = fields.Nested(EventPersonSchema, required=True)
    activity = fields.Nested(EventActivitySchema, required=True)
    result = fields.Nested(EventResultSchema, required=True)


class EventListQuery(Page):
    class Meta:
        unknown = RAISE

    state = fields.String(validate=validate.OneOf([s.value for s in EventState]))
    connection = fields.String(validate=validate.Length(min=1, max=63))


class InboundEventSchema(Schema):
    id = fields.UUID(required=True)
    connection = fields.String(required=True)
    channel = fields.String(required=True)
    external_id = fields.String(required=True, data_key="externalId")
    state = fields.String(required=True)
    reason = fields.String(allow_none=True)
    attempts = fields.Integer()
    person = fields.UUID(allow_none=True, attribute="person_id")
    credentials = fields.List(fields.String(), attribute="credential_ids")
    received_at = fields.DateTime(data_key="receivedAt")
    processed_at = fields.DateTime(allow_none=True, data_key="processedAt")
    duplicate = fields.Boolean()


class CredentialLinkSchema(Schema):
    id = fields.UUID(required=True)
    url = fields.String(required=True, metadata={"description": "the public credential URL"})


class InboundResponseSchema(Schema):
    """The answer to an inbound event (webhook, Moodle): the stored event and the
    credentials it led to."""

    event = fields.Nested(InboundEventSchema, required=True)
    credentials = fields.List(fields.Nested(CredentialLinkSchema), required=True)
