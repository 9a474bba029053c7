"""Bring a path, its targets, sub-goals and triggers in line with a declaration.

Used by the organisation-definition loader: upsert by slug, change only what differs (a
second run with the same files changes nothing), and never delete a sub-goal that
credentials were issued for.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..issuing.models import Credential
from .models import Path, PathTarget, SubGoal, Trigger

__all__ = ["PathSpec", "SubGoalSpec", "TargetSpec", "sync_path"]


@dataclass(frozen=True)
class TargetSpec:
    competence_id: uuid.UUID
    level: int
    share: float
    due: date
    team_id: uuid.UUID | None


@dataclass(frozen=True)
class SubGoalSpec:
    slug: str
    name: str
    achievement_id: uuid.UUID
    competence_id: uuid.UUID | None
    level: int | None
    position: int
    required: bool
    prerequisites: Sequence[str]
    triggers: Sequence[tuple[str, str | None, str | None]]  # (kind, connection, activity)


@dataclass(frozen=True)
class PathSpec:
    slug: str
    kind: str
    name: str
    description: str | None
    team_id: uuid.UUID | None
    person_id: uuid.UUID | None
    achievement_id: uuid.UUID | None
    approved_by_id: uuid.UUID | None
    targets: Sequence[TargetSpec]
    sub_goals: Sequence[SubGoalSpec]
    out_of_order: str = "accept"


def _assign(obj: object, **values: object) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def sync_path(
    session: Session, organisation_id: uuid.UUID, spec: PathSpec, now: datetime
) -> tuple[Path, str]:
    """Upsert the path; returns it and ``created``, ``updated`` or ``unchanged``."""
    path = session.scalar(
        select(Path).where(Path.organisation_id == organisation_id, Path.slug == spec.slug)
    )
    created = path is None
    if path is None:
        path = Path(organisation_id=organisation_id, slug=spec.slug, kind=spec.kind, name=spec.name)
        session.add(path)
    changed = _assign(
        path,
        kind=spec.kind,
        name=spec.name,
        description=spec.description,
        team_id=spec.team_id,
        person_id=spec.person_id,
        achievement_id=spec.achievement_id,
        approved_by_id=spec.approved_by_id,
        out_of_order=spec.out_of_order,
    )
    if spec.approved_by_id is None:
        changed |= _assign(path, approved_at=None)
    elif path.approved_at is None:
        path.approved_at = now
        changed = True
    session.flush()

    wanted_targets = [
        (t.competence_id, t.level, float(t.share), t.due, t.team_id) for t in spec.targets
    ]
    have_targets = [
        (t.competence_id, t.level, float(t.share), t.due, t.team_id) for t in path.targets
    ]
    if wanted_targets != have_targets:
        path.targets.clear()
        session.flush()
        for position, target in enumerate(spec.targets):
            path.targets.append(
                PathTarget(
                    competence_id=target.competence_id,
                    level=target.level,
                    share=target.share,
                    due=target.due,
                    team_id=target.team_id,
                    position=position,
                )
            )
        changed = True

    goals = {g.slug: g for g in path.sub_goals}
    for goal_spec in spec.sub_goals:
        goal = goals.get(goal_spec.slug)
        if goal is None:
            goal = SubGoal(
                organisation_id=organisation_id,
                slug=goal_spec.slug,
                name=goal_spec.name,
                achievement_id=goal_spec.achievement_id,
            )
            path.sub_goals.append(goal)
            goals[goal_spec.slug] = goal
            changed = True
        changed |= _assign(
            goal,
            name=goal_spec.name,
            achievement_id=goal_spec.achievement_id,
            competence_id=goal_spec.competence_id,
            level=goal_spec.level,
            position=goal_spec.position,
            required=goal_spec.required,
        )
        wanted = set(goal_spec.triggers)
        have = {(t.kind, t.connection, t.activity): t for t in goal.triggers}
        for key, trigger in have.items():
            if key not in wanted:
                goal.triggers.remove(trigger)
                changed = True
        for kind, connection, activity in sorted(wanted - set(have), key=str):
            goal.triggers.append(
                Trigger(
                    organisation_id=organisation_id,
                    kind=kind,
                    connection=connection,
                    activity=activity,
                )
            )
            changed = True
    session.flush()
    declared = {g.slug for g in spec.sub_goals}
    for slug, goal in list(goals.items()):
        if slug not in declared and not _has_credentials(session, goal):
            path.sub_goals.remove(goal)
            del goals[slug]
            changed = True
    for goal_spec in spec.sub_goals:
        goal = goals[goal_spec.slug]
        wanted_ids = sorted(str(goals[p].id) for p in goal_spec.prerequisites)
        if sorted(str(p.id) for p in goal.prerequisites) != wanted_ids:
            goal.prerequisites = [goals[p] for p in goal_spec.prerequisites]
            changed = True
    session.flush()
    return path, "created" if created else ("updated" if changed else "unchanged")


def _has_credentials(session: Session, goal: SubGoal) -> bool:
    return bool(session.scalar(select(exists().where(Credential.sub_goal_id == goal.id))))
