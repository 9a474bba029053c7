"""Reading a bulk-award CSV: UTF-8 (a byte-order mark is fine), comma- or
semicolon-separated (Excel in Finnish and Swedish writes semicolons), a header naming the
columns ``person`` and ``badge`` and optionally ``narrative`` and ``evidence_url``, then one
award per line: the person by employee number or e-mail, the badge by its slug or a
sub-goal as ``path-slug/sub-goal-slug``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

__all__ = ["MAX_BYTES", "MAX_ROWS", "BulkFileError", "Line", "read_lines"]

MAX_ROWS = 10_000
MAX_BYTES = 4 * 1024 * 1024
COLUMNS = ("person", "badge", "narrative", "evidence_url")
REQUIRED = ("person", "badge")


class BulkFileError(ValueError):
    """Why the file as a whole cannot be read: ``code`` (``encoding``, ``empty``,
    ``columns``, ``too-many``, ``too-large``, ``malformed``) and a detail."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Line:
    line: int  # as a spreadsheet numbers it: the header is line 1
    person: str
    badge: str
    narrative: str | None
    evidence_url: str | None


def read_lines(data: bytes) -> list[Line]:
    """The file's award lines (blank lines skipped), or :class:`BulkFileError`."""
    if len(data) > MAX_BYTES:
        raise BulkFileError("too-large", str(MAX_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkFileError("encoding") from None
    if not text.strip():
        raise BulkFileError("empty")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [cell.strip().lower().replace(" ", "_") for cell in next(reader)]
        missing = [name for name in REQUIRED if name not in header]
        unknown = [name for name in header if name and name not in COLUMNS]
        if missing or unknown:
            raise BulkFileError("columns", ", ".join(missing or unknown))
        where = {name: header.index(name) for name in COLUMNS if name in header}
        lines: list[Line] = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(lines) == MAX_ROWS:
                raise BulkFileError("too-many", str(MAX_ROWS))

            def cell(name: str, cells: list[str] = cells) -> str | None:
                index = where.get(name)
                value = cells[index].strip() if index is not None and index < len(cells) else ""
                return value or None

            lines.append(
                Line(
                    number,
                    cell("person") or "",
                    cell("badge") or "",
                    cell("narrative"),
                    cell("evidence_url"),
                )
            )
    except csv.Error as exc:
        raise BulkFileError("malformed", str(exc)) from None
    if not lines:
        raise BulkFileError("empty")
    return lines
