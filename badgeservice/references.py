"""Rows other rows hold on to: a row is *held* when a row of another table refers to it
through a foreign key with no ``ON DELETE`` action, so the database would refuse to delete
it (a sub-goal credentials were issued for, an achievement version a credential cites).

Read from the database's own schema, not from the models imported in this process: a
floor asks whether its rows are held without knowing the floors above that hold them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Column, ColumnClause, Engine, column, inspect, select, table
from sqlalchemy.orm import InstrumentedAttribute, Session

__all__ = ["held", "held_values"]

# (referred table, referred column) -> [(referring table, referring column)], per engine
_Holders = dict[tuple[str, str], list[tuple[str, str]]]
_HOLDERS: WeakKeyDictionary[Engine, _Holders] = WeakKeyDictionary()
_COLUMNS: WeakKeyDictionary[Engine, dict[str, frozenset[str]]] = WeakKeyDictionary()

# What a foreign key does on delete when it holds the row it refers to.
_HOLDING = {"", "NO ACTION", "RESTRICT"}


def _holders(session: Session) -> _Holders:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    found = _HOLDERS.get(engine)
    if found is None:
        inspector = inspect(session.connection())
        found = defaultdict(list)
        for name in inspector.get_table_names():
            for key in inspector.get_foreign_keys(name):
                action = str((key.get("options") or {}).get("ondelete") or "").upper()
                if action in _HOLDING and len(key["constrained_columns"]) == 1:
                    referred = (key["referred_table"], key["referred_columns"][0])
                    found[referred].append((name, key["constrained_columns"][0]))
        _HOLDERS[engine] = found = dict(found)
    return found


def _columns(session: Session, table_name: str) -> frozenset[str]:
    """The columns of ``table_name``, read from the schema once per engine."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    known = _COLUMNS.setdefault(engine, {})
    if table_name not in known:
        columns = inspect(session.connection()).get_columns(table_name)
        known[table_name] = frozenset(info["name"] for info in columns)
    return known[table_name]


def held(
    session: Session,
    key: InstrumentedAttribute[uuid.UUID] | Column[uuid.UUID],
    ids: Collection[uuid.UUID],
) -> dict[uuid.UUID, str]:
    """Those of ``ids`` (values of the column ``key``) some row of another table holds,
    each with the name of one table holding it."""
    target = key.expression if isinstance(key, InstrumentedAttribute) else key
    assert isinstance(target, Column)
    assert target.table is not None
    wanted = list(ids)
    found: dict[uuid.UUID, str] = {}
    if not wanted:
        return found
    for holder, name in _holders(session).get((target.table.name, target.name), []):
        referring = column(name, target.type)
        query = select(referring).select_from(table(holder, referring))
        for value in session.scalars(query.where(referring.in_(wanted)).distinct()):
            if value is not None:
                found.setdefault(value, holder)
    return found


def held_values(
    session: Session,
    key: InstrumentedAttribute[uuid.UUID] | Column[uuid.UUID],
    ids: Collection[uuid.UUID],
    name: str,
) -> set[object]:
    """The distinct values of the column ``name`` in the rows holding any of ``ids``
    (holding tables without such a column are passed over): "in which languages were
    credentials of this version issued", asked without knowing the credentials' table."""
    target = key.expression if isinstance(key, InstrumentedAttribute) else key
    assert isinstance(target, Column)
    assert target.table is not None
    wanted = list(ids)
    found: set[object] = set()
    if not wanted:
        return found
    for holder, referring_name in _holders(session).get((target.table.name, target.name), []):
        if name not in _columns(session, holder):
            continue
        referring = column(referring_name, target.type)
        value: ColumnClause[Any] = column(name)
        query = select(value).select_from(table(holder, referring, value))
        found.update(session.scalars(query.where(referring.in_(wanted)).distinct()))
    return found
