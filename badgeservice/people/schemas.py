"""People and team API schemas: inputs load into the services' plain data."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..api import Page, Ref
from ..languages import TAG
from .services import LmsAccountData
from .teams import ROLES, MemberData

__all__ = [
    "EMPLOYEE_NUMBER",
    "SLUG",
    "LmsAccountSchema",
    "PeopleQuery",
    "PersonInSchema",
    "PersonSchema",
    "StrictBoolean",
    "TeamInSchema",
    "TeamListQuery",
    "TeamMembersInSchema",
    "TeamSchema",
    "text_field",
]

SLUG = validate.Regexp(
    r"^[a-z0-9][a-z0-9-]{0,62}\Z",
    error="must be a slug: 1-63 lower-case letters, digits or hyphens, starting with a "
    "letter or digit",
)
EMPLOYEE_NUMBER = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z",
    error="must be an employee number: 1-64 letters, digits, '.', '_' or '-', starting "
    "with a letter or digit",
)
DID = validate.Regexp(r"^did:[a-z0-9]+:\S+\Z", error="must be a DID such as did:key:z6Mk…")


def text_field(max_length: int, **kwargs: Any) -> fields.String:
    """A non-blank text of at most ``max_length`` characters."""
    return fields.String(
        validate=[
            validate.Length(min=1, max=max_length),
            validate.Regexp(r"\S", error="must not be blank"),
        ],
        **kwargs,
    )


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: ``1`` or ``"yes"`` are mistakes, not booleans."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


# -- people ----------------------------------------------------------------------------


class LmsAccountSchema(Schema):
    class Meta:
        unknown = RAISE

    connection = fields.String(required=True, validate=SLUG)
    account = text_field(300, required=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> LmsAccountData:
        return LmsAccountData(**data)


class PersonInSchema(Schema):
    """A person to create, or the fields to change (only those given change)."""

    class Meta:
        unknown = RAISE

    employee_number = fields.String(
        data_key="employeeNumber", allow_none=True, validate=EMPLOYEE_NUMBER
    )
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    given_name = text_field(200, data_key="givenName", allow_none=True)
    family_name = text_field(200, data_key="familyName", allow_none=True)
    did = fields.String(allow_none=True, validate=[validate.Length(max=500), DID])
    active = StrictBoolean()
    preferred_language = fields.String(
        data_key="preferredLanguage",
        allow_none=True,
        validate=validate.Regexp(TAG, error="must be a language tag such as 'fi' or 'sv-FI'"),
        metadata={"description": "the language their badges are issued in; null: the default"},
    )
    lms_accounts = fields.List(
        fields.Nested(LmsAccountSchema), data_key="lmsAccounts", validate=validate.Length(max=50)
    )

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if self.partial and not data:
            raise ValidationError("give at least one field to change", "_schema")


class PeopleQuery(Page):
    employee_number = fields.String(data_key="employeeNumber", validate=validate.Length(max=100))
    email = fields.String(validate=validate.Length(max=320))
    team = Ref("a team slug", metadata={"description": "only members of this team"})
    active = fields.Boolean()


class MembershipSchema(Schema):
    team = fields.UUID(attribute="team_id", required=True)
    role = fields.String(required=True)


class PersonSchema(Schema):
    id = fields.UUID(required=True)
    employee_number = fields.String(allow_none=True, data_key="employeeNumber")
    email = fields.String(allow_none=True)
    given_name = fields.String(allow_none=True, data_key="givenName")
    family_name = fields.String(allow_none=True, data_key="familyName")
    display_name = fields.String(data_key="displayName")
    did = fields.String(allow_none=True)
    preferred_language = fields.String(allow_none=True, data_key="preferredLanguage")
    active = fields.Boolean(required=True)
    lms_accounts = fields.List(fields.Nested(LmsAccountSchema), data_key="lmsAccounts")
    teams = fields.List(fields.Nested(MembershipSchema), attribute="memberships")
    created_at = fields.DateTime(data_key="createdAt")
    erased_at = fields.DateTime(
        allow_none=True,
        data_key="erasedAt",
        metadata={"description": "when the person's personal data was erased (see erase)"},
    )


# -- teams -----------------------------------------------------------------------------


class MemberInSchema(Schema):
    class Meta:
        unknown = RAISE

    person_id = Ref("an employee number or e-mail", required=True, data_key="person")
    role = fields.String(load_default="member", validate=validate.OneOf(ROLES))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> MemberData:
        return MemberData(**data)


class TeamInSchema(Schema):
    """A team to create (``slug`` and ``name`` required), or with ``partial=True`` the
    fields to change."""

    class Meta:
        unknown = RAISE

    slug = fields.String(required=True, validate=SLUG)
    name = text_field(200, required=True)
    parent_id = fields.UUID(data_key="parent", allow_none=True)
    members = fields.List(fields.Nested(MemberInSchema), validate=validate.Length(max=5000))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if self.partial and not data:
            raise ValidationError("give at least one field to change", "_schema")


class TeamMembersInSchema(Schema):
    class Meta:
        unknown = RAISE

    members = fields.List(
        fields.Nested(MemberInSchema), required=True, validate=validate.Length(max=5000)
    )


class TeamListQuery(Page):
    pass


class MemberSchema(Schema):
    person = fields.UUID(attribute="person_id", required=True)
    role = fields.String(required=True)


class TeamSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    parent = fields.UUID(attribute="parent_id", allow_none=True)
    members = fields.List(fields.Nested(MemberSchema))
    created_at = fields.DateTime(data_key="createdAt")
