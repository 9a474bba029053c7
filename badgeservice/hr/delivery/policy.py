"""When to try a delivery again: the retry schedule with full jitter, Retry-After as a
lower bound, the maximum age, the per-delivery deadline and the circuit breaker's pause."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_SCHEDULE", "MAX_PAUSE", "RetryPolicy", "positive_int"]

DEFAULT_SCHEDULE = "5,30,120,600,3600,21600"
# The longest a circuit breaker stays open (its pause doubles up to this).
MAX_PAUSE = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds to wait after the 1st, 2nd, … failure (the last repeats), the maximum age
    of a failing delivery, the overall deadline of one delivery, and the circuit breaker:
    after ``breaker_threshold`` failures in a row an endpoint pauses ``breaker_pause``
    seconds (doubling per further failure, at most :data:`MAX_PAUSE`)."""

    schedule: tuple[float, ...]
    max_age: float
    timeout: float
    breaker_threshold: int = 5
    breaker_pause: float = 60.0

    def pause(self, failures: int) -> float | None:
        """How long an endpoint with ``failures`` in a row pauses (None: not at all)."""
        if failures < self.breaker_threshold:
            return None
        return float(
            min(self.breaker_pause * 2 ** min(failures - self.breaker_threshold, 20), MAX_PAUSE)
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetryPolicy:
        """From ``HR_RETRY_SCHEDULE`` ("5,30,120"), ``HR_DELIVERY_MAX_AGE`` and
        ``HR_DELIVERY_TIMEOUT`` (seconds); ValueError naming the setting that is unusable."""
        raw = config.get("HR_RETRY_SCHEDULE") or DEFAULT_SCHEDULE
        items = raw if isinstance(raw, list | tuple) else str(raw).replace(" ", "").split(",")
        try:
            schedule = tuple(float(item) for item in items)
        except ValueError:
            raise ValueError(
                f"BADGESERVICE_HR_RETRY_SCHEDULE: {raw!r} is not a comma-separated list of seconds"
            ) from None
        if not schedule or any(not 0 <= step < 10**7 for step in schedule):
            raise ValueError("BADGESERVICE_HR_RETRY_SCHEDULE: give 1 or more seconds, each >= 0")
        numbers = {}
        for key in ("HR_DELIVERY_MAX_AGE", "HR_DELIVERY_TIMEOUT", "HR_BREAKER_PAUSE"):
            try:
                numbers[key] = float(config.get(key, 60.0))
            except (TypeError, ValueError):
                raise ValueError(f"BADGESERVICE_{key}: not a number of seconds") from None
            if not 0 < numbers[key] < 10**7:
                raise ValueError(f"BADGESERVICE_{key}: must be more than 0 seconds")
        threshold = positive_int(config, "HR_BREAKER_THRESHOLD", 5)
        return cls(
            schedule,
            numbers["HR_DELIVERY_MAX_AGE"],
            numbers["HR_DELIVERY_TIMEOUT"],
            threshold,
            numbers["HR_BREAKER_PAUSE"],
        )

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        """Full jitter: uniform in [0, schedule step]; a receiver's ``Retry-After`` is a
        lower bound (capped at the schedule's longest step)."""
        step = self.schedule[min(max(failures, 1), len(self.schedule)) - 1]
        wait = rng.uniform(0, step)
        if retry_after is not None:
            wait = max(wait, min(retry_after, max(self.schedule)))
        return wait


def positive_int(config: Mapping[str, Any], key: str, default: int) -> int:
    """A whole number of at least 1 from ``config``; ValueError naming the setting."""
    try:
        value = int(config.get(key, default))
    except (TypeError, ValueError):
        raise ValueError(f"BADGESERVICE_{key}: not a whole number") from None
    if not 1 <= value <= 10_000:
        raise ValueError(f"BADGESERVICE_{key}: give a number from 1 to 10000")
    return value
