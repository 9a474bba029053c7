"""Check a parsed definition file against its JSON Schema and say what is wrong in plain words.

The schemas live in ``schemas/definitions/<kind>.schema.json`` so editors (Taplo's
``#:schema`` directive) and other tools can use the same contract. A subschema may carry an
``errorMessage`` (the ajv-errors convention) that replaces jsonschema's generic wording.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from ..credentials.resources import schemas_dir

__all__ = ["FILE_KINDS", "Location", "format_path", "jsonable", "schema_problems"]

FILE_KINDS = ("organisation", "achievements", "paths", "people", "connections")

_REQUIRED = re.compile(r"^'(.+)' is a required property$")
_DEPENDENCY = re.compile(r"^'(.+)' is a dependency of '(.+)'$")
_TYPE_NAMES = {
    "string": "a text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a table",
}


@cache
def _validator(kind: str) -> Any:
    path = schemas_dir() / "definitions" / f"{kind}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def jsonable(value: Any) -> Any:
    """TOML data as the JSON data model: dates and times become ISO 8601 strings."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def format_path(parts: Sequence[str | int]) -> str:
    """``("paths", 2, "subgoals", 0)`` → ``paths[2].subgoals[0]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


Location = tuple[str | int, ...]


def schema_problems(kind: str, data: Any) -> list[tuple[Location, str]]:
    """Every schema violation of ``data`` as ``(location, message)``, in document order.

    The location is the key path, such as ``("paths", 2, "subgoals", 0, "achievement")``.
    """
    errors = _validator(kind).iter_errors(data)
    ordered = sorted(errors, key=lambda error: _sort_key(error.absolute_path))
    problems: list[tuple[Location, str]] = []
    for error in ordered:
        for problem in _describe(error):
            if problem not in problems:
                problems.append(problem)
    return problems


def _sort_key(parts: Sequence[str | int]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in parts)


def _describe(error: ValidationError) -> Iterator[tuple[Location, str]]:
    where: Location = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for key in error.instance:
            if key not in allowed:
                yield (*where, key), _unknown_key(key, allowed)
        return
    if error.validator == "required" and (match := _REQUIRED.match(error.message)):
        yield (*where, match.group(1)), "required key is missing"
        return
    if error.validator == "dependentRequired" and (match := _DEPENDENCY.match(error.message)):
        needed, given = match.groups()
        yield (*where, needed), f"required because '{given}' is given"
        return
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    if isinstance(custom, str):
        # A "not" failure means the key should be absent; its value is beside the point.
        yield where, custom if error.validator == "not" else f"{custom}{_got(error.instance)}"
        return
    if error.validator == "type" and isinstance(error.validator_value, str):
        wanted = _TYPE_NAMES.get(error.validator_value, error.validator_value)
        yield where, f"must be {wanted}{_got(error.instance)}"
        return
    if error.validator == "minItems" and error.validator_value == 1:
        yield where, "must not be empty"
        return
    if error.validator == "uniqueItems":
        yield where, "lists the same item more than once"
        return
    yield where, error.message


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(allowed)}"
    return f"unknown key ({hint})"


def _got(value: Any) -> str:
    if isinstance(value, dict | list):
        return ""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f" (got {text})"
