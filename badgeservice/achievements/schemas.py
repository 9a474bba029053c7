"""Achievement API schemas: input loads into :class:`AchievementContent` fields."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..api import Page, Translations
from .services import IMAGE_TYPES

__all__ = [
    "ACHIEVEMENT_TYPES",
    "MAX_IMAGE_BYTES",
    "AchievementCreateSchema",
    "AchievementListQuery",
    "AchievementPatchSchema",
    "AchievementSchema",
    "AchievementSummarySchema",
    "check_achievement_type",
    "image_problem",
]


MAX_IMAGE_BYTES = 512 * 1024
# The OB 3.0 AchievementType vocabulary; extensions are "ext:" prefixed names.
# fmt: off
ACHIEVEMENT_TYPES = frozenset({
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
    "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion",
    "Certification", "CommunityService", "Competency", "Course", "CoCurricular", "Degree",
    "Diploma", "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment",
    "JourneymanCertificate", "LearningProgram", "License", "Membership",
    "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate", "MasterDegree",
    "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
})
# fmt: on
_EXTENSION_TYPE = re.compile(r"ext:[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_ROOT = "{http://www.w3.org/2000/svg}svg"

SLUG = validate.Regexp(
    r"^[a-z0-9][a-z0-9-]{0,62}\Z",
    error="must be a slug: 1-63 lower-case letters, digits or hyphens, starting with a "
    "letter or digit",
)


def check_achievement_type(value: str) -> str | None:
    """Why ``value`` is not an OB 3.0 achievementType, or None if it is one."""
    if value in ACHIEVEMENT_TYPES or _EXTENSION_TYPE.fullmatch(value):
        return None
    return (
        "must be an OB 3.0 achievementType such as 'Competency', 'Badge' or "
        "'LearningProgram', or an 'ext:' extension such as 'ext:Workshop'"
    )


def image_problem(data: bytes, media_type: str) -> str | None:
    """Why ``data`` is not a usable badge image of ``media_type``, or None if it is."""
    if len(data) > MAX_IMAGE_BYTES:
        return f"is {len(data)} bytes; a badge image may have at most {MAX_IMAGE_BYTES} (512 KiB)"
    if media_type == "image/png":
        if not (data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR"):
            return "is not a PNG image (no PNG signature and IHDR header)"
        return None
    if media_type != "image/svg+xml":
        return f"media type {media_type!r} is neither image/png nor image/svg+xml"
    if data.startswith(_PNG_SIGNATURE):
        return "is a PNG image, not SVG: send it with mediaType image/png"
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        return f"is not well-formed SVG: {exc}"
    if root.tag != _SVG_ROOT:
        return "is not an SVG image: the root element must be <svg> in the SVG namespace"
    return None


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def _achievement_type(value: str) -> None:
    problem = check_achievement_type(value)
    if problem:
        raise ValidationError(problem)


def _text(limit: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=limit), _not_blank], **kwargs)


_URL = validate.Length(max=2000)
# The achievement's texts in the API and as stored.
TEXTS = {
    "name": "name",
    "description": "description",
    "criteria": "criteria_narrative",
    "imageCaption": "image_caption",
}
# base64 grows 4/3: the longest encoding of an image of the largest allowed size.
_MAX_BASE64 = (MAX_IMAGE_BYTES + 2) // 3 * 4


class AchievementCriteriaInSchema(Schema):
    class Meta:
        unknown = RAISE

    narrative = _text(20_000, allow_none=True, metadata={"description": "Markdown"})
    url = fields.Url(relative=False, schemes={"http", "https"}, validate=_URL, allow_none=True)


class AchievementImageInSchema(Schema):
    """A badge image sent inline: base64 of PNG or SVG bytes."""

    class Meta:
        unknown = RAISE

    media_type = fields.String(
        required=True, data_key="mediaType", validate=validate.OneOf(sorted(IMAGE_TYPES))
    )
    data = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=_MAX_BASE64, error="must be base64 of an image of at most 512 KiB"
        ),
        metadata={"description": "base64 (RFC 4648) of the image, at most 512 KiB decoded"},
    )

    @post_load
    def _decode(self, item: dict[str, Any], **_: Any) -> dict[str, Any]:
        try:
            raw = base64.b64decode(item["data"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("is not valid base64", "data") from None
        problem = image_problem(raw, item["media_type"])
        if problem:
            raise ValidationError(f"the image {problem}", "data")
        return {"image": raw, "image_media_type": item["media_type"]}


class AchievementAlignmentInSchema(Schema):
    class Meta:
        unknown = RAISE

    competence = fields.UUID(required=True, metadata={"description": "a competence id"})
    level = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=8))


class _AchievementContentSchema(Schema):
    """The fields of a version; post_load flattens them into AchievementContent names."""

    class Meta:
        unknown = RAISE

    name = _text(300)
    description = _text(10_000)
    criteria = fields.Nested(AchievementCriteriaInSchema)
    achievement_type = fields.String(data_key="achievementType", validate=_achievement_type)
    tags = fields.List(_text(100), validate=validate.Length(max=50))
    alignments = fields.List(
        fields.Nested(AchievementAlignmentInSchema), validate=validate.Length(max=50)
    )
    image = fields.Nested(AchievementImageInSchema, allow_none=True)
    image_caption = _text(
        1000,
        allow_none=True,
        data_key="imageCaption",
        metadata={"description": "the badge image described for people who cannot see it"},
    )
    valid_for_days = fields.Integer(
        strict=True,
        allow_none=True,
        data_key="validForDays",
        validate=validate.Range(min=1, max=36_500),
        metadata={"description": "credentials are valid this many days (validUntil); null: no end"},
    )
    texts = Translations(
        TEXTS,
        data_key="translations",
        metadata={
            "description": "the texts in every language they are written in, such as "
            '{"name": {"fi": "…", "sv": "…", "en": "…"}}; the plain fields are the '
            "organisation's default language (given both, the plain field wins there). "
            "Replaces every translation when given."
        },
    )

    @validates_schema
    def _unique_tags(self, data: dict[str, Any], **_: Any) -> None:
        tags = data.get("tags") or []
        if len(set(tags)) != len(tags):
            raise ValidationError("tags must not repeat", "tags")

    @post_load
    def _flatten(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "criteria" in data:
            for key, value in data.pop("criteria").items():
                data[f"criteria_{key}"] = value
        if "image" in data:
            image = data.pop("image") or {"image": None, "image_media_type": None}
            data.update(image)
        return data


class AchievementCreateSchema(_AchievementContentSchema):
    slug = fields.String(required=True, validate=SLUG)
    issuer = fields.UUID(required=True, metadata={"description": "an issuer id"})
    name = _text(300, required=True)
    description = _text(10_000, required=True)
    criteria = fields.Nested(AchievementCriteriaInSchema, required=True)
    achievement_type = fields.String(
        data_key="achievementType", validate=_achievement_type, load_default="Competency"
    )

    @validates_schema
    def _criteria(self, data: dict[str, Any], **_: Any) -> None:
        criteria = data.get("criteria")
        if criteria is not None and not (criteria.get("narrative") or criteria.get("url")):
            raise ValidationError("give a narrative, a url or both", "criteria")


class AchievementPatchSchema(_AchievementContentSchema):
    """A partial update: given fields replace the current version's; ``criteria`` merges
    (null clears one part); ``image: null`` removes the image. Slug and issuer are fixed."""

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("give at least one field to change", "_schema")


class AchievementListQuery(Page):
    class Meta:
        unknown = RAISE


class AchievementCriteriaSchema(Schema):
    narrative = fields.String(allow_none=True)
    url = fields.String(allow_none=True)


class AchievementImageSchema(Schema):
    media_type = fields.String(required=True, data_key="mediaType")
    url = fields.String(required=True)


class AchievementAlignmentSchema(Schema):
    competence = fields.UUID(required=True)
    level = fields.Integer(allow_none=True)
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    framework = fields.UUID(allow_none=True)


class AchievementVersionSummarySchema(Schema):
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True, data_key="createdAt")
    issued = fields.Boolean(required=True, metadata={"description": "frozen once issued"})
    url = fields.String(required=True, metadata={"description": "public OB 3.0 Achievement"})


class AchievementVersionSchema(AchievementVersionSummarySchema):
    description = fields.String(required=True)
    criteria = fields.Nested(AchievementCriteriaSchema, required=True)
    achievement_type = fields.String(allow_none=True, data_key="achievementType")
    tags = fields.List(fields.String(), required=True)
    alignments = fields.List(fields.Nested(AchievementAlignmentSchema), required=True)
    image = fields.Nested(AchievementImageSchema, allow_none=True)
    image_caption = fields.String(allow_none=True, data_key="imageCaption")
    valid_for_days = fields.Integer(allow_none=True, data_key="validForDays")
    texts = Translations(TEXTS, data_key="translations", required=True)
    languages = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "the languages credentials of this version were issued in"},
    )
    content_hash = fields.String(required=True, data_key="contentHash")


class AchievementSummarySchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    issuer = fields.UUID(required=True)
    url = fields.String(required=True, metadata={"description": "public OB 3.0 Achievement"})
    created_at = fields.DateTime(required=True, data_key="createdAt")
    current = fields.Nested(AchievementVersionSummarySchema, required=True)


class AchievementSchema(AchievementSummarySchema):
    current = fields.Nested(AchievementVersionSchema, required=True)
    versions = fields.List(fields.Nested(AchievementVersionSummarySchema), required=True)
    change = fields.String(
        metadata={
            "enum": ["created", "edited", "versioned", "unchanged"],
            "description": "what a create or update did",
        }
    )
