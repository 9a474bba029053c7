"""Per-client rate limits for public, unauthenticated endpoints (``limits`` library).

Counts are kept in the process (a moving window per client address), so with several
server processes a client gets the limit once per process; the limit is a brake on abuse
of work anyone can trigger (a verification costs milliseconds of CPU), not an accounting
quota. Behind a reverse proxy the client address is the proxy's unless the deployment
passes the real one through (e.g. werkzeug's ProxyFix).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request
from limits import RateLimitItem, parse, storage, strategies

from .errors import AppError

__all__ = ["TooManyRequests", "rate_limited"]

F = TypeVar("F", bound=Callable[..., Any])


class TooManyRequests(AppError):
    status, type_, title = 429, "too-many-requests", "Too many requests"


class _Limiter:
    def __init__(self) -> None:
        self.strategy = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self.items: dict[str, RateLimitItem] = {}

    def item(self, spec: str) -> RateLimitItem:
        found = self.items.get(spec)
        if found is None:
            found = self.items[spec] = parse(spec)
        return found


def _limiter() -> _Limiter:
    limiter: _Limiter | None = current_app.extensions.get("badgeservice.ratelimit")
    if limiter is None:
        limiter = current_app.extensions.setdefault("badgeservice.ratelimit", _Limiter())
    return limiter


def rate_limited(name: str, config_key: str) -> Callable[[F], F]:
    """Refuse with 429 (and ``Retry-After``) past the limit in ``config[config_key]``,
    e.g. ``"30/minute"``, counted per client address."""

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            limiter = _limiter()
            item = limiter.item(str(current_app.config[config_key]))
            client = request.remote_addr or "unknown"
            if not limiter.strategy.hit(item, name, client):
                reset = limiter.strategy.get_window_stats(item, name, client).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise TooManyRequests(
                    f"more than {item} from {client}; try again in {wait} s",
                    retry_after=wait,
                )
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
