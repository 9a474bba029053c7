"""Recording to the audit trail and reading it back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from ..db import utcnow
from .context import Actor, current_actor, current_source
from .models import AuditEvent

__all__ = ["AuditFilter", "allow_rewriting", "audit_query", "record", "target_of"]


def allow_rewriting(session: Session) -> None:
    """Let this transaction change or delete audit entries: the retention purge and a
    person's erasure are the only callers. On PostgreSQL the append-only trigger refuses
    UPDATE and DELETE of ``audit_events`` unless this flag is set; it ends with the
    transaction (``SET LOCAL``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL badgeservice.purge = on"))


def target_of(kind: str, id_: object, name: str | None = None) -> str:
    """The target of an entry: ``"<kind> <id>"``, with a readable name in brackets."""
    text = f"{kind} {id_}" + (f" ({name})" if name else "")
    return text[:300]


def record(
    session: Session,
    organisation_id: uuid.UUID,
    action: str,
    target: str,
    details: Mapping[str, Any] | None = None,
    *,
    actor: Actor | str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one entry to the organisation's audit trail, in the caller's transaction (never a
    token or secret in ``details``). Who and from where come from the context (the
    request, the command line, the worker); ``actor`` names someone else, a plain name
    keeping the context's kind and id."""
    who = current_actor()
    if isinstance(actor, Actor):
        who = actor
    elif actor is not None:
        who = Actor(who.kind, actor, who.id)
    source = current_source()
    event = AuditEvent(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        at=at or utcnow(),
        actor=who.name[:300],
        actor_kind=who.kind,
        actor_id=who.id,
        action=action[:50],
        target=target[:300],
        details=dict(details or {}),
        channel=source.channel,
        ip=source.ip,
        user_agent=source.user_agent,
    )
    session.add(event)
    return event


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class AuditFilter:
    """What to show: ``actor`` and ``target`` match a part of the name or id (any case),
    ``action`` is a prefix (``credential.`` for every credential change), ``since`` and
    ``until`` bound ``at`` (from inclusive, to exclusive)."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> AuditFilter:
        return cls(
            actor=values.get("actor") or None,
            action=values.get("action") or None,
            target=values.get("target") or None,
            since=values.get("since"),
            until=values.get("until"),
        )

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.actor:
            pattern = _like(self.actor.lower())
            query = query.where(
                AuditEvent.actor.ilike(pattern, escape="\\")
                | AuditEvent.actor_id.ilike(pattern, escape="\\")
            )
        if self.action:
            prefix = _like(self.action)[1:]
            query = query.where(AuditEvent.action.like(prefix, escape="\\"))
        if self.target:
            query = query.where(AuditEvent.target.ilike(_like(self.target), escape="\\"))
        if self.since is not None:
            query = query.where(AuditEvent.at >= self.since)
        if self.until is not None:
            query = query.where(AuditEvent.at < self.until)
        return query


def audit_query(organisation_id: uuid.UUID, where: AuditFilter | None = None) -> Select[AuditEvent]:
    """The organisation's audit trail, newest first, as ``where`` narrows it."""
    query = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    query = (where or AuditFilter()).apply(query)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id)
