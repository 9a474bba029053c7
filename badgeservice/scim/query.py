"""SCIM filters as SQL conditions, and the paging of list requests.

Each resource module says which attribute paths it can filter on (:class:`Column`); an
attribute it does not name is an ``invalidFilter`` error, as is a value of the wrong type.
Comparisons are null-safe (a missing value never matches, and ``not (...)`` of a
non-match is a match), and strings of case-insensitive attributes are compared lower-cased.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from ..api import MAX_OFFSET
from .errors import invalid_filter, invalid_value
from .filters import And, AttrPath, Compare, Filter, Not, Or, Present, ValuePath
from .schema import MAX_RESULTS

__all__ = ["Column", "Paging", "paging", "to_sql"]


@dataclass(frozen=True)
class Column:
    """A filterable attribute: its SQL expression and how values compare.

    ``kind`` is ``ci`` (case-insensitive text), ``exact`` (case-exact text), ``bool``,
    ``uuid`` or ``datetime``; ``wrap`` turns a condition on ``expr`` into one on the
    resource (an ``EXISTS`` over members, for example)."""

    expr: Any
    kind: str
    wrap: Callable[[ColumnElement[bool]], ColumnElement[bool]] | None = None


Resolver = Callable[[AttrPath], Column]


def to_sql(node: Filter, resolve: Resolver) -> ColumnElement[bool]:
    """The SQL condition of a filter; ``resolve`` maps attribute paths to columns."""
    if isinstance(node, And):
        return and_(to_sql(node.left, resolve), to_sql(node.right, resolve))
    if isinstance(node, Or):
        return or_(to_sql(node.left, resolve), to_sql(node.right, resolve))
    if isinstance(node, Not):
        return not_(to_sql(node.inner, resolve))
    if isinstance(node, ValuePath):
        outer = node.path

        def inner(path: AttrPath) -> Column:
            if path.sub is not None or path.urn is not None:
                raise invalid_filter(f"{path} cannot be used inside {outer.attr}[...]")
            return resolve(AttrPath(outer.urn, outer.attr, path.attr))

        return to_sql(node.filter, inner)
    column = resolve(node.path)
    if isinstance(node, Present):
        condition = column.expr.is_not(None)
        if column.kind in ("ci", "exact"):
            condition = and_(condition, column.expr != "")
    else:
        condition = _compare(column, node)
    return column.wrap(condition) if column.wrap else condition


def _compare(column: Column, node: Compare) -> ColumnElement[bool]:
    op, value, expr = node.op, node.value, column.expr
    if value is None:
        if op == "eq":
            return expr.is_(None)  # type: ignore[no-any-return]
        if op == "ne":
            return expr.is_not(None)  # type: ignore[no-any-return]
        raise invalid_filter(f"{node.path} {op} null: only eq and ne compare with null")
    kind = column.kind
    if kind in ("ci", "exact"):
        if not isinstance(value, str):
            raise invalid_filter(f"{node.path} is text: compare it with a quoted string")
        if kind == "ci":
            expr, value = func.lower(expr), value.lower()
        condition = _text(expr, op, value)
    elif kind == "bool":
        if not isinstance(value, bool) or op not in ("eq", "ne"):
            raise invalid_filter(f"{node.path} is true or false: use eq or ne with a boolean")
        condition = expr == value if op == "eq" else expr != value
    elif kind == "uuid":
        if op not in ("eq", "ne") or not isinstance(value, str):
            raise invalid_filter(f"{node.path} is an id: use eq or ne with a quoted string")
        try:
            wanted = uuid.UUID(value)
        except ValueError:
            return false() if op == "eq" else column.expr.is_not(None)
        condition = expr == wanted if op == "eq" else expr != wanted
    else:  # datetime
        if not isinstance(value, str) or op in ("co", "sw", "ew"):
            raise invalid_filter(f"{node.path} is a date-time: compare with an ISO 8601 string")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise invalid_filter(f"{value!r} is not an ISO 8601 date-time") from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        condition = _ordered(expr, op, moment)
    return and_(column.expr.is_not(None), condition)


def _text(expr: Any, op: str, value: str) -> ColumnElement[bool]:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if op == "co":
        return expr.like(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]
    if op == "sw":
        return expr.like(f"{escaped}%", escape="\\")  # type: ignore[no-any-return]
    if op == "ew":
        return expr.like(f"%{escaped}", escape="\\")  # type: ignore[no-any-return]
    return _ordered(expr, op, value)


def _ordered(expr: Any, op: str, value: Any) -> ColumnElement[bool]:
    conditions: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: expr == value,
        "ne": lambda: expr != value,
        "gt": lambda: expr > value,
        "ge": lambda: expr >= value,
        "lt": lambda: expr < value,
        "le": lambda: expr <= value,
    }
    return conditions[op]()


@dataclass(frozen=True)
class Paging:
    """``startIndex`` (1-based) and ``count`` of a list request, already clamped."""

    start_index: int
    count: int

    @property
    def offset(self) -> int:
        return self.start_index - 1


def read_page(
    session: Session, query: Select[Any], *order: Any, page: Paging
) -> tuple[int, list[Any]]:
    """The total of ``query``'s rows and the page of them in ``order``."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if page.count == 0:
        return total, []
    return total, list(
        session.scalars(query.order_by(*order).offset(page.offset).limit(page.count))
    )


def paging(start_index: str | None, count: str | None) -> Paging:
    """RFC 7644 §3.4.2.4: a ``startIndex`` below 1 means 1, a negative ``count`` means 0,
    and a ``count`` above the maximum gives the maximum."""
    start = _integer(start_index, "startIndex", 1)
    size = _integer(count, "count", MAX_RESULTS)
    return Paging(min(max(start, 1), MAX_OFFSET), min(max(size, 0), MAX_RESULTS))


def _integer(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    text = value.strip()
    if not text.lstrip("+-").isdigit() or len(text) > 18:
        raise invalid_value(f"{name} must be an integer")
    return int(text)


# Re-exported for the resource modules, which build constant conditions.
__all__ += ["false", "true"]
