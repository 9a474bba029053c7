"""Checks that span entries and files: uniqueness, references, cycles, files inside the folder.

The schemas have already judged each file on its own. What is left needs the whole folder:
"does this achievement exist", "is this image inside the folder". A file that could not be
read contributes ``None`` name sets, and references into it are not judged, so one broken
file does not bury the operator under follow-on errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypeVar

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ..credentials.baking import MAX_IMAGE_BYTES
from .errors import DefinitionError

__all__ = ["Known", "Report", "read_inside", "unique"]

_T = TypeVar("_T")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_ROOT = "{http://www.w3.org/2000/svg}svg"


@dataclass
class Report:
    """Collects the problems of one organisation folder."""

    folder: Path
    errors: list[DefinitionError] = field(default_factory=list)
    warnings: list[DefinitionError] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The folder as operators name it: ``issuers/acme``."""
        parent = self.folder.parent.name
        return f"{parent}/{self.folder.name}" if parent else self.folder.name

    def file(self, name: str) -> str:
        """A file of the folder as operators name it: ``issuers/acme/paths.toml``."""
        return f"{self.label}/{name}"

    def add(self, file: str, path: str, message: str) -> None:
        """Record one problem; ``file`` is a bare file name such as ``paths.toml``."""
        self.errors.append(DefinitionError(self.file(file), path, message))

    def warn(self, file: str, path: str, message: str) -> None:
        """Record what is allowed but probably unintended (a missing translation)."""
        self.warnings.append(DefinitionError(self.file(file), path, message))


@dataclass(frozen=True)
class Known:
    """The names of one kind of thing, for judging references to it.

    ``names`` is ``None`` when the file that declares them could not be read.
    """

    what: str
    names: frozenset[str] | None
    hint: str = ""

    def check(self, report: Report, file: str, path: str, value: str | None) -> bool:
        """Report ``value`` if it names nothing known; ``True`` when it is known (or unjudged)."""
        if value is None or self.names is None or value in self.names:
            return True
        close = difflib.get_close_matches(value, sorted(self.names), n=1)
        suggestion = f" (did you mean {close[0]!r}?)" if close else self.hint
        report.add(file, path, f"unknown {self.what} {value!r}{suggestion}")
        return False


def unique(
    report: Report,
    file: str,
    items: Iterable[tuple[int, _T]],
    key: Callable[[_T], str],
    at: str,
    what: str,
    *,
    fold: Callable[[str], str] = lambda text: text,
) -> None:
    """Report every item whose key an earlier item already uses.

    ``items`` pairs each item with its index in the file; ``at.format(index)`` locates it,
    as in ``"paths[{}].slug"``.
    """
    first: dict[str, int] = {}
    for index, item in items:
        value = fold(key(item))
        if value in first:
            where = at.format(first[value])
            report.add(file, at.format(index), f"duplicate {what} {key(item)!r} (first at {where})")
        else:
            first[value] = index


def read_inside(
    report: Report, file: str, path: str, relative: str, kinds: frozenset[str]
) -> tuple[Path, bytes] | None:
    """Read a file the definitions name, relative to the organisation folder.

    ``kinds`` holds the accepted suffixes (``png``, ``svg``, ``json``); PNG and SVG files are
    also checked to be what their suffix says. Returns ``None`` after reporting a problem.
    """
    if "\\" in relative:
        report.add(file, path, f"use forward slashes in file paths (got {relative!r})")
        return None
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts:
        report.add(file, path, f"{relative!r} must be a path inside the organisation folder")
        return None
    root = report.folder.resolve()
    target = (root / pure).resolve()
    # A symlink may point anywhere even when the written path looks harmless.
    if not target.is_relative_to(root):
        report.add(file, path, f"{relative!r} leads outside the organisation folder")
        return None
    if not target.is_file():
        report.add(file, path, f"file not found: {relative!r}")
        return None
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in kinds:
        allowed = " or ".join(f".{kind}" for kind in sorted(kinds))
        report.add(file, path, f"{relative!r} must be a {allowed} file")
        return None
    if target.stat().st_size > MAX_IMAGE_BYTES:
        report.add(file, path, f"{relative!r} is larger than {MAX_IMAGE_BYTES} bytes")
        return None
    content = target.read_bytes()
    problem = _content_problem(suffix, content)
    if problem:
        report.add(file, path, f"{relative!r} {problem}")
        return None
    return target, content


def _content_problem(suffix: str, content: bytes) -> str | None:
    if suffix == "png":
        return None if content.startswith(_PNG_SIGNATURE) else "is not a PNG image"
    if suffix != "svg":
        return None
    try:
        root = SafeET.fromstring(content, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        return f"is not well-formed SVG: {exc}"
    if root.tag != _SVG_ROOT:
        return "is not an SVG image (root element must be <svg> in the SVG namespace)"
    return None
