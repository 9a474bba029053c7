"""The filter parser and the PATCH engine, without a server."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgeservice.scim.errors import ScimError
from badgeservice.scim.filters import (
    And,
    AttrPath,
    Compare,
    FilterError,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    matches,
    parse_filter,
    parse_patch_path,
)
from badgeservice.scim.patch import apply_patch, normalize
from badgeservice.scim.schema import GROUP, USER
from tests.scim.support import ENTERPRISE, PATCH


def test_precedence_grouping_and_values() -> None:
    tree = parse_filter('userName eq "a" or title pr and not (active eq false)')
    assert tree == Or(
        Compare(AttrPath(None, "userName"), "eq", "a"),
        And(
            Present(AttrPath(None, "title")),
            Not(Compare(AttrPath(None, "active"), "eq", False)),
        ),
    )
    assert parse_filter("(a eq 1 or b eq 2.5) AND c NE null") == And(
        Or(Compare(AttrPath(None, "a"), "eq", 1), Compare(AttrPath(None, "b"), "eq", 2.5)),
        Compare(AttrPath(None, "c"), "ne", None),
    )
    assert parse_filter(f'{ENTERPRISE}:manager.value eq "x\\"y"') == Compare(
        AttrPath(ENTERPRISE, "manager", "value"), "eq", 'x"y'
    )
    assert parse_filter('emails[type eq "work" and value co "@x"]') == ValuePath(
        AttrPath(None, "emails"),
        And(
            Compare(AttrPath(None, "type"), "eq", "work"),
            Compare(AttrPath(None, "value"), "co", "@x"),
        ),
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "userName",
        'userName eq "a',
        "userName eq bare",
        'userName eq "a" and',
        '(userName eq "a"',
        'a.b.c eq "x"',
        'urn:x:y:z:attr eq "x"',
        'emails[type eq "work"',
        "not userName pr",
        "1abc pr",
    ],
)
def test_malformed_filters_are_refused(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text)


@given(st.text(max_size=60))
def test_any_text_parses_or_is_a_filter_error(text: str) -> None:
    with contextlib.suppress(FilterError):
        parse_filter(text)


def test_patch_paths_and_value_matching() -> None:
    path = parse_patch_path('emails[type eq "work"].value')
    assert path == PatchPath(
        AttrPath(None, "emails"), Compare(AttrPath(None, "type"), "eq", "work"), "value"
    )
    assert parse_patch_path("name.givenName") == PatchPath(AttrPath(None, "name", "givenName"))
    assert matches(parse_filter('type eq "WORK"'), {"type": "work", "value": "a@x"})
    assert not matches(parse_filter("primary eq true"), {"type": "work"})
    assert matches(parse_filter('value sw "ab"'), "abc")
    for bad in ('members[value eq "x"]extra', "members[", "a b"):
        with pytest.raises(FilterError):
            parse_patch_path(bad)


def _patch(
    doc: dict[str, Any], *operations: dict[str, Any], resource: Any = USER
) -> dict[str, Any]:
    return apply_patch(doc, {"schemas": [PATCH], "Operations": list(operations)}, resource)


def test_patch_semantics_on_documents() -> None:
    doc = normalize(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "USERNAME": "a",
            "Name": {"GivenName": "A"},
        },
        USER,
    )
    assert doc == {"userName": "a", "name": {"givenName": "A"}}
    # Complex attributes merge on add and replace; the original is untouched.
    changed = _patch(doc, {"op": "replace", "path": "name", "value": {"familyName": "B"}})
    assert changed["name"] == {"givenName": "A", "familyName": "B"}
    assert doc["name"] == {"givenName": "A"}
    # Multi-valued: add appends without duplicates, replace replaces.
    group = {"displayName": "T", "members": [{"value": "1"}]}
    added = _patch(
        group,
        {"op": "add", "path": "members", "value": [{"value": "1"}, {"value": "2"}]},
        resource=GROUP,
    )
    assert added["members"] == [{"value": "1"}, {"value": "2"}]
    replaced = _patch(
        added, {"op": "replace", "path": "members", "value": [{"value": "3"}]}, resource=GROUP
    )
    assert replaced["members"] == [{"value": "3"}]
    removed = _patch(added, {"op": "remove", "path": 'members[value eq "2"]'}, resource=GROUP)
    assert removed["members"] == [{"value": "1"}]
    # Extension attributes by URN path or in a no-path value object.
    managed = _patch(
        doc,
        {"op": "add", "value": {ENTERPRISE: {"employeeNumber": "E1"}, "name.familyName": "C"}},
        {"op": "add", "path": f"{ENTERPRISE}:manager", "value": "m-1"},
    )
    assert managed[ENTERPRISE] == {"employeeNumber": "E1", "manager": {"value": "m-1"}}
    assert managed["name"]["familyName"] == "C"
    with pytest.raises(ScimError) as raised:
        _patch(doc, {"op": "replace", "path": 'name[givenName eq "A"]', "value": {}})
    assert raised.value.scim_type == "invalidPath"


def test_patch_of_the_whole_extension_object() -> None:
    doc = {"userName": "a", ENTERPRISE: {"employeeNumber": "E1", "department": "D"}}
    replaced = _patch(doc, {"op": "replace", "path": ENTERPRISE, "value": {"department": "X"}})
    assert replaced[ENTERPRISE] == {"employeeNumber": "E1", "department": "X"}
    assert ENTERPRISE not in _patch(doc, {"op": "remove", "path": ENTERPRISE})
