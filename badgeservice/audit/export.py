"""The audit trail as a download: CSV (RFC 4180, a header row) or JSON Lines, streamed in
pieces from a read-only session so a long trail never sits in memory."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Response

from ..db import Database, database
from .models import AuditEvent
from .services import AuditFilter, audit_query

__all__ = ["COLUMNS", "as_dict", "audit_download", "csv_stream", "jsonl_stream"]

COLUMNS = (
    "id",
    "at",
    "actor_kind",
    "actor_id",
    "actor",
    "action",
    "target",
    "channel",
    "ip",
    "user_agent",
    "details",
)
CHUNK = 500
# A cell a spreadsheet would run as a formula gets a leading "'".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_dict(event: AuditEvent) -> dict[str, Any]:
    """One entry as plain JSON values, the keys of :data:`COLUMNS`."""
    return {
        "id": str(event.id),
        "at": event.at.isoformat(),
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "channel": event.channel,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "details": event.details,
    }


def _rows(
    db: Database, organisation_id: uuid.UUID, where: AuditFilter, limit: int | None, offset: int
) -> Iterator[dict[str, Any]]:
    query = audit_query(organisation_id, where).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    session = db.read_sessions()
    try:
        for event in session.scalars(query.execution_options(yield_per=CHUNK)):
            yield as_dict(event)
    finally:
        session.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_stream(
    db: Database,
    organisation_id: uuid.UUID,
    where: AuditFilter,
    limit: int | None = None,
    offset: int = 0,
) -> Iterator[str]:
    """The entries as CSV, newest first, in pieces of :data:`CHUNK` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, row in enumerate(_rows(db, organisation_id, where, limit, offset), 1):
        writer.writerow([_cell(row[column]) for column in COLUMNS])
        if number % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_stream(
    db: Database,
    organisation_id: uuid.UUID,
    where: AuditFilter,
    limit: int | None = None,
    offset: int = 0,
) -> Iterator[str]:
    """The entries as JSON Lines (one object a line), newest first."""
    lines: list[str] = []
    for row in _rows(db, organisation_id, where, limit, offset):
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
        if len(lines) == CHUNK:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


def audit_download(
    organisation_id: uuid.UUID,
    where: AuditFilter,
    wanted: str,
    limit: int | None = None,
    offset: int = 0,
) -> Response:
    """The trail as a streamed ``csv`` or ``jsonl`` attachment (the API's and the page's)."""
    stream = csv_stream if wanted == "csv" else jsonl_stream
    body = stream(database(), organisation_id, where, limit, offset)
    response = Response(body, mimetype="text/csv" if wanted == "csv" else "application/jsonl")
    if wanted == "csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    response.headers["Content-Disposition"] = f'attachment; filename="audit.{wanted}"'
    response.headers["Cache-Control"] = "no-store"
    return response
