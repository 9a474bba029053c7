"""Award and credential API schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..api import Page, Ref

__all__ = [
    "AwardSchema",
    "CredentialListQuery",
    "CredentialSchema",
    "PersonRefField",
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


class CredentialListQuery(Page):
    class Meta:
        unknown = RAISE

    person = Ref("an employee number or e-mail", metadata={"description": "only this person's"})


class CredentialSchema(Schema):
    id = fields.UUID(required=True)
    url = fields.String(required=True)
    person = fields.UUID(required=True)
    achievement = fields.UUID(required=True)
    achievement_version = fields.Integer(required=True, data_key="achievementVersion")
    sub_goal = fields.UUID(allow_none=True, data_key="subGoal")
    path = fields.UUID(allow_none=True)
    issued_at = fields.DateTime(required=True, data_key="issuedAt")
    revoked_at = fields.DateTime(allow_none=True, data_key="revokedAt")
    revocation_reason = fields.String(allow_none=True, data_key="revocationReason")
    status = fields.String(required=True, validate=validate.OneOf(["active", "revoked"]))
    credential = fields.Dict(required=True, metadata={"description": "the signed credential"})
    path_credentials = fields.List(
        fields.Nested(lambda: CredentialSchema(exclude=("path_credentials",))),
        data_key="pathCredentials",
        metadata={"description": "path badges this award completed (awards only)"},
    )
