"""Awards API schemas: an award, a revocation, a person's progress on their paths."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..api import Ref

__all__ = [
    "AwardSchema",
    "EvidenceInSchema",
    "PersonPathSchema",
    "PersonRefField",
    "ProgressGoalSchema",
    "RevokeSchema",
]


class EvidenceInSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.Url(relative=False, schemes={"https", "http"})
    name = fields.String(validate=validate.Length(min=1, max=300))
    narrative = fields.String(validate=validate.Length(min=1, max=20_000))
    description = fields.String(validate=validate.Length(min=1, max=5_000))


class PersonRefField(fields.Field):  # type: ignore[type-arg]
    """A person: an id, employee number or e-mail as a string, or ``{"employeeNumber": …}``
    / ``{"email": …}`` / ``{"id": …}``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return {"id": value}
        if isinstance(value, dict) and len(value) == 1:
            key, ref = next(iter(value.items()))
            if key in ("employeeNumber", "email", "id") and isinstance(ref, str) and ref.strip():
                return {{"employeeNumber": "employee_number"}.get(key, key): ref}
        raise ValidationError(
            'give a person id, employee number or e-mail, {"employeeNumber": "…"} or {"email": "…"}'
        )


class AwardSchema(Schema):
    class Meta:
        unknown = RAISE

    sub_goal = Ref("path-slug/sub-goal-slug", shape=r"[^/]+/[^/]+", data_key="subGoal")
    achievement = Ref("an achievement slug")
    person = PersonRefField(
        required=True,
        metadata={
            "oneOf": [
                {"type": "string", "description": "an id, employee number or e-mail"},
                {"type": "object", "properties": {"employeeNumber": {"type": "string"}}},
                {"type": "object", "properties": {"email": {"type": "string"}}},
            ]
        },
    )
    evidence = fields.List(fields.Nested(EvidenceInSchema), validate=validate.Length(max=20))

    @validates_schema
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        if ("sub_goal" in data) == ("achievement" in data):
            raise ValidationError("give exactly one of subGoal or achievement", "_schema")


class RevokeSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ProgressGoalSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    achievement = fields.UUID(required=True)
    path = fields.UUID(required=True, metadata={"description": "the path that defines it"})
    required = fields.Boolean(required=True)
    inherited = fields.Boolean(
        required=True, metadata={"description": "taken from an organisation or team path"}
    )
    achieved = fields.Boolean(required=True)
    out_of_order = fields.Boolean(
        required=True,
        data_key="outOfOrder",
        metadata={"description": "achieved before one of its prerequisites"},
    )


class PersonPathSchema(Schema):
    """One path of a person with the person's progress on it."""

    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    achievement = fields.UUID(allow_none=True, metadata={"description": "the path badge"})
    approved_at = fields.DateTime(allow_none=True, data_key="approvedAt")
    sub_goals = fields.List(fields.Nested(ProgressGoalSchema), data_key="subGoals")
    required_total = fields.Integer(data_key="requiredTotal")
    required_achieved = fields.Integer(data_key="requiredAchieved")
    share = fields.Float(metadata={"description": "share of required sub-goals achieved, 0..1"})
    complete = fields.Boolean(required=True)
    out_of_order = fields.String(
        data_key="outOfOrder",
        metadata={"description": "what the path does with a completion before prerequisites"},
    )
