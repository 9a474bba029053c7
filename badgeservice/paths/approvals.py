"""The approval of individual paths as a history: the person asks, a supervisor of one of
their teams approves or returns the path with a comment. Every step is a
:class:`~.models.PathReview` row; :mod:`.services` records the asking and the approving,
this module returning, reading the history and the queue of paths waiting for approval."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import BadRequest, Conflict, Forbidden
from ..people.models import Person
from ..people.services import supervises
from .models import Path, PathKind, PathReview, ReviewAction

__all__ = [
    "MAX_COMMENT",
    "ReviewEntry",
    "path_history",
    "record_review",
    "return_individual_path",
    "waiting_for_approval",
]

MAX_COMMENT = 2000


@dataclass(frozen=True)
class ReviewEntry:
    """One step of a path's approval, with who took it (``None`` once they are gone)."""

    action: str
    at: datetime
    actor: str | None
    comment: str | None


def clean_comment(comment: str | None, *, required: bool = False) -> str | None:
    """The comment stripped; empty is ``None``. 400 when too long, or missing but required."""
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise BadRequest(
            f"comment: at most {MAX_COMMENT} characters",
            errors={"comment": [f"at most {MAX_COMMENT} characters"]},
        )
    if text is None and required:
        raise BadRequest("comment: say why", errors={"comment": ["required"]})
    return text


def record_review(
    session: Session,
    path: Path,
    actor_id: uuid.UUID | None,
    action: ReviewAction,
    comment: str | None = None,
    *,
    at: datetime | None = None,
) -> PathReview:
    """Add a step to ``path``'s approval history."""
    row = PathReview(
        organisation_id=path.organisation_id,
        path_id=path.id,
        actor_id=actor_id,
        action=action.value,
        comment=comment,
        created_at=at or utcnow(),
    )
    session.add(row)
    return row


def return_individual_path(
    session: Session, path: Path, supervisor: Person, comment: str | None
) -> Path:
    """``supervisor`` sends the individual path back to its person unapproved, saying why
    (the comment is required); the person changes it and asks again."""
    text = clean_comment(comment, required=True)
    if path.kind != PathKind.INDIVIDUAL:
        raise Conflict(
            f"path {path.slug!r} is a {path.kind} path; only individual paths are returned"
        )
    person = session.get(Person, path.person_id)
    assert person is not None  # individual paths have a person
    if supervisor.id == person.id or not supervises(session, supervisor, person):
        raise Forbidden(f"{supervisor.display_name} is not a supervisor of {person.display_name}")
    if path.approved_at is None and path.approval_requested_at is None:
        raise Conflict(f"path {path.slug!r} is not waiting for approval")
    path.approved_by_id, path.approved_at = None, None
    path.approval_requested_at = None
    record_review(session, path, supervisor.id, ReviewAction.RETURNED, text)
    session.flush()
    return path


def path_history(session: Session, path: Path) -> list[ReviewEntry]:
    """The path's approval steps, oldest first."""
    rows = session.execute(
        select(PathReview, Person)
        .outerjoin(Person, Person.id == PathReview.actor_id)
        .where(PathReview.path_id == path.id)
        .order_by(PathReview.created_at, PathReview.id)
    ).all()
    return [
        ReviewEntry(
            action=review.action,
            at=review.created_at,
            actor=actor.display_name if actor is not None else None,
            comment=review.comment,
        )
        for review, actor in rows
    ]


def waiting_for_approval(
    session: Session, organisation_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> list[Path]:
    """The individual paths of ``person_ids`` whose person asked for approval, oldest
    request first."""
    if not person_ids:
        return []
    return list(
        session.scalars(
            select(Path)
            .where(
                Path.organisation_id == organisation_id,
                Path.kind == PathKind.INDIVIDUAL,
                Path.person_id.in_(list(person_ids)),
                Path.approval_requested_at.is_not(None),
                Path.approved_at.is_(None),
            )
            .order_by(Path.approval_requested_at, Path.id)
        )
    )
