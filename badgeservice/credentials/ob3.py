"""Build unsigned Open Badges 3.0 ``OpenBadgeCredential`` documents and validate them.

Inputs are small frozen dataclasses; :func:`build_credential` turns them into the JSON
binding (arrays for multi-valued properties, UTC ``Z`` timestamps, no empty values) and
checks the result against the pinned 1EdTech JSON Schema (:mod:`.validation`) before
handing it out. Every
property emitted is defined by the VC 2.0 / OB 3.0.3 contexts, so JSON-LD processing
(and therefore Data Integrity signing) drops nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, Field, dataclass, fields, is_dataclass
from datetime import UTC, datetime
from typing import Any

from .contexts import OB_V3P0, OB_V3P0_EXTENSIONS, VC_V2
from .errors import MalformedDocumentError
from .identity import IdentityObject, hash_identity, identity_matches
from .validation import plain_json, validate_credential, validate_profile

__all__ = [
    "ACHIEVEMENT_CREDENTIAL_SCHEMA_URL",
    "JSON_SCHEMA_VALIDATOR_TYPE",
    "Achievement",
    "Alignment",
    "Criteria",
    "Evidence",
    "IdentityObject",
    "Image",
    "Profile",
    "Recipient",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "achievement_document",
    "build_credential",
    "hash_identity",
    "identity_matches",
    "validate_credential",
    "validate_profile",
]

ACHIEVEMENT_CREDENTIAL_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
JSON_SCHEMA_VALIDATOR_TYPE = "1EdTechJsonSchemaValidator2019"


@dataclass(frozen=True)
class Image:
    """An image by URL or ``data:`` URI, with an optional caption."""

    id: str
    caption: str | None = None


@dataclass(frozen=True)
class Profile:
    """An issuer or creator. ``extra_types`` are absolute type IRIs added after ``Profile``."""

    id: str
    name: str | None = None
    url: str | None = None
    email: str | None = None
    description: str | None = None
    image: Image | None = None
    extra_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criteria:
    """How the achievement is earned: a criteria page ``id`` and/or a Markdown narrative."""

    id: str | None = None
    narrative: str | None = None


@dataclass(frozen=True)
class Alignment:
    """A link from an achievement or result to a node in a competence framework."""

    target_name: str
    target_url: str
    target_code: str | None = None
    target_framework: str | None = None
    target_description: str | None = None
    target_type: str | None = None


@dataclass(frozen=True)
class RubricCriterionLevel:
    """One level of a rubric criterion; a Result names it through ``achieved_level``."""

    id: str
    name: str
    description: str | None = None
    level: str | None = None
    points: str | None = None


@dataclass(frozen=True)
class ResultDescription:
    """A possible result of an achievement; results refer to it by ``id``."""

    id: str
    name: str
    result_type: str
    value_min: str | None = None
    value_max: str | None = None
    required_value: str | None = None
    required_level: str | None = None
    allowed_value: tuple[str, ...] = ()
    rubric_criterion_levels: tuple[RubricCriterionLevel, ...] = ()
    alignments: tuple[Alignment, ...] = ()


@dataclass(frozen=True)
class Result:
    """A result the recipient achieved, linked to a ResultDescription of the achievement."""

    result_description: str | None = None
    value: str | None = None
    status: str | None = None
    achieved_level: str | None = None
    alignments: tuple[Alignment, ...] = ()


@dataclass(frozen=True)
class Achievement:
    """What is recognised (OB 2.0's BadgeClass); name, description, criteria required."""

    id: str
    name: str
    description: str
    criteria: Criteria
    image: Image | None = None
    achievement_type: str | None = None
    alignments: tuple[Alignment, ...] = ()
    result_descriptions: tuple[ResultDescription, ...] = ()
    tags: tuple[str, ...] = ()
    version: str | None = None
    human_code: str | None = None
    in_language: str | None = None
    creator: Profile | None = None


@dataclass(frozen=True)
class Evidence:
    """Something that supports the award, e.g. the LMS completion record."""

    id: str | None = None
    name: str | None = None
    narrative: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


@dataclass(frozen=True)
class Recipient:
    """The credential subject: a subject ``id`` (e.g. a DID) and/or IdentityObjects."""

    id: str | None = None
    identifiers: tuple[IdentityObject, ...] = ()


# Absolute IRI: a scheme, then no whitespace, controls or characters RFC 3987 excludes.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]+")
_WEB_IRI = re.compile(r"https?://[^/?#]+.*", re.IGNORECASE | re.DOTALL)


def _iri(value: object, path: str) -> str:
    ok = isinstance(value, str) and _IRI.fullmatch(value) is not None
    if ok and str(value).lower().startswith(("http:", "https:")):
        ok = _WEB_IRI.fullmatch(str(value)) is not None
    if not ok:
        raise MalformedDocumentError(f"{path}: must be an absolute IRI without spaces: {value!r}")
    return str(value)


def _opt_iri(value: str | None, path: str) -> str | None:
    return None if value is None else _iri(value, path)


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MalformedDocumentError(f"{path}: required text is missing or blank")
    return value


def _prune(obj: dict[str, Any]) -> dict[str, Any]:
    # Spec JSON binding: nulls and empty arrays are omitted rather than serialised.
    return {k: v for k, v in obj.items() if v is not None and v != "" and v != [] and v != {}}


def _timestamp(value: object, path: str) -> datetime:
    if not isinstance(value, datetime):
        raise MalformedDocumentError(f"{path}: must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise MalformedDocumentError(f"{path}: naive datetime; a timezone is required")
    # Truncate (never round up): validFrom must not move into the future.
    return value.astimezone(UTC).replace(microsecond=0)


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


# Dataclass field -> JSON key where it is not simply the camelCase of the field name.
_KEYS = {
    "alignments": "alignment",
    "result_descriptions": "resultDescription",
    "rubric_criterion_levels": "rubricCriterionLevel",
    "tags": "tag",
    "identifiers": "identifier",
}
# Fields whose value is a reference (IRI) rather than text.
_IRI_FIELDS = frozenset({"id", "url", "target_url", "required_level"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _node_type(obj: object) -> Any:
    if isinstance(obj, Image):
        return "Image"  # a single string by definition, unlike the other classes
    if isinstance(obj, Criteria):
        return None
    return ["AchievementSubject" if isinstance(obj, Recipient) else type(obj).__name__]


def _value(value: Any, spec: Field[Any], path: str) -> Any:
    required = spec.default is MISSING and spec.default_factory is MISSING
    if value is None and required:
        raise MalformedDocumentError(f"{path}: required value is missing")
    if isinstance(value, IdentityObject):
        return value.to_json()
    if is_dataclass(value) and not isinstance(value, type):
        return _node(value, path)
    if spec.name in _IRI_FIELDS:
        return _opt_iri(value, path)
    return _text(value, path) if required else value


def _node(obj: Any, path: str) -> dict[str, Any]:
    """Serialise one input dataclass, checking IRIs and required text on the way."""
    body: dict[str, Any] = {}
    for spec in fields(obj):
        key = _KEYS.get(spec.name, _camel(spec.name))
        value = getattr(obj, spec.name)
        if isinstance(value, tuple | list):
            body[key] = [_value(v, spec, f"{path}.{key}[{i}]") for i, v in enumerate(value)]
        else:
            body[key] = _value(value, spec, f"{path}.{key}")
    node_type = _node_type(obj)
    if isinstance(obj, Profile):
        # VC 2.0 has no @vocab: an extra type must be an IRI or it expands to nothing.
        body.pop("extraTypes")
        extra = [_iri(t, f"{path}.type[{i}]") for i, t in enumerate(obj.extra_types, 1)]
        node_type = ["Profile", *extra]
        if obj.email is not None and "@" not in obj.email.strip(" @"):
            raise MalformedDocumentError(f"{path}.email: not an e-mail address: {obj.email!r}")
    return _prune({"id": body.pop("id", None), "type": node_type, **body})


def _check_achievement(a: Achievement, path: str) -> None:
    criteria = a.criteria
    if not isinstance(criteria, Criteria) or not (criteria.id or criteria.narrative):
        raise MalformedDocumentError(f"{path}.criteria: a criteria id or narrative is required")
    seen: set[str] = set()
    for i, rd in enumerate(a.result_descriptions):
        if rd.id in seen:
            raise MalformedDocumentError(f"{path}.resultDescription[{i}].id: duplicate {rd.id!r}")
        seen.add(rd.id)


def _check_result(result: Result, descriptions: Mapping[str, ResultDescription], path: str) -> None:
    rd = None
    if result.result_description is not None:
        rd = descriptions.get(result.result_description)
        if rd is None:
            raise MalformedDocumentError(
                f"{path}.resultDescription: {result.result_description!r} is not a "
                "resultDescription of the achievement"
            )
    if result.value is None and result.status is None and result.achieved_level is None:
        raise MalformedDocumentError(f"{path}: needs a value, status or achievedLevel")
    if rd is not None and rd.result_type == "Status" and result.status is None:
        raise MalformedDocumentError(f"{path}.status: required when resultType is Status")
    if rd is not None and rd.allowed_value and result.value not in (None, *rd.allowed_value):
        raise MalformedDocumentError(f"{path}.value: {result.value!r} is not an allowedValue")
    if result.achieved_level is not None:
        levels = {level.id for level in rd.rubric_criterion_levels} if rd else set()
        if result.achieved_level not in levels:
            raise MalformedDocumentError(
                f"{path}.achievedLevel: {result.achieved_level!r} is not a "
                "rubricCriterionLevel of the linked resultDescription"
            )


def achievement_document(achievement: Achievement) -> dict[str, Any]:
    """The ``Achievement`` as a standalone JSON-LD document (its public address serves it):
    the node :func:`build_credential` embeds, with an ``@context``."""
    _check_achievement(achievement, "achievement")
    return {"@context": [VC_V2, OB_V3P0], **_node(achievement, "achievement")}


def build_credential(
    *,
    credential_id: str,
    issuer: Profile,
    achievement: Achievement,
    recipient: Recipient,
    valid_from: datetime,
    valid_until: datetime | None = None,
    awarded_date: datetime | None = None,
    name: str | None = None,
    description: str | None = None,
    evidence: Sequence[Evidence] = (),
    results: Sequence[Result] = (),
    credential_status: Mapping[str, Any] | None = None,
    narrative: str | None = None,
    image: Image | None = None,
) -> dict[str, Any]:
    """Return an unsigned, schema-valid OpenBadgeCredential as a JSON-ready dict.

    ``narrative`` describes this award (``credentialSubject.narrative``);
    ``credential_status`` is a ready-made status entry, copied as given.
    Raises :class:`MalformedDocumentError` naming the offending JSON path, or
    :class:`SchemaValidationError` if the result still violates the 1EdTech schema.
    """
    start = _timestamp(valid_from, "validFrom")
    end = None if valid_until is None else _timestamp(valid_until, "validUntil")
    if end is not None and end <= start:
        raise MalformedDocumentError("validUntil: must be later than validFrom")
    awarded = None if awarded_date is None else _timestamp(awarded_date, "awardedDate")

    if not isinstance(recipient, Recipient) or not (recipient.id or recipient.identifiers):
        raise MalformedDocumentError("credentialSubject: needs an id or an IdentityObject")
    _check_achievement(achievement, "credentialSubject.achievement")
    descriptions = {rd.id: rd for rd in achievement.result_descriptions}
    for i, result in enumerate(results):
        _check_result(result, descriptions, f"credentialSubject.result[{i}]")
    evidence_nodes = [_node(e, f"evidence[{i}]") for i, e in enumerate(evidence)]
    if any(len(node) == 1 for node in evidence_nodes):
        raise MalformedDocumentError("evidence: an entry carries no id, name or text")
    subject = _node(recipient, "credentialSubject")
    subject["achievement"] = _node(achievement, "credentialSubject.achievement")
    subject["result"] = [_node(r, f"credentialSubject.result[{i}]") for i, r in enumerate(results)]
    subject["narrative"] = narrative

    status = None
    if credential_status is not None:
        if not isinstance(credential_status, Mapping):
            raise MalformedDocumentError("credentialStatus: must be a single JSON object")
        status = plain_json(credential_status)
        _text(status.get("type"), "credentialStatus.type")
        if "id" in status:
            _iri(status["id"], "credentialStatus.id")

    document = _prune(
        {
            # extensions.json defines 1EdTechJsonSchemaValidator2019 used below.
            "@context": [VC_V2, OB_V3P0, OB_V3P0_EXTENSIONS],
            "id": _iri(credential_id, "id"),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": name if name is not None else achievement.name,
            "description": description,
            "image": None if image is None else _node(image, "image"),
            "issuer": _node(issuer, "issuer"),
            "validFrom": _iso(start),
            "validUntil": None if end is None else _iso(end),
            "awardedDate": None if awarded is None else _iso(awarded),
            "credentialSubject": _prune(subject),
            "evidence": evidence_nodes,
            "credentialSchema": [
                {"id": ACHIEVEMENT_CREDENTIAL_SCHEMA_URL, "type": JSON_SCHEMA_VALIDATOR_TYPE}
            ],
            "credentialStatus": status,
        }
    )
    validate_credential(document)
    return document
