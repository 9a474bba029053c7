"""SCIM filter expressions and attribute paths (RFC 7644 §3.4.2.2, §3.5.2): a small parser.

``parse_filter('userName eq "a" and (active eq true or not (title pr))')`` gives a tree of
:class:`Compare`, :class:`Present`, :class:`And`, :class:`Or`, :class:`Not` and
:class:`ValuePath` nodes; ``parse_patch_path('emails[type eq "work"].value')`` gives a
:class:`PatchPath`. Attribute names and operators are case-insensitive; an attribute may be
prefixed with its schema URN. Nothing here knows which attributes exist: the resource
modules resolve paths and answer ``invalidFilter``/``invalidPath`` for unknown ones.

:func:`matches` evaluates a filter against one value of a multi-valued attribute (the
``[type eq "work"]`` of a PATCH path).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "COMPARE_OPS",
    "SCHEMA_URNS",
    "And",
    "AttrPath",
    "Compare",
    "Filter",
    "FilterError",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "ValuePath",
    "attr_path",
    "matches",
    "parse_filter",
    "parse_patch_path",
]

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_URNS = (ENTERPRISE_USER, CORE_USER, CORE_GROUP)

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
MAX_LENGTH = 4096
MAX_DEPTH = 32

_ATTRNAME = re.compile(r"^\$?[A-Za-z][A-Za-z0-9_$-]*\Z")
_NUMBER = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_WORD = re.compile(r"[^\s()\[\]\"]+")


class FilterError(ValueError):
    """The expression or path is not valid SCIM syntax."""


@dataclass(frozen=True)
class AttrPath:
    """``[urn:]attr[.sub]``; ``urn`` is the canonical schema URN when one was given."""

    urn: str | None
    attr: str
    sub: str | None = None

    def __str__(self) -> str:
        name = f"{self.attr}.{self.sub}" if self.sub else self.attr
        return f"{self.urn}:{name}" if self.urn else name


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    inner: Filter


@dataclass(frozen=True)
class ValuePath:
    """``attr[filter]``: the values of a multi-valued attribute that match ``filter``."""

    path: AttrPath
    filter: Filter


Filter = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path``: an attribute, optionally a value filter, optionally a sub-attribute
    (``members[value eq "x"]``, ``emails[type eq "work"].value``, ``name.givenName``)."""

    attr: AttrPath
    filter: Filter | None = None
    sub: str | None = None


def attr_path(text: str) -> AttrPath:
    """``[URN:]attr[.sub]`` with a known schema URN or none."""
    urn = None
    rest = text
    lowered = text.lower()
    for known in SCHEMA_URNS:
        if lowered.startswith(known.lower() + ":"):
            urn, rest = known, text[len(known) + 1 :]
            break
    else:
        if ":" in text:
            raise FilterError(f"{text!r} names an unknown schema")
    parts = rest.split(".")
    if len(parts) > 2 or not all(_ATTRNAME.match(part) for part in parts):
        raise FilterError(f"{text!r} is not an attribute path")
    return AttrPath(urn, parts[0], parts[1] if len(parts) == 2 else None)


# -- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "(" ")" "[" "]" "string" "word"
    text: str
    value: Any = None


def _tokens(text: str) -> list[_Token]:
    if len(text) > MAX_LENGTH:
        raise FilterError(f"the expression is longer than {MAX_LENGTH} characters")
    tokens: list[_Token] = []
    decoder = json.JSONDecoder()
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "()[]":
            tokens.append(_Token(char, char))
            index += 1
        elif char == '"':
            try:
                value, end = decoder.raw_decode(text, index)
            except ValueError:
                raise FilterError(f"unterminated or malformed string at {index}") from None
            tokens.append(_Token("string", text[index:end], value))
            index = end
        else:
            match = _WORD.match(text, index)
            assert match is not None  # any other character starts a word
            tokens.append(_Token("word", match.group()))
            index = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self, what: str) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterError(f"the expression ends where {what} was expected")
        self.index += 1
        return token

    def expect(self, kind: str) -> None:
        token = self.next(f"'{kind}'")
        if token.kind != kind:
            raise FilterError(f"expected '{kind}', found {token.text!r}")

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.lower() in words:
            self.index += 1
            return token.text.lower()
        return None

    # filter := and ("or" and)* ; and := unary ("and" unary)*
    def filter(self) -> Filter:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(f"the expression nests deeper than {MAX_DEPTH} levels")
        node = self.conjunction()
        while self.keyword("or"):
            node = Or(node, self.conjunction())
        self.depth -= 1
        return node

    def conjunction(self) -> Filter:
        node = self.unary()
        while self.keyword("and"):
            node = And(node, self.unary())
        return node

    def unary(self) -> Filter:
        token = self.next("an attribute, 'not' or '('")
        if token.kind == "(":
            node = self.filter()
            self.expect(")")
            return node
        if token.kind != "word":
            raise FilterError(f"expected an attribute, found {token.text!r}")
        following = self.peek()
        if token.text.lower() == "not" and following is not None and following.kind == "(":
            self.index += 1
            node = self.filter()
            self.expect(")")
            return Not(node)
        path = attr_path(token.text)
        if following is not None and following.kind == "[":
            if path.sub:
                raise FilterError(f"{token.text!r}: a value filter follows the attribute")
            self.index += 1
            inner = self.filter()
            self.expect("]")
            return ValuePath(path, inner)
        operator = self.next("an operator")
        op = operator.text.lower()
        if operator.kind != "word" or (op != "pr" and op not in COMPARE_OPS):
            raise FilterError(f"{operator.text!r} is not a SCIM operator")
        if op == "pr":
            return Present(path)
        return Compare(path, op, self.value())

    def value(self) -> Any:
        token = self.next("a value")
        if token.kind == "string":
            return token.value
        text = token.text.lower() if token.kind == "word" else ""
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if token.kind == "word" and _NUMBER.match(token.text):
            number = float(token.text)
            return int(number) if number.is_integer() and "." not in token.text else number
        raise FilterError(
            f"{token.text!r} is not a value: use a quoted string, a number, true, false or null"
        )

    def end(self) -> None:
        token = self.peek()
        if token is not None:
            raise FilterError(f"unexpected {token.text!r} after the expression")


def parse_filter(text: str) -> Filter:
    """The tree of a ``filter`` query parameter; :class:`FilterError` when malformed."""
    if not text.strip():
        raise FilterError("the filter is empty")
    parser = _Parser(text)
    node = parser.filter()
    parser.end()
    return node


def parse_patch_path(text: str) -> PatchPath:
    """A PATCH operation's ``path``; :class:`FilterError` when malformed."""
    parser = _Parser(text)
    token = parser.next("an attribute path")
    if token.kind != "word":
        raise FilterError(f"{text!r} is not an attribute path")
    path = attr_path(token.text)
    following = parser.peek()
    if following is None:
        return PatchPath(path)
    if following.kind != "[" or path.sub:
        raise FilterError(f"{text!r} is not an attribute path")
    parser.index += 1
    inner = parser.filter()
    parser.expect("]")
    sub = None
    rest = parser.peek()
    if rest is not None:
        if rest.kind != "word" or not rest.text.startswith("."):
            raise FilterError(f"unexpected {rest.text!r} after the value filter")
        sub = rest.text[1:]
        if not _ATTRNAME.match(sub):
            raise FilterError(f"{rest.text!r} is not a sub-attribute")
        parser.index += 1
    parser.end()
    return PatchPath(path, inner, sub)


# -- evaluation on one value of a multi-valued attribute --------------------------------------


def matches(node: Filter, element: Any) -> bool:
    """Whether ``element`` (a dict such as ``{"value": …, "type": "work"}``, or a plain
    value, addressed as ``value``) satisfies ``node``. Strings compare case-insensitively."""
    if isinstance(node, And):
        return matches(node.left, element) and matches(node.right, element)
    if isinstance(node, Or):
        return matches(node.left, element) or matches(node.right, element)
    if isinstance(node, Not):
        return not matches(node.inner, element)
    if isinstance(node, ValuePath):
        raise FilterError("a value filter cannot nest another value filter")
    if node.path.sub is not None:
        raise FilterError(f"{node.path} is not a sub-attribute of the filtered values")
    actual = _lookup(element, node.path.attr)
    if isinstance(node, Present):
        return actual not in (None, "", [], {})
    return _compare(actual, node.op, node.value)


def _lookup(element: Any, name: str) -> Any:
    if not isinstance(element, dict):
        return element if name.lower() == "value" else None
    for key, value in element.items():
        if key.lower() == name.lower():
            return value
    return None


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        actual, expected = actual.lower(), expected.lower()
    if op == "eq":
        return bool(actual == expected) and type(actual) is type(expected)
    if op == "ne":
        return not (actual == expected and type(actual) is type(expected))
    if not isinstance(actual, str) or not isinstance(expected, str):
        if op in ("co", "sw", "ew"):
            return False
        if (
            isinstance(actual, bool)
            or isinstance(expected, bool)
            or not isinstance(actual, int | float)
            or not isinstance(expected, int | float)
        ):
            return False
    if op == "co":
        return expected in actual
    if op == "sw":
        return bool(actual.startswith(expected))
    if op == "ew":
        return bool(actual.endswith(expected))
    result: bool = {
        "gt": actual > expected,
        "ge": actual >= expected,
        "lt": actual < expected,
        "le": actual <= expected,
    }[op]
    return result
