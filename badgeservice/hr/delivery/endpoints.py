"""HR endpoints (where an organisation's competence events are pushed) and, for
operators, their delivery log and manual redelivery.

Each endpoint has its own Standard Webhooks secret (``whsec_`` + base64 of 32 random
bytes). It is stored wrapped by the key store (like an API client's signing secret) and
handed out once, in the answer that creates or rotates it. Operators with the service's
configuration can print it again with ``badgeservice hr endpoints secret``.

An endpoint is never deleted: removing it deactivates it, so its delivery history stays, and
its pending deliveries are dead-lettered with the reason (redeliverable once it is active
again). Events published while it is inactive are not queued for it; the pull feed has them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...audit.services import record, target_of
from ...auth import new_secret
from ...db import utcnow
from ...egress import EgressPolicy
from ...errors import BadRequest, Conflict, NotFound
from ...keystore import KeyStore
from ..models import CompetenceEvent, Delivery, DeliveryAttempt, DeliveryState, HrEndpoint

__all__ = [
    "DeliveryRecord",
    "IssuedSecret",
    "check_url",
    "create_endpoint",
    "dead_deliveries",
    "dead_letter_pending",
    "declare_endpoint",
    "endpoint_by_name",
    "endpoint_secret",
    "get_delivery",
    "get_endpoint",
    "list_deliveries",
    "list_endpoints",
    "redeliver",
    "rotate_secret",
    "update_endpoint",
]

MAX_URL = 2000


@dataclass(frozen=True)
class IssuedSecret:
    """An endpoint with its new secret, shown once."""

    endpoint: HrEndpoint
    secret: str


def _egress() -> EgressPolicy:
    return EgressPolicy.from_config(current_app.config if has_app_context() else {})


def check_url(url: str, egress: EgressPolicy | None = None) -> str:
    """An absolute http(s) URL without credentials or fragment, whose host is not an
    internal address or name (unless the operator's allow-list names it; the addresses a
    name resolves to are checked again at every delivery); 400 saying what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise BadRequest("url: give the endpoint's http:// or https:// URL")
    if len(url) > MAX_URL:
        raise BadRequest(f"url: longer than {MAX_URL} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise BadRequest("url: must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadRequest(f"url: not a usable URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadRequest("url: must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise BadRequest(
            "url: must not carry credentials (user:password@); receivers check the "
            "webhook-signature header instead"
        )
    if not parts.hostname:
        raise BadRequest("url: names no host")
    if port == 0:
        raise BadRequest("url: port 0 is not a usable port")
    if parts.fragment or url.endswith("#"):
        raise BadRequest("url: must not have a #fragment (it is never sent)")
    refusal = (egress or _egress()).check_url(url)
    if refusal is not None:
        raise BadRequest(
            f"url: {refusal}; the service sends only to public addresses unless an operator "
            "allows more (BADGESERVICE_OUTBOUND_ALLOW)"
        )
    return url


def _wrap(keystore: KeyStore, endpoint: HrEndpoint, secret: str) -> bytes:
    return keystore.wrap(secret.encode("utf-8"), key_id=f"hr-endpoint:{endpoint.id}")


def endpoint_secret(endpoint: HrEndpoint, keystore: KeyStore) -> str:
    """The endpoint's current signing secret (for the worker and operators, never a log)."""
    return keystore.unwrap(endpoint.secret_ciphertext, key_id=f"hr-endpoint:{endpoint.id}").decode(
        "utf-8"
    )


def endpoint_by_name(session: Session, organisation_id: uuid.UUID, name: str) -> HrEndpoint:
    endpoint = session.scalar(
        select(HrEndpoint).where(
            HrEndpoint.organisation_id == organisation_id, HrEndpoint.name == name
        )
    )
    if endpoint is None:
        raise NotFound(f"no HR endpoint named {name!r}")
    return endpoint


def get_endpoint(
    session: Session, organisation_id: uuid.UUID, endpoint_id: uuid.UUID
) -> HrEndpoint:
    """The organisation's endpoint; another organisation's is "not found"."""
    endpoint = session.get(HrEndpoint, endpoint_id)
    if endpoint is None or endpoint.organisation_id != organisation_id:
        raise NotFound(f"no HR endpoint {endpoint_id}")
    return endpoint


def list_endpoints(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    active: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[HrEndpoint]:
    stmt = select(HrEndpoint).where(HrEndpoint.organisation_id == organisation_id)
    if active is not None:
        stmt = stmt.where(HrEndpoint.active.is_(active))
    stmt = stmt.order_by(HrEndpoint.name, HrEndpoint.id).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def create_endpoint(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    url: str,
    keystore: KeyStore,
    name: str | None = None,
    description: str | None = None,
) -> IssuedSecret:
    """A new active endpoint with a fresh secret; 409 when the name is taken."""
    url = check_url(url)
    endpoint_id = uuid.uuid4()
    name = name or f"hr-{endpoint_id.hex[:8]}"
    taken = session.scalar(
        select(HrEndpoint.id).where(
            HrEndpoint.organisation_id == organisation_id, HrEndpoint.name == name
        )
    )
    if taken is not None:
        raise Conflict(
            f"an HR endpoint named {name!r} exists (perhaps deactivated: "
            "PATCH it with active true to use it again)"
        )
    endpoint = HrEndpoint(
        id=endpoint_id,
        organisation_id=organisation_id,
        name=name,
        url=url,
        description=description,
        active=True,
    )
    secret = new_secret()
    endpoint.secret_ciphertext = _wrap(keystore, endpoint, secret)
    session.add(endpoint)
    session.flush()
    _audit(session, endpoint, "endpoint.created", {"url": url})
    return IssuedSecret(endpoint, secret)


def _audit(session: Session, endpoint: HrEndpoint, action: str, details: Mapping[str, Any]) -> None:
    target = target_of("endpoint", endpoint.id, endpoint.name)
    record(session, endpoint.organisation_id, action, target, details)


def rotate_secret(session: Session, endpoint: HrEndpoint, keystore: KeyStore) -> IssuedSecret:
    """Replace the secret at once. Messages already sent keep their old signature; a
    message the receiver rejects while it switches is retried and signed anew."""
    secret = new_secret()
    endpoint.secret_ciphertext = _wrap(keystore, endpoint, secret)
    session.flush()
    _audit(session, endpoint, "endpoint.secret_rotated", {})
    return IssuedSecret(endpoint, secret)


def update_endpoint(
    session: Session, endpoint: HrEndpoint, changes: Mapping[str, Any]
) -> HrEndpoint:
    """Change ``url``, ``description`` or ``active``; deactivating dead-letters the
    endpoint's pending deliveries (so none is silently dropped)."""
    if "url" in changes:
        endpoint.url = check_url(changes["url"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "active" in changes and bool(changes["active"]) != endpoint.active:
        endpoint.active = bool(changes["active"])
        if not endpoint.active:
            dead_letter_pending(session, endpoint.id, "the endpoint was deactivated")
    session.flush()
    _audit(session, endpoint, "endpoint.updated", {key: changes[key] for key in sorted(changes)})
    return endpoint


def dead_letter_pending(session: Session, endpoint_id: uuid.UUID, reason: str) -> int:
    """Move the endpoint's pending deliveries to ``dead`` with ``reason``."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.DEAD, last_error=reason, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def declare_endpoint(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    name: str,
    url: str,
    description: str | None,
    keystore: KeyStore,
) -> str:
    """Create or update an endpoint declared in an organisation's files; returns
    ``created``, ``updated`` or ``unchanged``. Its active flag is left to operators."""
    url = check_url(url)
    endpoint = session.scalar(
        select(HrEndpoint).where(
            HrEndpoint.organisation_id == organisation_id, HrEndpoint.name == name
        )
    )
    if endpoint is None:
        create_endpoint(
            session,
            organisation_id,
            url=url,
            name=name,
            description=description,
            keystore=keystore,
        )
        return "created"
    if (endpoint.url, endpoint.description) == (url, description):
        return "unchanged"
    endpoint.url, endpoint.description = url, description
    session.flush()
    _audit(session, endpoint, "endpoint.updated", {"url": url, "description": description})
    return "updated"


# -- the delivery log, for operators ----------------------------------------------------


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivery with its event's type (and, for one delivery, its attempts)."""

    delivery: Delivery
    event_type: str
    attempts: list[DeliveryAttempt] | None = None


def list_deliveries(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    state: str | None = None,
    endpoint_id: uuid.UUID | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[DeliveryRecord]:
    """The organisation's deliveries, newest event first."""
    stmt = (
        select(Delivery, CompetenceEvent.type)
        .join(CompetenceEvent, CompetenceEvent.id == Delivery.event_id)
        .where(Delivery.organisation_id == organisation_id)
    )
    if state is not None:
        stmt = stmt.where(Delivery.state == state)
    if endpoint_id is not None:
        stmt = stmt.where(Delivery.endpoint_id == endpoint_id)
    stmt = stmt.order_by(Delivery.event_seq.desc(), Delivery.id).limit(limit).offset(offset)
    return [DeliveryRecord(delivery, type_) for delivery, type_ in session.execute(stmt).all()]


def get_delivery(
    session: Session, organisation_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryRecord:
    """One delivery with its attempts, oldest first; another organisation's is not found."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.organisation_id != organisation_id:
        raise NotFound(f"no delivery {delivery_id}")
    event = session.scalar(select(CompetenceEvent).where(CompetenceEvent.id == delivery.event_id))
    assert event is not None
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery.id)
        .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
    ).all()
    return DeliveryRecord(delivery, event.type, list(attempts))


def dead_deliveries(session: Session, organisation_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(Delivery.id)
            .where(
                Delivery.organisation_id == organisation_id, Delivery.state == DeliveryState.DEAD
            )
            .order_by(Delivery.event_seq)
        )
    )


def redeliver(
    session: Session, organisation_id: uuid.UUID, delivery_ids: Sequence[uuid.UUID]
) -> list[Delivery]:
    """Queue the deliveries again, due now, oldest event first; their attempts stay in the
    log and their maximum age counts from now. A dead, delivered or pending delivery can be
    redelivered; 409 when its endpoint is inactive or an earlier delivery for the same
    person and endpoint is dead and not redelivered with it (the order would break)."""
    wanted = set(delivery_ids)
    rows = session.scalars(
        select(Delivery)
        .where(Delivery.id.in_(wanted), Delivery.organisation_id == organisation_id)
        .order_by(Delivery.event_seq, Delivery.endpoint_id)
        .with_for_update()
    ).all()
    missing = wanted - {row.id for row in rows}
    if missing:
        raise NotFound(f"no delivery {', '.join(sorted(str(m) for m in missing))}")
    now = utcnow()
    for delivery in rows:
        endpoint = session.get(HrEndpoint, delivery.endpoint_id)
        assert endpoint is not None
        if not endpoint.active:
            raise Conflict(
                f"delivery {delivery.id}: the endpoint {endpoint.name!r} is inactive; "
                "activate it first"
            )
        blocking = session.scalar(
            select(Delivery.id)
            .where(
                Delivery.endpoint_id == delivery.endpoint_id,
                Delivery.person_id == delivery.person_id,
                Delivery.event_seq < delivery.event_seq,
                Delivery.state == DeliveryState.DEAD,
                Delivery.id.not_in(wanted),
            )
            .order_by(Delivery.event_seq)
            .limit(1)
        )
        if blocking is not None:
            raise Conflict(
                f"delivery {delivery.id}: the earlier delivery {blocking} for the same person "
                "is dead; redeliver it too (or all dead ones) so the order holds"
            )
        delivery.state = DeliveryState.PENDING
        delivery.next_attempt_at = now
        delivery.queued_at = now
        delivery.delivered_at = None
    session.flush()
    for delivery in rows:
        record(
            session,
            organisation_id,
            "delivery.redelivered",
            target_of("delivery", delivery.id),
            {"endpoint": str(delivery.endpoint_id), "event": str(delivery.event_id)},
        )
    return list(rows)
