"""Admin API schemas: sign-in settings and role grants."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..api import Page
from .roles import GRANTABLE, Role
from .signin import MATCHES

__all__ = [
    "PersonRolesSchema",
    "RoleGrantQuery",
    "RoleGrantSchema",
    "SignInSettingsInSchema",
    "SignInSettingsSchema",
]


class SignInSettingsInSchema(Schema):
    """The organisation's OpenID Connect identity provider. Leaving ``clientSecret`` out
    keeps the stored one (same issuer and client id); ``null`` makes a public client that
    signs in with PKCE alone."""

    class Meta:
        unknown = RAISE

    issuer = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    client_id = fields.String(
        required=True, data_key="clientId", validate=validate.Length(min=1, max=500)
    )
    client_secret = fields.String(
        data_key="clientSecret", allow_none=True, validate=validate.Length(min=1, max=2000)
    )
    match = fields.String(required=True, validate=validate.OneOf(MATCHES))
    claim = fields.String(validate=validate.Length(min=1, max=200))


class SignInSettingsSchema(Schema):
    issuer = fields.String(required=True)
    client_id = fields.String(required=True, data_key="clientId")
    client_secret_set = fields.Boolean(
        required=True,
        data_key="clientSecretSet",
        metadata={"description": "whether a client secret is stored (it is never shown)"},
    )
    match = fields.String(required=True, metadata={"enum": list(MATCHES)})
    claim = fields.String(required=True)
    redirect_uri = fields.String(
        required=True,
        data_key="redirectUri",
        metadata={"description": "register this redirect URI for the client at the IdP"},
    )
    source = fields.String(
        required=True, metadata={"description": "'file' (organisation.toml) or 'api'"}
    )
    updated_at = fields.DateTime(data_key="updatedAt")


class RoleGrantSchema(Schema):
    person = fields.UUID(required=True, attribute="person_id")
    role = fields.String(required=True, metadata={"enum": [r.value for r in GRANTABLE]})
    source = fields.String(required=True, metadata={"description": "'file' or 'api'"})
    created_at = fields.DateTime(data_key="createdAt")


class PersonRolesSchema(Schema):
    person = fields.UUID(required=True)
    roles = fields.List(
        fields.String(metadata={"enum": [r.value for r in Role]}),
        required=True,
        metadata={"description": "every role the person holds now, granted or derived"},
    )
    supervised_teams = fields.List(fields.UUID(), required=True, data_key="supervisedTeams")
    grants = fields.List(fields.Nested(RoleGrantSchema), required=True)


class RoleGrantQuery(Page):
    class Meta:
        unknown = RAISE

    role = fields.String(validate=validate.OneOf([r.value for r in GRANTABLE]))
