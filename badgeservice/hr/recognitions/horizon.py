"""The competence-event horizon: the one position type the pull feed, the stored trend
points and the stored holder counts use to know which events they have seen.

PostgreSQL hands out ``seq`` at insert time but makes rows visible at commit, so "every
event up to seq N" is not a safe position: a transaction that took a smaller seq may commit
later. Every event also records its writing transaction id (``txid``); a transaction still
running has an id at or above ``pg_snapshot_xmin`` of a snapshot taken now, so "events
whose transaction is older than that" is a set that can no longer grow. SQLite has one
writer at a time: there ``seq`` order is commit order and ``txid`` is NULL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnClause, ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from ..models import CompetenceEvent

__all__ = ["OLDEST_RUNNING", "Horizon"]

# The oldest transaction still running on the PostgreSQL server, in the statement's snapshot.
OLDEST_RUNNING: ColumnClause[int] = literal_column(
    "pg_snapshot_xmin(pg_current_snapshot())::text::bigint", BigInteger()
)


@dataclass(frozen=True)
class Horizon:
    """Every event before this position has been seen: on PostgreSQL the events of
    transactions older than ``txid``, on SQLite those up to ``seq``. Both None: nothing
    seen yet (a store not started)."""

    txid: int | None = None
    seq: int | None = None

    @classmethod
    def now(cls, session: Session, organisation_id: uuid.UUID) -> Horizon:
        """The horizon a check starting now may move to: PostgreSQL the oldest running
        transaction, SQLite the organisation's newest event."""
        if session.get_bind().dialect.name == "postgresql":
            return cls(txid=int(session.scalar(select(OLDEST_RUNNING)) or 0))
        newest = session.scalar(
            select(func.max(CompetenceEvent.seq)).where(
                CompetenceEvent.organisation_id == organisation_id
            )
        )
        return cls(seq=int(newest or 0))

    @property
    def started(self) -> bool:
        return self.txid is not None or self.seq is not None

    def unseen(self) -> ColumnElement[bool]:
        """The events not yet seen (at or after the horizon): a condition on
        :class:`CompetenceEvent`. Only for a started horizon."""
        if self.txid is not None:
            return CompetenceEvent.txid >= self.txid
        if self.seq is not None:
            return CompetenceEvent.seq > self.seq
        raise ValueError("a horizon not started has seen nothing: every event is unseen")
