"""Page sessions: started at sign-in, ended by signing out, by idling past the timeout
or at their maximum age. The browser's (signed) cookie only names the session."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..people.models import Person
from .models import WebSession

__all__ = [
    "EMAIL_LINK",
    "SessionState",
    "end_session",
    "end_sessions",
    "resume_session",
    "start_session",
]

# The sign-in method of a session started by a link mailed to the person's own e-mail:
# it reaches their badges only, also after they have left (see web/session.py).
EMAIL_LINK = "email-link"

# last_seen_at is written at most this often: a page view is a read, not a write.
TOUCH_EVERY = timedelta(seconds=60)


class SessionState:
    """Why :func:`resume_session` found no live session."""

    MISSING = "missing"
    IDLE = "idle"
    EXPIRED = "expired"
    ENDED = "ended"


def start_session(session: Session, person: Person, method: str) -> WebSession:
    now = utcnow()
    row = WebSession(
        id=uuid.uuid4(),
        organisation_id=person.organisation_id,
        person_id=person.id,
        method=method,
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return row


def resume_session(
    session: Session,
    session_id: uuid.UUID,
    *,
    idle_timeout: int,
    max_age: int,
    now: datetime | None = None,
) -> tuple[WebSession | None, str]:
    """The live session ``session_id`` (its last-seen time moved on), or ``None`` and why
    not. A session found idle or too old is ended here."""
    now = now or utcnow()
    row = session.get(WebSession, session_id)
    if row is None:
        return None, SessionState.MISSING
    if row.ended_at is not None:
        return None, SessionState.ENDED
    for state, limit, since in (
        (SessionState.IDLE, idle_timeout, row.last_seen_at),
        (SessionState.EXPIRED, max_age, row.created_at),
    ):
        if now - since > timedelta(seconds=limit):
            row.ended_at = now
            session.flush()
            return None, state
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return row, "live"


def end_session(session: Session, session_id: uuid.UUID) -> None:
    row = session.get(WebSession, session_id)
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.flush()


def end_sessions(session: Session, person_id: uuid.UUID, method: str) -> None:
    """End the person's live sessions signed in by ``method``."""
    session.execute(
        update(WebSession)
        .where(
            WebSession.person_id == person_id,
            WebSession.method == method,
            WebSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
