"""Checks every channel applies the same way, as the specifications say: an instant in a sane
range, and an xAPI-style score (``scaled`` in [-1, 1], ``raw`` between ``min`` and ``max``)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

__all__ = ["EARLIEST", "LATEST", "instant_problem", "score_problem"]

# A completion happened between these (UTC); outside them it is a typo or a probe, and the
# far ends do not even survive a time-zone conversion (9999-12-31T23:59:59-14:00).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def instant_problem(value: datetime) -> str | None:
    """Why ``value`` is not a usable moment (naive counts as UTC), or None."""
    try:
        moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        return "is out of range"
    if not EARLIEST <= moment < LATEST:
        return f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def score_problem(score: Any) -> str | None:
    """Why ``score`` is not an xAPI score object (scaled, raw, min, max), or None."""
    if not isinstance(score, dict):
        return "must be an object"
    for key, value in score.items():
        if key not in ("scaled", "raw", "min", "max"):
            return f"has an unknown member {key!r} (scaled, raw, min, max)"
        if not _number(value):
            return f"{key} must be a number"
    if "scaled" in score and not -1 <= score["scaled"] <= 1:
        return "scaled must lie between -1 and 1"
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    if low is not None and high is not None and not low < high:
        return "min must be less than max"
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        return "raw must lie between min and max"
    return None
