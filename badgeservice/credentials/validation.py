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


# Patterns no looser than the full validator's functions for the formats the 1EdTech
# schemas use: a string they match is one those functions accept (years 0001-9999, real
# months and days, hours, minutes and offsets within range). They refuse 29 February, which
# the functions accept in a leap year: such a credential is left to the full validator.
_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
_OFFSET = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_FORMAT_PATTERNS = {
    "date": f"^{_YEAR}-{_MONTH_DAY}$",
    "date-time": f"^{_YEAR}-{_MONTH_DAY}[Tt]{_TIME}{_OFFSET}$",
}
# Keywords whose values are data, not schemas.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})


def _formats_as_patterns(node: Any) -> Any:
    """A copy of a schema with ``format`` keywords of ``_FORMAT_PATTERNS`` checked by those
    patterns instead: inside the compiled validator, not by calls back into Python."""
    if isinstance(node, list):
        return [_formats_as_patterns(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {
        key: value if key in _DATA_KEYWORDS else _formats_as_patterns(value)
        for key, value in node.items()
    }
    name = node.get("format")
    if isinstance(name, str) and name in _FORMAT_PATTERNS:
        del copy["format"]
        copy["allOf"] = [*copy.get("allOf", []), {"pattern": _FORMAT_PATTERNS[name]}]
    return copy


@cache
def _compiled_validator(filename: str) -> jsonschema_rs.Validator:
    """The schema compiled by ``jsonschema_rs`` (draft 2019-09), answering only "valid or
    not", some fifty times faster than the full validator. Its dates must match patterns
    no looser than the full validator's date functions; any other format is checked by the
    full validator's own function for it."""
    schema = json.loads((schemas_dir() / filename).read_text(encoding="utf-8"))
    checkers = _format_checker().checkers
    return jsonschema_rs.Draft201909Validator(
        _formats_as_patterns(schema),
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


def _check(
    filename: str, document: object, extra: Sequence[str] = (), nesting: int | None = None
) -> None:
    # The compiled validator's "valid" is the verdict; for "invalid" the full validator
    # says what is wrong (and has the last word).
    if not extra:
        compiled = _compiled_validator(filename)
        try:
            if nesting is not None and nesting <= _COMPILED_DEPTH:
                shallow = True
            else:
                shallow = _nesting_validator().is_valid(document)
            if shallow and compiled.is_valid(document):
                return
        except ValueError:
            pass  # a value it cannot read (a mapping that is not a dict): the full validator
    instance = plain_json(document)
    errors = {_message(e) for e in _validator(filename).iter_errors(instance)}
    errors.update(extra)
    if errors:
        raise SchemaValidationError(sorted(errors))


def validate_credential(document: Mapping[str, Any], *, nesting: int | None = None) -> None:
    """Validate against the pinned AchievementCredential JSON Schema.

    Also applies the spec rule the schema cannot express: the subject needs ``id`` or at
    least one ``identifier``. Raises :class:`SchemaValidationError` listing every
    violation as ``"<json path>: <message>"``, sorted. ``nesting``, when the caller knows
    it, is how deep the document nests objects and arrays at most (a document that passed
    :func:`~.limits.check_document` nests at most its ``max_depth``): it spares measuring.
    """
    extra = []
    subject = document.get("credentialSubject") if isinstance(document, Mapping) else None
    if isinstance(subject, Mapping) and not (subject.get("id") or subject.get("identifier")):
        extra.append("$.credentialSubject: either 'id' or at least one 'identifier' is required")
    _check(_CREDENTIAL_SCHEMA_FILE, document, extra, nesting)


def validate_profile(document: Mapping[str, Any]) -> None:
    """Validate a Profile document against the pinned 1EdTech Profile JSON Schema."""
    _check(_PROFILE_SCHEMA_FILE, document)
