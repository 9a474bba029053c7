"""The pull feed of competence events: the objects the HR push sends, for HR systems that
poll, behind a stable, resumable, opaque cursor.

Why the order is ``(txid, seq)`` and not plain ``seq`` on PostgreSQL: sequence numbers are
handed out at insert time but become visible at commit, so a transaction that took seq 5 and
commits after another's seq 6 would be skipped by a reader who already moved past 6. The
feed therefore only shows rows whose writing transaction is older than every transaction
still running (``txid < pg_snapshot_xmin(pg_current_snapshot())``, evaluated in the same
statement as the read) and orders by that transaction id first: anything that can still
commit has a transaction id at or above that horizon, so it always sorts after every cursor
handed out so far (the same rule as every reader of the events:
:mod:`.horizon`). A cursor never skips; a slow transaction only delays the events behind
it. Within one transaction (and, because recognitions raise a person's ``txid`` to their
latest, within one person) the order is ``seq``. SQLite serialises writers, so there seq
order is commit order and ``txid`` is NULL.

The price: transaction ids are cluster-wide, so any long write transaction on the
PostgreSQL cluster (a bulk load, a worker holding a transaction across HTTP calls, another
database's) holds the feed back until it ends. Events are delayed, never lost; keep
transactions short.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from ...errors import BadRequest
from ..models import CompetenceEvent
from .horizon import OLDEST_RUNNING

__all__ = ["FeedPage", "decode_cursor", "encode_cursor", "read_feed"]

_CURSOR = re.compile(r"1\.(\d{1,19})\.(\d{1,19})\.([0-9a-f]{8})")
_MAX = 2**63 - 1


@dataclass(frozen=True)
class FeedPage:
    """Events after the cursor, in feed order, and the cursor to continue from (the same
    cursor when nothing new is visible yet)."""

    items: list[dict[str, Any]]
    next: str


def _fingerprint(organisation_id: uuid.UUID) -> str:
    return hashlib.sha256(organisation_id.bytes).hexdigest()[:8]


def encode_cursor(organisation_id: uuid.UUID, txid: int, seq: int) -> str:
    """The opaque cursor of the position after the event ``(txid, seq)``."""
    raw = f"1.{txid}.{seq}.{_fingerprint(organisation_id)}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(organisation_id: uuid.UUID, cursor: str) -> tuple[int, int]:
    """``(txid, seq)`` of a cursor this organisation's feed handed out.

    Raises:
        BadRequest: the cursor is malformed or belongs to another organisation's feed.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raw = ""
    match = _CURSOR.fullmatch(raw)
    if match is None or int(match[1]) > _MAX or int(match[2]) > _MAX:
        raise BadRequest(
            "after: not a cursor of this feed; pass the 'next' value of an earlier answer",
            errors={"after": ["not a cursor of this feed"]},
        )
    if match[3] != _fingerprint(organisation_id):
        raise BadRequest(
            "after: the cursor belongs to another organisation's feed",
            errors={"after": ["the cursor belongs to another organisation's feed"]},
        )
    return int(match[1]), int(match[2])


def read_feed(
    session: Session, organisation_id: uuid.UUID, *, after: str | None = None, limit: int = 100
) -> FeedPage:
    """Up to ``limit`` of the organisation's competence events after the cursor ``after``
    (from the beginning when None).

    Raises:
        BadRequest: ``after`` is not a cursor of this organisation's feed.
    """
    txid, seq = decode_cursor(organisation_id, after) if after else (0, 0)
    query = select(CompetenceEvent.payload, CompetenceEvent.txid, CompetenceEvent.seq).where(
        CompetenceEvent.organisation_id == organisation_id
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.where(
            tuple_(CompetenceEvent.txid, CompetenceEvent.seq) > tuple_(txid, seq),
            CompetenceEvent.txid < OLDEST_RUNNING,
        ).order_by(CompetenceEvent.txid, CompetenceEvent.seq)
    else:
        query = query.where(CompetenceEvent.seq > seq).order_by(CompetenceEvent.seq)
    rows = session.execute(query.limit(limit)).all()
    if not rows:
        return FeedPage([], after or encode_cursor(organisation_id, 0, 0))
    last = rows[-1]
    return FeedPage(
        [dict(row.payload) for row in rows],
        encode_cursor(organisation_id, last.txid or 0, last.seq),
    )
