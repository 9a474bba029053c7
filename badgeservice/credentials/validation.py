"""Validation against the pinned 1EdTech Open Badges 3.0 JSON Schemas (draft 2019-09)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache, partial
from typing import Any

import jsonschema_rs
from jsonschema import Draft201909Validator, FormatChecker  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]

from .errors import SchemaValidationError
from .resources import schemas_dir

__all__ = ["plain_json", "validate_credential", "validate_profile"]

_CREDENTIAL_SCHEMA_FILE = "ob_v3p0_achievementcredential_schema.json"
_PROFILE_SCHEMA_FILE = "ob_v3p0_profile_schema.json"
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def plain_json(value: Any) -> Any:
    """Plain dicts and lists (jsonschema only treats those as objects/arrays); a detached copy."""
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


def _is_date_time(instance: object) -> bool:
    # jsonschema checks "date-time" only with the optional rfc3339-validator installed;
    # without this the format check would silently pass anything.
    if not isinstance(instance, str):
        return True
    if not _DATE_TIME.fullmatch(instance):
        return False
    datetime.fromisoformat(instance.upper())  # ValueError for e.g. month 13
    return True


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers.update(Draft201909Validator.FORMAT_CHECKER.checkers)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    return checker


@cache
def _validator(filename: str) -> Draft201909Validator:
    schema = json.loads((schemas_dir() / filename).read_text(encoding="utf-8"))
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema, format_checker=_format_checker())


# The compiled validator recurses on the machine stack: a document nested some ten
# thousand levels deep through the schema's cycles (a Profile's parentOrg) crashes the
# process instead of raising. Deeper documents than this go to the full validator alone.
_COMPILED_DEPTH = 256


@cache
def _compiled_validator(filename: str) -> jsonschema_rs.Validator:
    """The schema compiled by ``jsonschema_rs`` (draft 2019-09), answering only "valid or
    not", some fifty times faster than the full validator. Formats are checked by the full
    validator's own format functions, so both read every format alike."""
    schema = json.loads((schemas_dir() / filename).read_text(encoding="utf-8"))
    checkers = _format_checker().checkers
    return jsonschema_rs.Draft201909Validator(
        schema,
        validate_formats=True,
        formats={name: partial(_conforms, *checkers[name]) for name in checkers},
    )


def _conforms(
    check: Callable[[object], object],
    raises: type[Exception] | tuple[type[Exception], ...],
    value: object,
) -> bool:
    """``FormatChecker.conforms`` for one format, without looking the format up each time."""
    try:
        return bool(check(value))
    except raises:
        return False


@cache
def _nesting_validator() -> jsonschema_rs.Validator:
    """Valid when the document nests objects and arrays at most ``_COMPILED_DEPTH`` deep.

    A chain of definitions, each referring only to the next, so checking it recurses at
    most that deep whatever the document, and the check runs compiled too.
    """
    defs: dict[str, Any] = {f"d{_COMPILED_DEPTH}": {"not": {"type": ["object", "array"]}}}
    for level in range(_COMPILED_DEPTH):
        deeper = {"$ref": f"#/$defs/d{level + 1}"}
        defs[f"d{level}"] = {"additionalProperties": deeper, "items": deeper}
    return jsonschema_rs.Draft201909Validator({"$ref": "#/$defs/d0", "$defs": defs})


def _message(error: ValidationError) -> str:
    # oneOf/anyOf failures quote the whole instance; the deepest relevant sub-error says
    # what is actually wrong.
    leaf = best_match([error]) or error
    text = leaf.message if len(leaf.message) <= 300 else leaf.message[:297] + "..."
    return f"{leaf.json_path}: {text}"


def _check(filename: str, document: object, extra: Sequence[str] = ()) -> None:
    # The compiled validator's "valid" is the verdict; for "invalid" the full validator
    # says what is wrong (and has the last word).
    if not extra:
        compiled = _compiled_validator(filename)
        try:
            if _nesting_validator().is_valid(document) and compiled.is_valid(document):
                return
        except ValueError:
            pass  # a value it cannot read (a mapping that is not a dict): the full validator
    instance = plain_json(document)
    errors = {_message(e) for e in _validator(filename).iter_errors(instance)}
    errors.update(extra)
    if errors:
        raise SchemaValidationError(sorted(errors))


def validate_credential(document: Mapping[str, Any]) -> None:
    """Validate against the pinned AchievementCredential JSON Schema.

    Also applies the spec rule the schema cannot express: the subject needs ``id`` or at
    least one ``identifier``. Raises :class:`SchemaValidationError` listing every
    violation as ``"<json path>: <message>"``, sorted.
    """
    extra = []
    subject = document.get("credentialSubject") if isinstance(document, Mapping) else None
    if isinstance(subject, Mapping) and not (subject.get("id") or subject.get("identifier")):
        extra.append("$.credentialSubject: either 'id' or at least one 'identifier' is required")
    _check(_CREDENTIAL_SCHEMA_FILE, document, extra)


def validate_profile(document: Mapping[str, Any]) -> None:
    """Validate a Profile document against the pinned 1EdTech Profile JSON Schema."""
    _check(_PROFILE_SCHEMA_FILE, document)
