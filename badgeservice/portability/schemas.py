"""The API's shapes of a person's own identities and re-issued copies."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

__all__ = [
    "DidChallengeSchema",
    "DidProofInSchema",
    "IdentitiesSchema",
    "PersonalEmailInSchema",
    "ReissueInSchema",
    "ReissuedSchema",
]


class IdentitiesSchema(Schema):
    """A person's own identities: set only by the person (a confirmed link, a signed
    challenge), never written by an admin."""

    personal_email = fields.String(allow_none=True, data_key="personalEmail")
    personal_email_verified_at = fields.DateTime(
        allow_none=True, data_key="personalEmailVerifiedAt"
    )
    pending_email = fields.String(
        allow_none=True,
        data_key="pendingEmail",
        metadata={"description": "an address whose confirmation link has not been followed"},
    )
    bound_did = fields.String(allow_none=True, data_key="boundDid")
    bound_did_at = fields.DateTime(allow_none=True, data_key="boundDidAt")


class PersonalEmailInSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.String(required=True, validate=validate.Length(min=3, max=320))


class DidChallengeSchema(Schema):
    challenge = fields.String(
        required=True,
        metadata={"description": "sign it as the payload of a compact JWS (EdDSA)"},
    )
    expires_at = fields.DateTime(required=True, data_key="expiresAt")


class DidProofInSchema(Schema):
    class Meta:
        unknown = RAISE

    proof = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4000),
        metadata={
            "description": 'compact JWS: header {"alg": "EdDSA", "kid": <did:key verification '
            "method>}, payload the challenge"
        },
    )


class ReissueInSchema(Schema):
    class Meta:
        unknown = RAISE

    to = fields.String(required=True, validate=validate.OneOf(["email", "did"]))


class ReissuedCopySchema(Schema):
    id = fields.UUID(required=True)
    url = fields.String(required=True)
    reissued_from = fields.UUID(required=True, data_key="reissuedFrom")
    created = fields.Boolean(
        required=True, metadata={"description": "false: it had been re-issued before"}
    )


class ReissuedSchema(Schema):
    credentials = fields.List(fields.Nested(ReissuedCopySchema), required=True)
