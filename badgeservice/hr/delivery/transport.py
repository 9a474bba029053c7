"""Posting one message to an HR endpoint: the destination vetted by the egress policy at
every attempt, one overall deadline, and an answer reduced to its status line."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app, has_app_context

from ...egress import EgressPolicy, EgressRefused, open_connection

__all__ = ["HttpTransport", "Reply", "Transport", "TransportError", "default_transport"]


@dataclass(frozen=True)
class Reply:
    """The answer's status line (its body is never read: nothing of it is stored)."""

    status: int
    retry_after: float | None = None
    reason: str = ""


class TransportError(Exception):
    """No HTTP answer: refused, reset, timed out, DNS, TLS. The message names the cause."""


class Transport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Reply:
        """POST ``body``; the answer, or :class:`TransportError`. Redirects are answers."""
        ...


class HttpTransport:
    """The standard library's ``http.client``: one connection per message, no redirects
    followed (a 3xx is a failure, as Standard Webhooks asks), the destination vetted by the
    egress policy at every attempt, and one deadline for the whole exchange: a watchdog
    shuts the socket when it passes, whatever the receiver is trickling."""

    def __init__(self, egress: EgressPolicy | None = None) -> None:
        self.egress = egress or EgressPolicy()

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Reply:
        deadline = time.monotonic() + timeout
        parts = urlsplit(url)
        https = parts.scheme.lower() == "https"
        try:
            addresses = self.egress.resolve(
                parts.hostname or "", parts.port or (443 if https else 80), timeout
            )
        except EgressRefused as exc:
            raise TransportError(str(exc)) from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransportError(f"no answer within {timeout:g} s")
        connection = open_connection(url, addresses, remaining)
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(remaining, cut)
        watchdog.daemon = True
        watchdog.start()
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", target, body=body, headers=dict(headers))
            response = connection.getresponse()
            reason = "".join(ch for ch in (response.reason or "")[:80] if ch.isprintable())
            return Reply(response.status, _seconds(response.getheader("Retry-After")), reason)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if expired.is_set() or isinstance(exc, TimeoutError):
                raise TransportError(f"no complete answer within {timeout:g} s") from None
            raise TransportError(_describe(exc)) from None
        finally:
            watchdog.cancel()
            connection.close()


def _describe(exc: BaseException) -> str:
    """The kind of a connection failure, without anything the other side sent."""
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the connection closed without an answer"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection reset"
    if isinstance(exc, http.client.HTTPException):
        return f"malformed answer ({type(exc).__name__})"
    if isinstance(exc, OSError) and "CERTIFICATE" in str(exc).upper():
        return "TLS certificate not accepted"
    return f"{type(exc).__name__}"


def _seconds(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def default_transport() -> HttpTransport:
    """The HTTP transport with the application's egress policy (public addresses only
    outside an application context)."""
    config = current_app.config if has_app_context() else {}
    return HttpTransport(EgressPolicy.from_config(config))
