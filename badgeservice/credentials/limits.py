"""Bounds on the work one document may cause, and the text checks done before any.

JSON-LD expansion and RDF conversion are not linear in every input: pyld merges the values
of one property pairwise, so a few hundred kilobytes of ``tag`` entries take minutes. A
document is therefore measured (one pass, no recursion) before it reaches the JSON-LD
processor and refused with :class:`~.errors.DocumentTooLargeError` when it exceeds the
:class:`Limits` in force. The same pass refuses strings that are not Unicode text (lone
surrogates, which JSON's ``\\ud83c`` escapes can produce) with the JSON path at fault: they
cannot be encoded as UTF-8, so they cannot be hashed, signed or stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import DocumentTooLargeError, MalformedDocumentError

__all__ = ["DEFAULT_LIMITS", "Limits", "check_document", "json_path", "lone_surrogate"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Limits:
    """The most one document may hold. Raise them for unusual but trusted input.

    ``max_text`` counts the characters of every string, keys included; ``max_nodes`` the
    JSON objects; ``max_values`` every JSON value (objects, arrays, strings, numbers...);
    ``max_array`` the items of one array; ``max_depth`` the nesting of objects and arrays.
    The defaults hold any credential we have seen with a wide margin (an Open Badge with
    a hundred alignments has under a thousand values) and keep the worst case of one
    verification to about a second of CPU.
    """

    max_text: int = 4 * 1024 * 1024
    max_nodes: int = 2_000
    max_values: int = 10_000
    max_array: int = 1_000
    max_depth: int = 64

    def __post_init__(self) -> None:
        for name in ("max_text", "max_nodes", "max_values", "max_array", "max_depth"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")


DEFAULT_LIMITS = Limits()


def json_path(parts: tuple[str | int, ...]) -> str:
    """``("a", 0, "b c")`` → ``$.a[0]['b c']``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` as ``U+D83C``, or None for proper text."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return None if found is None else f"U+{ord(found[0]):04X}"


def _refuse_text(text: str, parts: tuple[str | int, ...], what: str) -> None:
    bad = lone_surrogate(text)
    if bad is not None:
        raise MalformedDocumentError(
            f"{json_path(parts)}: {what} holds a lone surrogate ({bad}), which is not Unicode "
            "text; the document cannot be encoded as UTF-8"
        )


def check_document(document: Any, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse ``document`` if it breaks ``limits`` or holds a string that is not text."""
    if not _within(document, limits):
        _locate(document, limits)
        raise MalformedDocumentError("$: document refused by the limits")  # not reached


def _within(document: Any, limits: Limits) -> bool:
    """The common case, fast: no paths kept, only whether anything is wrong. Counts only
    grow, so checking them after each container gives the same answer as after each value;
    strings inside a container are counted in place instead of being stacked."""
    text = nodes = values = 0
    max_depth, max_array = limits.max_depth, limits.max_array
    surrogate = _SURROGATE.search
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        values += 1
        kind = type(value)
        if kind is str:
            text += len(value)
            if not value.isascii() and surrogate(value):
                return False
            continue
        if kind is dict or (kind is not list and isinstance(value, Mapping)):
            nodes += 1
            if depth > max_depth:
                return False
            for key, item in value.items():
                key_text = key if type(key) is str else str(key)
                text += len(key_text)
                if not key_text.isascii() and surrogate(key_text):
                    return False
                if type(item) is str:
                    values += 1
                    text += len(item)
                    if not item.isascii() and surrogate(item):
                        return False
                else:
                    stack.append((item, depth + 1))
        elif kind is list or isinstance(value, list):
            if depth > max_depth or len(value) > max_array:
                return False
            stack.extend((item, depth + 1) for item in value)
        if values > limits.max_values or nodes > limits.max_nodes or text > limits.max_text:
            return False
    return values <= limits.max_values and nodes <= limits.max_nodes and text <= limits.max_text


def _locate(document: Any, limits: Limits) -> None:
    """The same walk with JSON paths, to say what is wrong and where (raises)."""
    text = nodes = values = 0
    # (value, path parts, depth); the path is spelled out only for an error.
    stack: list[tuple[Any, tuple[str | int, ...], int]] = [(document, (), 1)]
    while stack:
        value, parts, depth = stack.pop()
        values += 1
        if isinstance(value, str):
            text += len(value)
            _refuse_text(value, parts, "string")
        elif isinstance(value, Mapping):
            nodes += 1
            if depth > limits.max_depth:
                _too_large(parts, f"nested deeper than {limits.max_depth} levels", "max_depth")
            for key, item in value.items():
                key_text = str(key)
                text += len(key_text)
                _refuse_text(key_text, (*parts, key_text), "key")
                stack.append((item, (*parts, key_text), depth + 1))
        elif isinstance(value, list):
            if depth > limits.max_depth:
                _too_large(parts, f"nested deeper than {limits.max_depth} levels", "max_depth")
            if len(value) > limits.max_array:
                _too_large(
                    parts, f"array of {len(value)} items (at most {limits.max_array})", "max_array"
                )
            stack.extend((item, (*parts, index), depth + 1) for index, item in enumerate(value))
        if values > limits.max_values:
            _too_large((), f"more than {limits.max_values} JSON values", "max_values")
        if nodes > limits.max_nodes:
            _too_large((), f"more than {limits.max_nodes} JSON objects", "max_nodes")
        if text > limits.max_text:
            _too_large((), f"more than {limits.max_text} characters of text", "max_text")


def _too_large(parts: tuple[str | int, ...], what: str, limit: str) -> None:
    raise DocumentTooLargeError(json_path(parts), what, limit)
