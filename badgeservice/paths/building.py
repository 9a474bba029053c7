"""Turning checked path data into rows: targets, sub-goals with their triggers and
prerequisites, kept by slug so that what stays keeps its id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .data import SubGoalData, TargetData, TriggerData
from .models import Path, PathTarget, SubGoal, Trigger

__all__ = ["path_state", "plan", "set_sub_goals", "set_triggers", "target_rows", "targets"]


def targets(targets: Sequence[TargetData]) -> list[PathTarget]:
    return [
        PathTarget(
            competence_id=t.competence_id,
            level=t.level,
            share=t.share,
            due=t.due,
            team_id=t.team_id,
            position=index,
        )
        for index, t in enumerate(targets, start=1)
    ]


def target_rows(targets: Sequence[PathTarget]) -> list[tuple[Any, ...]]:
    return [(t.competence_id, t.level, float(t.share), t.due, t.team_id) for t in targets]


def set_sub_goals(path: Path, goals: Sequence[SubGoalData], *, replace: bool) -> None:
    """Replace (by slug: kept sub-goals keep their ids) or append, then link
    prerequisites. The data was checked."""
    existing = {goal.slug: goal for goal in path.sub_goals}
    start = 0 if replace else max((g.position for g in path.sub_goals), default=0)
    result = [] if replace else list(path.sub_goals)
    for index, data in enumerate(goals, start=start + 1):
        goal = existing.get(data.slug) if replace else None
        if goal is None:
            goal = SubGoal(organisation_id=path.organisation_id, slug=data.slug)
        goal.name, goal.achievement_id = data.name, data.achievement_id
        goal.texts = {key: dict(value) for key, value in data.texts.items()}
        goal.competence_id, goal.level, goal.required = (
            data.competence_id,
            data.level,
            data.required,
        )
        goal.position = data.position if data.position is not None else index
        set_triggers(goal, data.triggers)
        result.append(goal)
    path.sub_goals = result
    by_slug = {goal.slug: goal for goal in result}
    for data in goals:
        by_slug[data.slug].prerequisites = [by_slug[s] for s in dict.fromkeys(data.prerequisites)]


def set_triggers(goal: SubGoal, triggers: Sequence[TriggerData]) -> None:
    """Make the goal's triggers ``triggers``, keeping the rows that stay."""
    wanted = [(t.kind, t.connection, t.activity) for t in triggers]
    goal.triggers = [t for t in goal.triggers if (t.kind, t.connection, t.activity) in wanted]
    have = {(t.kind, t.connection, t.activity) for t in goal.triggers}
    for kind, connection, activity in dict.fromkeys(wanted):
        if (kind, connection, activity) not in have:
            goal.triggers.append(
                Trigger(
                    organisation_id=goal.organisation_id,
                    kind=kind,
                    connection=connection,
                    activity=activity,
                )
            )


def plan(path: Path) -> list[tuple[Any, ...]]:
    """What a supervisor approves: the sub-goals with what completes them."""
    return sorted(
        (
            g.slug,
            g.achievement_id,
            g.required,
            g.competence_id,
            g.level,
            sorted(p.slug for p in g.prerequisites),
            sorted((t.kind, t.connection or "", t.activity or "") for t in g.triggers),
        )
        for g in path.sub_goals
    )


def path_state(path: Path) -> tuple[Any, ...]:
    """Everything an upsert may change, to tell ``updated`` from ``unchanged``."""
    return (
        path.name,
        path.description,
        path.texts,
        path.achievement_id,
        path.out_of_order,
        target_rows(path.targets),
        plan(path),
        sorted((g.slug, g.name, g.position, repr(g.texts)) for g in path.sub_goals),
    )
