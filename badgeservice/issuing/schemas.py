"""Credential API schemas."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..api import Page, Ref

__all__ = ["CredentialListQuery", "CredentialSchema"]


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
