"""Adapters: how one competence event becomes one HTTP request for one kind of HR endpoint.

The delivery machinery (claiming, ordering, retries, dead letters, the attempt log) is the
same for every adapter; an adapter only decides the request and which answers count as
accepted. The generic Standard Webhooks-signed POST of the vendor-neutral event is the one
built here. A vendor adapter (Workday's ``externalSkillLevel``, a SuccessFactors or Oracle
skills API) would render the same event into that vendor's call, using a per-endpoint mapping
from framework items to the vendor's skill ids; see the HR section of the README.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ... import __version__
from ...webhooks import sign

__all__ = ["ADAPTERS", "Adapter", "Request", "SignedWebhook", "adapter_for"]

USER_AGENT = f"badgeservice/{__version__} (competence events; +https://www.standardwebhooks.com)"


@dataclass(frozen=True)
class Request:
    """What to send: the adapter's whole say in a delivery."""

    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class Adapter(Protocol):
    kind: str

    def render(
        self,
        *,
        url: str,
        secret: str,
        message_id: str,
        payload: Mapping[str, Any],
        timestamp: int,
    ) -> Request:
        """The request delivering ``payload`` (the event) to the endpoint at ``url``."""
        ...

    def accepted(self, status: int) -> bool:
        """Whether an HTTP status means the receiver has the message."""
        ...


class SignedWebhook:
    """The vendor-neutral event as compact UTF-8 JSON, signed with Standard Webhooks
    headers (``webhook-id`` is the event id, the same on every retry, for deduplication)."""

    kind = "webhook"

    def render(
        self,
        *,
        url: str,
        secret: str,
        message_id: str,
        payload: Mapping[str, Any],
        timestamp: int,
    ) -> Request:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, body),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        return Request(url, body, headers)

    def accepted(self, status: int) -> bool:
        return 200 <= status < 300  # a redirect is not followed, so it is a failure


ADAPTERS: dict[str, Adapter] = {SignedWebhook.kind: SignedWebhook()}


def adapter_for(kind: str) -> Adapter:
    """The adapter of an endpoint's ``adapter`` column; ``ValueError`` for an unknown kind."""
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise ValueError(f"no HR adapter {kind!r}; known: {', '.join(sorted(ADAPTERS))}") from None
