"""Standard Webhooks signatures (HMAC-SHA256, ``v1``): inbound events are verified with
them, deliveries to HR systems are signed with them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

from .errors import Unauthorized

__all__ = ["TOLERANCE_SECONDS", "sign", "verify"]

TOLERANCE_SECONDS = 5 * 60


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise Unauthorized("the connection's signing secret is unusable") from None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for a message (for clients and tests)."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(
    secret: str,
    message_id: str | None,
    timestamp: str | None,
    signatures: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise :class:`Unauthorized` naming what is wrong; return when one ``v1`` matches."""
    if not message_id or not timestamp or not signatures:
        raise Unauthorized(
            "signed events need the webhook-id, webhook-timestamp and webhook-signature headers"
        )
    # Digits only, and few enough that the arithmetic below stays in range (a 400-digit
    # number once overflowed the float subtraction).
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Unauthorized("webhook-timestamp is not an integer of Unix seconds")
    sent = int(timestamp)
    current = int(time.time() if now is None else now)
    if abs(current - sent) > TOLERANCE_SECONDS:
        raise Unauthorized(
            f"webhook-timestamp is {current - sent} s away from now; at most "
            f"{TOLERANCE_SECONDS} s are accepted (a stale or replayed message)"
        )
    expected = sign(secret, message_id, sent, body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise Unauthorized("webhook-signature does not match the body with this connection's secret")
