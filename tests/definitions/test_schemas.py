"""The JSON Schemas of the definition files are precise contracts."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from badgeservice.definitions.validation import FILE_KINDS, jsonable, schema_problems

from .conftest import EXAMPLE, ROOT

SCHEMAS = ROOT / "schemas" / "definitions"
SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$"


def load(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))


def subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from subschemas(value, f"{where}/{index}")


def test_one_schema_per_file_kind() -> None:
    assert sorted(path.name for path in SCHEMAS.glob("*.json")) == sorted(
        f"{kind}.schema.json" for kind in FILE_KINDS
    )


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    schema = load(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_every_table_rejects_unknown_keys(kind: str) -> None:
    """Any subschema with properties is closed, so a typo is an error (a table of
    translations is closed by its key pattern: language tags only)."""
    for where, node in subschemas(load(kind)):
        if node.get("type") == "object":
            closed = node.get("additionalProperties") is False or "pattern" in node.get(
                "propertyNames", {}
            )
            assert closed, where


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_slugs_share_one_pattern(kind: str) -> None:
    definitions = load(kind)["$defs"]
    assert definitions["slug"]["pattern"] == SLUG_PATTERN


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_example_files_conform(kind: str) -> None:
    data = tomllib.loads((EXAMPLE / f"{kind}.toml").read_text(encoding="utf-8"))
    assert schema_problems(kind, jsonable(data)) == []


def test_example_files_point_editors_at_their_schema() -> None:
    for kind in FILE_KINDS:
        first = (EXAMPLE / f"{kind}.toml").read_text(encoding="utf-8").splitlines()[0]
        assert first == f"#:schema ../../schemas/definitions/{kind}.schema.json"
        target = (EXAMPLE / first.removeprefix("#:schema ")).resolve()
        assert target == (SCHEMAS / f"{kind}.schema.json").resolve()


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            "connections",
            {"connections": [{"name": "x", "kind": "moodle", "unknown_person": "park"}]},
            [(("connections", 0, "base_url"), "required key is missing")],
        ),
        (
            "people",
            {
                "people": [
                    {
                        "employee_number": "E1",
                        "email": "not-an-email",
                        "given_name": " ",
                        "family_name": "X",
                    }
                ]
            },
            [
                (("people", 0, "email"), "must be an email address (got 'not-an-email')"),
                (("people", 0, "given_name"), "must be a non-empty text (got ' ')"),
            ],
        ),
        (
            "paths",
            {"paths": [{"slug": "p", "kind": "organisation", "name": "P", "subgoals": []}]},
            [(("paths", 0, "subgoals"), "must not be empty")],
        ),
        (
            "achievements",
            {"achievements": "nope"},
            [(("achievements",), "must be a list (got 'nope')")],
        ),
        (
            "organisation",
            {
                "organisation": {
                    "slug": "a",
                    "name": "A",
                    "url": "ftp://a.example",
                    "email": "a@a.example",
                },
                "issuers": [],
            },
            [
                (("issuers",), "must not be empty"),
                (
                    ("organisation", "url"),
                    "must be an http:// or https:// URL (got 'ftp://a.example')",
                ),
            ],
        ),
    ],
)
def test_messages(kind: str, data: Any, expected: list[tuple[tuple[Any, ...], str]]) -> None:
    assert schema_problems(kind, data) == expected


def test_schemas_located_beside_the_package() -> None:
    assert Path(SCHEMAS).is_dir()
