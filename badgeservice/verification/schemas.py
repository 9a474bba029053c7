"""The verification report, as the OpenAPI document describes it (README "The
verification report" documents the same format for the command line)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..credentials.verify import Outcome

__all__ = ["CheckSchema", "VerificationReportSchema", "VerifyByUrlSchema", "VerifyJwtSchema"]


class CheckSchema(Schema):
    name = fields.String(
        required=True,
        metadata={"enum": ["type", "proof", "issuer", "claims", "validity", "status", "schema"]},
    )
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in Outcome]))
    message = fields.String(required=True)


class VerificationReportSchema(Schema):
    verified = fields.Boolean(required=True)
    credential = fields.String(allow_none=True, required=True)
    issuer = fields.String(allow_none=True, required=True)
    checkedAt = fields.String(required=True)  # noqa: N815 - the report's JSON key
    nquadsOrdering = fields.String(  # noqa: N815
        allow_none=True,
        required=True,
        metadata={"enum": ["code-point", "utf-16", None]},
    )
    checks = fields.List(fields.Nested(CheckSchema), required=True)
    errors = fields.List(fields.String(), required=True)
    warnings = fields.List(fields.String(), required=True)


class VerifyByUrlSchema(Schema):
    url = fields.Url(required=True, schemes={"https", "http"})


class VerifyJwtSchema(Schema):
    jws = fields.String(
        required=True, metadata={"description": "a VC-JWT: the compact JWS of a credential"}
    )
