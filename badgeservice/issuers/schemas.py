"""Issuer API schemas."""

from __future__ import annotations

from marshmallow import Schema, fields

__all__ = ["IssuerJoseKeySchema", "IssuerKeySchema", "IssuerSchema"]


class IssuerKeySchema(Schema):
    id = fields.String(required=True, metadata={"description": "verification method id"})
    public_key_multibase = fields.String(required=True, data_key="publicKeyMultibase")
    created_at = fields.DateTime(required=True, data_key="createdAt")
    retired_at = fields.DateTime(allow_none=True, data_key="retiredAt")


class IssuerJoseKeySchema(Schema):
    id = fields.String(
        required=True, metadata={"description": "verification method id, the VC-JWTs' kid"}
    )
    algorithm = fields.String(required=True, metadata={"enum": ["ES256", "RS256"]})
    public_key_jwk = fields.Dict(required=True, data_key="publicKeyJwk")
    created_at = fields.DateTime(required=True, data_key="createdAt")
    retired_at = fields.DateTime(allow_none=True, data_key="retiredAt")


class IssuerSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    url = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    did = fields.String(required=True)
    profile_url = fields.String(required=True, data_key="profileUrl")
    keys = fields.List(fields.Nested(IssuerKeySchema))
    vc_jwt_algorithm = fields.String(
        required=True, data_key="vcJwtAlgorithm", metadata={"enum": ["ES256", "RS256"]}
    )
    jose_keys = fields.List(
        fields.Nested(IssuerJoseKeySchema),
        data_key="joseKeys",
        metadata={"description": "the keys that sign VC-JWTs (JsonWebKeys in the DID document)"},
    )
