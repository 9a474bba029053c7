"""Configuration: defaults, then ``BADGESERVICE_*`` environment variables, then overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DEFAULTS", "ConfigurationError", "load_config"]

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
    # Pages: a signed-in session ends after this many seconds without a request, and in any
    # case this many seconds after signing in.
    "SESSION_IDLE_TIMEOUT": 30 * 60,
    "SESSION_MAX_AGE": 12 * 3600,
    # The language of pages when neither the person nor the browser names fi, sv or en, and
    # the time zone dates and times are shown in.
    "DEFAULT_LANGUAGE": "en",
    "TIMEZONE": "Europe/Helsinki",
    # "Continue as" an example person without an identity provider: only the embedded demo
    # (`badgeservice demo`) may turn it on; any other configuration refuses to start with it.
    "DEV_SIGN_IN": False,
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
    # Notices by e-mail: the SMTP server (smtp://user:pass@host:25, smtp+starttls://…:587,
    # smtps://…:465) and the sender; without a server, notices wait in the outbox.
    "SMTP_URL": "",
    "MAIL_FROM": "badges@localhost",
    # The Open Badges API's service description names the deployment's terms of service
    # and privacy policy (empty: the service's front page, until they are set).
    "TERMS_URL": "",
    "PRIVACY_URL": "",
    # Open registration of Open Badges API clients, and the unprotected service
    # description: requests per client address and process.
    "OBAPI_REGISTRATION_RATE_LIMIT": "30/hour",
    "OBAPI_DISCOVERY_RATE_LIMIT": "300/minute",
    # The bearer token Prometheus sends to /metrics (the whole service's figures, so no
    # organisation's API client reads them); empty: /metrics answers 403.
    "METRICS_TOKEN": "",
}

_INTEGERS = frozenset({"MAX_CONTENT_LENGTH", "SESSION_IDLE_TIMEOUT", "SESSION_MAX_AGE"})
_BOOLEANS = frozenset({"DEV_SIGN_IN"})
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


class ConfigurationError(ValueError):
    """A setting the service cannot start with; the message names the setting."""


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The effective configuration (keys without the ``BADGESERVICE_`` prefix)."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for key in DEFAULTS:
        value = environ.get(PREFIX + key)
        if value is not None and value != "":
            config[key] = _parse(key, value)
    config.update(overrides or {})
    config["PUBLIC_URL"] = str(config["PUBLIC_URL"]).rstrip("/")
    return config


def _parse(key: str, value: str) -> Any:
    if key in _INTEGERS:
        try:
            return int(value)
        except ValueError:
            raise ConfigurationError(f"{PREFIX}{key}: not a whole number: {value!r}") from None
    if key in _BOOLEANS:
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ConfigurationError(f"{PREFIX}{key}: give 1 or 0 (true or false), not {value!r}")
    return value
