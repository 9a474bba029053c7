"""Paths: organisation, team and individual paths with their targets, sub-goals and
triggers, and the supervisor's approval of an individual path.

Functions take plain data (:mod:`.data`); the API and the organisation-definition loader
both write through :func:`create_path`, :func:`update_path` and :func:`upsert_path`, so
they share every rule of :mod:`.checks`: references stay inside the organisation,
prerequisites stay inside the path and form no cycle, triggers name a connection and
activity exactly when their kind needs one. Invalid data is a 400 naming every offending
field; a clash with stored data is a 409. Functions flush and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from ..audit.services import record, target_of
from ..db import Outcome, flush_or_conflict, utcnow
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..people.models import Person
from ..people.services import supervises
from ..references import held
from .approvals import clean_comment, record_review
from .building import path_state, plan, set_sub_goals, target_rows, targets
from .checks import (
    Problems,
    check_achievement,
    check_owner,
    check_sub_goals,
    check_targets,
)
from .data import PATH_CHANGES, PathData, SubGoalData, TriggerData
from .models import Path, PathKind, ReviewAction, SubGoal, Trigger
from .progress import paths_of

__all__ = [
    "approve_individual_path",
    "create_path",
    "delete_path",
    "get_path",
    "get_sub_goal",
    "inherited_sub_goals",
    "paths_query",
    "request_approval",
    "triggered_sub_goals",
    "update_path",
    "upsert_path",
]


# -- reading ---------------------------------------------------------------------------


def get_path(session: Session, organisation_id: uuid.UUID, path_id: uuid.UUID | str) -> Path:
    """The path by id, or by its slug."""
    if isinstance(path_id, str):
        found = session.scalar(
            select(Path).where(Path.organisation_id == organisation_id, Path.slug == path_id)
        )
        if found is None:
            raise NotFound(f"no path {path_id!r}")
        return found
    path = session.get(Path, path_id)
    if path is None or path.organisation_id != organisation_id:
        raise NotFound(f"no path {path_id}")
    return path


def get_sub_goal(
    session: Session, organisation_id: uuid.UUID, sub_goal_id: uuid.UUID | str
) -> SubGoal:
    """The sub-goal by id, or as ``path-slug/sub-goal-slug``."""
    if isinstance(sub_goal_id, str):
        path_slug, _, slug = sub_goal_id.partition("/")
        found = session.scalar(
            select(SubGoal)
            .join(Path, Path.id == SubGoal.path_id)
            .where(
                Path.organisation_id == organisation_id,
                Path.slug == path_slug,
                SubGoal.slug == slug,
            )
        )
        if found is None:
            raise NotFound(f"no sub-goal {sub_goal_id!r} (give an id or path-slug/sub-goal-slug)")
        return found
    goal = session.get(SubGoal, sub_goal_id)
    if goal is None or goal.organisation_id != organisation_id:
        raise NotFound(f"no sub-goal {sub_goal_id}")
    return goal


def paths_query(
    organisation_id: uuid.UUID,
    *,
    kind: str | None = None,
    team_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> Select[Path]:
    """The organisation's paths by slug; ``team_id``/``person_id`` select team and
    individual paths of that team or person."""
    query = select(Path).where(Path.organisation_id == organisation_id)
    if kind is not None:
        query = query.where(Path.kind == kind)
    if team_id is not None:
        query = query.where(Path.team_id == team_id)
    if person_id is not None:
        query = query.where(Path.person_id == person_id)
    query = query.options(
        selectinload(Path.targets),
        selectinload(Path.sub_goals).selectinload(SubGoal.triggers),
        selectinload(Path.sub_goals).selectinload(SubGoal.prerequisites),
    )
    return query.order_by(Path.slug)


def triggered_sub_goals(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    connection: str,
    activity: str,
    kinds: Sequence[str],
) -> list[SubGoal]:
    """The sub-goals a completion of ``activity`` reported through ``connection`` completes
    (triggers of the given kinds), in one query."""
    return list(
        session.scalars(
            select(SubGoal)
            .join(Trigger, Trigger.sub_goal_id == SubGoal.id)
            .where(
                Trigger.organisation_id == organisation_id,
                Trigger.connection == connection,
                Trigger.activity == activity,
                Trigger.kind.in_(list(kinds)),
            )
        ).unique()
    )


def inherited_sub_goals(session: Session, path: Path) -> list[SubGoal]:
    """For an individual path: the required sub-goals of the organisation and team paths
    its person is on (what :func:`progress` adds to the path's own). Empty otherwise."""
    if path.kind != PathKind.INDIVIDUAL or path.person_id is None:
        return []
    person = session.get(Person, path.person_id)
    assert person is not None  # foreign key
    return [
        goal
        for other in paths_of(session, person)
        if other.kind != PathKind.INDIVIDUAL
        for goal in other.sub_goals
        if goal.required
    ]


# -- writing ---------------------------------------------------------------------------


def create_path(session: Session, organisation_id: uuid.UUID, data: PathData) -> Path:
    """A new path with its targets, sub-goals and triggers."""
    problems = Problems()
    check_owner(session, organisation_id, data, problems)
    check_achievement(session, organisation_id, data.achievement_id, problems)
    check_targets(session, organisation_id, data.kind, data.targets, ("targets",), problems)
    check_sub_goals(session, organisation_id, data.sub_goals, ("subGoals",), {}, problems)
    problems.raise_any()
    if session.scalar(
        select(Path.id).where(Path.organisation_id == organisation_id, Path.slug == data.slug)
    ):
        raise Conflict(f"a path with slug {data.slug!r} exists already")
    path = Path(
        organisation_id=organisation_id,
        slug=data.slug,
        kind=data.kind,
        name=data.name,
        description=data.description,
        texts={key: dict(value) for key, value in data.texts.items()},
        team_id=data.team_id,
        person_id=data.person_id,
        achievement_id=data.achievement_id,
        out_of_order=data.out_of_order,
    )
    path.targets = targets(data.targets)
    set_sub_goals(path, data.sub_goals, replace=True)
    session.add(path)
    flush_or_conflict(session, "the path")
    _audit(session, path, "path.created", {"kind": path.kind})
    return path


def _audit(session: Session, path: Path, action: str, details: Mapping[str, Any]) -> None:
    record(session, path.organisation_id, action, target_of("path", path.id, path.slug), details)


def update_path(
    session: Session, path: Path, changes: Mapping[str, Any], *, audit: bool = True
) -> Path:
    """Change the given fields (keys of :data:`PATH_CHANGES`). A changed plan of an approved
    individual path needs approving again."""
    unknown = set(changes) - PATH_CHANGES
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))} of a path")
    if "sub_goals" in changes and "add_sub_goals" in changes:
        raise BadRequest("give subGoals (replace all) or addSubGoals (append), not both")
    org = path.organisation_id
    problems = Problems()
    if "achievement_id" in changes:
        check_achievement(session, org, changes["achievement_id"], problems)
    if "targets" in changes:
        check_targets(session, org, path.kind, changes["targets"], ("targets",), problems)
    replace = "sub_goals" in changes
    goals: Sequence[SubGoalData] = changes.get("sub_goals", changes.get("add_sub_goals", ()))
    kept = {} if replace else {g.slug: [p.slug for p in g.prerequisites] for g in path.sub_goals}
    where = ("subGoals",) if replace else ("addSubGoals",)
    check_sub_goals(session, org, goals, where, kept, problems)
    problems.raise_any()
    if replace:
        _check_removable(session, path, {g.slug for g in goals})
    before = plan(path)
    for name in ("name", "description", "achievement_id", "out_of_order"):
        if name in changes:
            setattr(path, name, changes[name])
    if "texts" in changes:
        path.texts = {key: dict(value) for key, value in changes["texts"].items()}
    if "targets" in changes and target_rows(targets(changes["targets"])) != target_rows(
        path.targets
    ):
        path.targets = targets(changes["targets"])
    if goals or replace:
        set_sub_goals(path, goals, replace=replace)
    if path.approved_at is not None and plan(path) != before:
        path.approved_by_id, path.approved_at = None, None
    flush_or_conflict(session, "the path")
    if audit:
        _audit(session, path, "path.updated", {"fields": sorted(changes)})
    return path


def upsert_path(
    session: Session,
    organisation_id: uuid.UUID,
    data: PathData,
    *,
    approved_by_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> tuple[Path, Outcome]:
    """Create the path ``data.slug`` or bring it in line with ``data`` (for a loader that
    runs again and again; the same checks as the API). A sub-goal credentials were issued
    for stays even when ``data`` leaves it out. ``approved_by_id`` is the declared approval
    of an individual path, recorded ``at`` (now) when it first appears."""
    path = session.scalar(
        select(Path).where(Path.organisation_id == organisation_id, Path.slug == data.slug)
    )
    if path is None:
        path = create_path(session, organisation_id, data)
        outcome = Outcome.CREATED
    else:
        if (path.kind, path.team_id, path.person_id) != (data.kind, data.team_id, data.person_id):
            raise Conflict(f"path {data.slug!r} exists with another kind, team or person")
        before = path_state(path)
        changes = {
            "name": data.name,
            "description": data.description,
            "texts": data.texts,
            "achievement_id": data.achievement_id,
            "out_of_order": data.out_of_order,
            "targets": data.targets,
            "sub_goals": [*data.sub_goals, *_issued_left_out(session, path, data)],
        }
        update_path(session, path, changes, audit=False)
        outcome = Outcome.UNCHANGED if path_state(path) == before else Outcome.UPDATED
        if outcome == Outcome.UPDATED:
            _audit(session, path, "path.updated", {"fields": sorted(changes)})
    if path.approved_by_id != approved_by_id or (approved_by_id is None) != (
        path.approved_at is None
    ):
        path.approved_by_id = approved_by_id
        path.approved_at = None if approved_by_id is None else at or utcnow()
        outcome = outcome if outcome == Outcome.CREATED else Outcome.UPDATED
        flush_or_conflict(session, "the path")
    return path, outcome


def _issued_left_out(session: Session, path: Path, data: PathData) -> list[SubGoalData]:
    """The path's sub-goals missing from ``data`` that credentials were issued for, as data
    (their prerequisites kept as far as they stay in the path)."""
    declared = {g.slug for g in data.sub_goals}
    missing = {g.id: g for g in path.sub_goals if g.slug not in declared}
    if not missing:
        return []
    issued = set(held(session, SubGoal.id, missing))
    staying = declared | {missing[i].slug for i in issued}
    return [
        SubGoalData(
            slug=goal.slug,
            name=goal.name,
            achievement_id=goal.achievement_id,
            competence_id=goal.competence_id,
            level=goal.level,
            required=goal.required,
            position=goal.position,
            prerequisites=[p.slug for p in goal.prerequisites if p.slug in staying],
            triggers=[TriggerData(t.kind, t.connection, t.activity) for t in goal.triggers],
        )
        for goal in sorted((missing[i] for i in issued), key=lambda g: g.position)
    ]


def delete_path(session: Session, path: Path) -> None:
    """Delete a path nobody has a credential for (credentials must keep their path)."""
    goal_ids = [goal.id for goal in path.sub_goals]
    if held(session, Path.id, [path.id]) or held(session, SubGoal.id, goal_ids):
        raise Conflict(f"credentials were issued for path {path.slug!r}; it cannot be deleted")
    _audit(session, path, "path.deleted", {"kind": path.kind})
    session.delete(path)
    flush_or_conflict(session, "deleting the path")


def approve_individual_path(
    session: Session,
    path: Path,
    supervisor_id: uuid.UUID,
    *,
    at: datetime | None = None,
    comment: str | None = None,
) -> Path:
    """Record that ``supervisor_id``, a supervisor of one of the person's teams, approved
    the individual path (in its history too, with the optional ``comment``)."""
    text = clean_comment(comment)
    if path.kind != PathKind.INDIVIDUAL:
        raise Conflict(
            f"path {path.slug!r} is a {path.kind} path; only individual paths are approved"
        )
    if path.approved_at is not None:
        raise Conflict(
            f"path {path.slug!r} was approved already, at "
            f"{path.approved_at.isoformat()} by {path.approved_by_id}"
        )
    supervisor = session.get(Person, supervisor_id)
    if supervisor is None or supervisor.organisation_id != path.organisation_id:
        raise BadRequest(
            f"supervisor: no person {supervisor_id} in this organisation",
            errors={"supervisor": [f"no person {supervisor_id}"]},
        )
    person = session.get(Person, path.person_id)
    assert person is not None  # individual paths have a person
    if supervisor.id == person.id:
        raise Forbidden("a person cannot approve their own path")
    if not supervisor.active:
        raise Forbidden(f"{supervisor.display_name} is deactivated and cannot approve")
    if not supervises(session, supervisor, person):
        raise Forbidden(
            f"{supervisor.display_name} is not a supervisor of any team of {person.display_name}"
        )
    path.approved_by_id, path.approved_at = supervisor.id, at or utcnow()
    path.approval_requested_at = None
    record_review(session, path, supervisor.id, ReviewAction.APPROVED, text, at=path.approved_at)
    _audit(session, path, "path.approved", {"supervisor": str(supervisor.id)})
    session.flush()
    return path


def request_approval(session: Session, path: Path, person: Person) -> Path:
    """The person asks their supervisor to approve their individual path (as it is now)."""
    if path.kind != PathKind.INDIVIDUAL or path.person_id != person.id:
        raise Forbidden("only the person whose individual path it is asks for its approval")
    if path.approved_at is not None:
        raise Conflict(f"path {path.slug!r} is approved already; change it to ask again")
    if path.approval_requested_at is None:
        path.approval_requested_at = utcnow()
        record_review(session, path, person.id, ReviewAction.REQUESTED)
        session.flush()
    return path


def _check_removable(session: Session, path: Path, keep: set[str]) -> None:
    removed = {g.id: g.slug for g in path.sub_goals if g.slug not in keep}
    if not removed:
        return
    issued = held(session, SubGoal.id, removed)
    if issued:
        first = next(goal_id for goal_id in removed if goal_id in issued)
        raise Conflict(
            f"sub-goal {removed[first]!r} has credentials issued for it; keep it in subGoals"
        )
