"""Holders as spreadsheets: CSV that any spreadsheet opens correctly (a UTF-8 byte-order
mark, so Excel reads the text as UTF-8; ``;`` as the separator on request, for locales
whose decimal comma makes Excel split on semicolons) and XLSX. Cells a spreadsheet would
run as a formula are neutralised in both (CSV injection)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ...db import Database
from .holders import Holder, iter_holders

__all__ = ["HEADER", "SEPARATORS", "XLSX", "csv_stream", "safe_text", "xlsx_bytes"]

HEADER = (
    "id",
    "employeeNumber",
    "givenName",
    "familyName",
    "email",
    "teams",
    "competence",
    "level",
    "since",
    "validUntil",
)
SEPARATORS = {"comma": ",", "semicolon": ";"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Rows read (and CSV pieces sent) at a time.
CHUNK = 500


def safe_text(value: Any) -> str:
    """A CSV cell: text a spreadsheet would run as a formula gets a leading ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _values(holder: Holder, code: str) -> tuple[Any, ...]:
    return (
        str(holder.id),
        holder.employee_number,
        holder.given_name,
        holder.family_name,
        holder.email,
        " ".join(team.slug for team in holder.teams),
        code,
        holder.level,
        holder.since,
        holder.valid_until,
    )


def _holders(
    db: Database,
    organisation_id: uuid.UUID,
    competence_id: uuid.UUID,
    limit: int | None,
    options: dict[str, Any],
) -> Iterator[Holder]:
    """Read with a session of its own (a streamed body outlives the request's session) and
    read-only (on SQLite a long export must not hold the write lock)."""
    session = db.read_sessions()
    try:
        yield from iter_holders(session, organisation_id, competence_id, limit=limit, **options)
    finally:
        session.rollback()
        session.close()


def csv_stream(
    db: Database,
    organisation_id: uuid.UUID,
    competence_id: uuid.UUID,
    code: str,
    limit: int | None,
    options: dict[str, Any],
    separator: str = ",",
) -> Iterator[str]:
    """The CSV in pieces of a few hundred rows, opening with a UTF-8 byte-order mark."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(HEADER)
    holders = _holders(db, organisation_id, competence_id, limit, options)
    for number, holder in enumerate(holders, 1):
        writer.writerow(
            [
                safe_text(value.isoformat() if isinstance(value, datetime) else value)
                for value in _values(holder, code)
            ]
        )
        if number % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(
    db: Database,
    organisation_id: uuid.UUID,
    competence_id: uuid.UUID,
    code: str,
    limit: int | None,
    options: dict[str, Any],
) -> bytes:
    """An XLSX workbook of one sheet: text cells are stored as text (never as a formula,
    whatever they start with), the level as a number, dates as date-times in UTC."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"Holders {code}"[:31].replace(":", " "))
    sheet.append(HEADER)
    for holder in _holders(db, organisation_id, competence_id, limit, options):
        row = []
        for value in _values(holder, code):
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value.astimezone(UTC).replace(tzinfo=None))
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif value is None or isinstance(value, int):
                cell = WriteOnlyCell(sheet, value=value)
            else:
                cell = WriteOnlyCell(sheet, value=str(value))
                cell.data_type = "s"  # openpyxl would store "=…" as a formula
            row.append(cell)
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
