"""Framework API schemas."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..api import Page, Translations
from ..languages import TAG
from .services import KNOWN_SOURCES

__all__ = [
    "FRAMEWORK_SLUG",
    "CompetenceDetailSchema",
    "CompetenceSchema",
    "FrameworkImportSchema",
    "FrameworkInstallSchema",
    "FrameworkListQuery",
    "FrameworkSchema",
    "FrameworkSummarySchema",
]

# Dots too: DigComp's own slug is "digcomp-2.2".
FRAMEWORK_SLUG = validate.Regexp(
    r"^[a-z0-9][a-z0-9.-]{0,62}\Z",
    error="must be a slug: 1-63 lower-case letters, digits, dots or hyphens, starting with "
    "a letter or digit",
)


class FrameworkInstallSchema(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.OneOf(sorted(KNOWN_SOURCES)))
    slug = fields.String(
        validate=FRAMEWORK_SLUG, metadata={"description": "default: the source's own"}
    )


class FrameworkImportSchema(Schema):
    class Meta:
        unknown = RAISE

    slug = fields.String(
        validate=FRAMEWORK_SLUG, metadata={"description": "default: from the CFDocument identifier"}
    )
    package = fields.Dict(
        required=True, metadata={"description": "a 1EdTech CASE 1.0/1.1 CFPackage"}
    )
    translations = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.Dict(
            keys=fields.String(validate=validate.Regexp(TAG, error="not a language tag")),
            values=fields.String(validate=validate.Length(min=1, max=1000)),
            validate=validate.Length(min=1),
        ),
        validate=validate.Length(max=10_000),
        metadata={
            "description": "the items' titles in further languages: item code (its "
            'humanCodingScheme, else identifier) → language → title, such as {"1.1": '
            '{"sv": "…"}}; a CASE package itself is written in one language'
        },
    )


class FrameworkListQuery(Page):
    class Meta:
        unknown = RAISE


class FrameworkLevelSchema(Schema):
    level = fields.Integer(required=True)
    band = fields.String(required=True)
    description = fields.String(required=True)


class CompetenceSchema(Schema):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    uri = fields.String(required=True)
    esco_uri = fields.String(allow_none=True, data_key="escoUri")
    parent_code = fields.String(allow_none=True, data_key="parentCode")
    kind = fields.String(required=True, metadata={"enum": ["area", "competence", "item"]})
    position = fields.Integer(required=True)
    texts = Translations({"name": "name"}, data_key="translations")


class FrameworkRefSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class CompetenceDetailSchema(CompetenceSchema):
    framework = fields.Nested(FrameworkRefSchema, required=True)
    children = fields.List(fields.Nested(CompetenceSchema), required=True)


class FrameworkSummarySchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    version = fields.String(allow_none=True)
    uri = fields.String(allow_none=True)
    publisher = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    source = fields.String(required=True, metadata={"enum": ["digcomp22", "case"]})
    created_at = fields.DateTime(required=True, data_key="createdAt")
    competence_count = fields.Integer(required=True, data_key="competenceCount")
    texts = Translations({"name": "name", "description": "description"}, data_key="translations")


class FrameworkSchema(FrameworkSummarySchema):
    levels = fields.List(fields.Nested(FrameworkLevelSchema), required=True)
    competences = fields.List(fields.Nested(CompetenceSchema), required=True)
    change = fields.String(
        metadata={
            "enum": ["created", "updated", "unchanged"],
            "description": "what an install or import did",
        }
    )
