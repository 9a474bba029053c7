"""Configuration: defaults, then ``BADGESERVICE_*`` environment variables, then overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DEFAULTS", "load_config"]

PREFIX = "BADGESERVICE_"

DEFAULTS: dict[str, Any] = {
    # The embedded default: a SQLite file under instance/, so one command runs everything.
    "DATABASE_URL": f"sqlite:///{Path('instance').resolve() / 'badgeservice.sqlite3'}",
    "PUBLIC_URL": "http://localhost:5000",
    "SECRET_KEY": None,
    # base64url of 32 bytes, or "id1:key1,id2:key2" (first is current) for KEK rotation.
    "KEY_ENCRYPTION_KEY": None,
    "INSTANCE_PATH": "instance",
    # Inbound events are processed in the request ("request") or by `badgeservice worker`
    # ("worker"); either way they are stored before the answer.
    "PROCESSING": "request",
    # Request bodies larger than this are refused with 413 before they are read.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # HR delivery: seconds to wait after the 1st, 2nd, ... failure (the last step repeats;
    # each wait is drawn uniformly from 0 to the step), the age after which a failing
    # delivery is dead-lettered (3 days), and the deadline of one delivery (resolve,
    # connect, send, read the answer's status line: all of it).
    "HR_RETRY_SCHEDULE": "5,30,120,600,3600,21600",
    "HR_DELIVERY_MAX_AGE": 3 * 24 * 3600,
    "HR_DELIVERY_TIMEOUT": 15,
    # Deliveries run in this many threads beside the event processing, at most this many
    # at once to one endpoint (per worker process); an endpoint failing this many times in a
    # row pauses (its circuit breaker opens) for the pause, doubling per further failure.
    "HR_DELIVERY_THREADS": 4,
    "HR_ENDPOINT_CONCURRENCY": 2,
    "HR_BREAKER_THRESHOLD": 5,
    "HR_BREAKER_PAUSE": 60,
    # Outbound requests (HR endpoints) go to public addresses only; an operator can allow
    # hosts or networks here, comma-separated ("127.0.0.1/32,::1", "hr.intranet.example").
    "OUTBOUND_ALLOW": "",
    # POST /api/v1/verify (public, no token): requests per client address and process.
    "VERIFY_RATE_LIMIT": "60/minute",
}

_INTEGERS = frozenset({"MAX_CONTENT_LENGTH"})


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The effective configuration (keys without the ``BADGESERVICE_`` prefix)."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        value = environ.get(PREFIX + key)
        if value is not None and value != "":
            config[key] = int(value) if key in _INTEGERS else value
    config.update(overrides or {})
    config["PUBLIC_URL"] = str(config["PUBLIC_URL"]).rstrip("/")
    return config
