"""The write client's HTTP: which Host URLs the service may send to, one request through
the egress policy, and a Host's error answer in words."""

from __future__ import annotations

import contextlib
import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..egress import EgressPolicy, EgressRefused, is_loopback_name, open_connection

__all__ = ["Answer", "PushError", "check_url", "failure", "send"]

# Answers larger than this are not read: no Host document comes near it.
_MAX_ANSWER = 4 * 1024 * 1024


class PushError(Exception):
    """A step failed; the message says which and why, in words fit for the learner or the
    operator (the Host's own description included, never a secret)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    """A Host's answer, its body read whole (up to a limit)."""

    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def check_url(egress: EgressPolicy, url: str) -> str:
    """``url`` without a trailing slash if the service may send to it: HTTPS (plain
    HTTP only to a loopback address the operator allowed), no credentials or fragment
    in it, a host the egress policy does not refuse. PushError saying why otherwise."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise PushError(f"{text[:200]!r} is not a URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PushError(f"{text[:200]!r} is not an https:// URL")
    if parts.username or parts.password or parts.fragment:
        raise PushError("the Host's URL may not carry a user name, password or #fragment")
    if parts.scheme == "http" and not (
        is_loopback_name(parts.hostname) and egress.check_url(text) is None
    ):
        raise PushError("the Host's URL must use https://")
    refusal = egress.check_url(text)
    if refusal is not None:
        raise PushError(f"refused: {refusal}")
    return text.rstrip("/")


def send(
    egress: EgressPolicy,
    timeout: float,
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request, no redirects followed, to the address the egress policy vetted."""
    check_url(egress, url)
    parts = urlsplit(url)
    https = parts.scheme == "https"
    try:
        addresses = egress.resolve(
            parts.hostname or "", parts.port or (443 if https else 80), timeout
        )
    except EgressRefused as exc:
        raise PushError(str(exc)) from None
    connection = open_connection(url, addresses, timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read(_MAX_ANSWER + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise PushError(f"{parts.hostname}: no answer ({type(exc).__name__})") from None
    finally:
        with contextlib.suppress(OSError):
            connection.close()
    if len(data) > _MAX_ANSWER:
        raise PushError(f"{parts.hostname}: the answer is too large")
    return Answer(response.status, response.getheader("Content-Type") or "", data)


def failure(step: str, answer: Answer) -> str:
    """What went wrong, as the Host said it: an ``Imsx_StatusInfo`` (its minor code and
    description), an OAuth error (RFC 6749 §5.2), or else just the status."""
    body = answer.json()
    said = ""
    if isinstance(body, dict):
        if "imsx_codeMajor" in body:
            minor = ""
            with contextlib.suppress(KeyError, TypeError, IndexError):
                fields = body["imsx_codeMinor"]["imsx_codeMinorField"]
                minor = str(fields[0]["imsx_codeMinorFieldValue"])
            description = str(body.get("imsx_description") or "").strip()
            said = ": ".join(part for part in (minor, description) if part)
        elif "error" in body:
            said = str(body["error"])
            if body.get("error_description"):
                said += f": {body['error_description']}"
    said = "".join(ch for ch in said[:300] if ch.isprintable())
    return f"{step}: the Host answered {answer.status}" + (f" ({said})" if said else "")
