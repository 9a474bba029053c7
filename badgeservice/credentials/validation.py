"""Validation against the pinned 1EdTech Open Badges 3.0 JSON Schemas (draft 2019-09)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import fastjsonschema
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


# Keywords draft 2019-09 added over draft-07. The pinned 1EdTech schemas use none of them, so
# they mean the same under draft-07, which fastjsonschema compiles to plain Python.
_NEWER_KEYWORDS = frozenset(
    {
        "$anchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentRequired",
        "dependentSchemas",
        "minContains",
        "maxContains",
    }
)


def _keywords(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "$defs", "definitions", "patternProperties"):
                for child in value.values():
                    found |= _keywords(child)
            else:
                found.add(key)
                found |= _keywords(value)
    elif isinstance(node, list):
        for child in node:
            found |= _keywords(child)
    return found


@cache
def _fast_validator(filename: str) -> Callable[[object], object] | None:
    """A compiled validator answering only "valid or not" (about 5x faster); None when the
    schema uses a keyword draft-07 does not know."""
    schema = json.loads((schemas_dir() / filename).read_text(encoding="utf-8"))
    if _keywords(schema) & _NEWER_KEYWORDS:
        return None
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    compiled: Callable[[object], object] = fastjsonschema.compile(
        schema, formats={"date-time": _is_date_time}
    )
    return compiled


def _message(error: ValidationError) -> str:
    # oneOf/anyOf failures quote the whole instance; the deepest relevant sub-error says
    # what is actually wrong.
    leaf = best_match([error]) or error
    text = leaf.message if len(leaf.message) <= 300 else leaf.message[:297] + "..."
    return f"{leaf.json_path}: {text}"


def _check(filename: str, document: object, extra: Sequence[str] = ()) -> None:
    instance = plain_json(document)
    fast = _fast_validator(filename)
    if fast is not None and not extra:
        try:
            fast(instance)
        except (fastjsonschema.JsonSchemaException, ValueError):
            pass  # the full validator below says everything that is wrong
        else:
            return
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
