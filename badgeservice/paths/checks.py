"""The rules a path's data must follow, checked before anything is written.

Every check adds field errors (named as the API names the fields) to a :class:`Problems`,
so one 400 names everything that is wrong at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..achievements.models import Achievement
from ..errors import BadRequest
from ..frameworks.models import Competence, Framework
from ..graphs import find_cycles
from ..people.models import Person, Team
from .data import PathData, SubGoalData, TargetData, TriggerData
from .models import PATH_KINDS, TRIGGER_KINDS, PathKind

__all__ = [
    "LEVELS",
    "MAX_SUB_GOALS",
    "Problems",
    "check_achievement",
    "check_owner",
    "check_sub_goals",
    "check_targets",
    "check_trigger",
]

MAX_SUB_GOALS = 200
LEVELS = range(1, 9)
_CONNECTED = ("lms", "xapi")

Where = tuple[str | int, ...]


class Problems:
    """Field errors collected while checking, raised together as one 400."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}
        self.lines: list[str] = []

    def add(self, where: Where, message: str) -> None:
        node = self.errors
        for key in where[:-1]:
            node = node.setdefault(str(key), {})
        node.setdefault(str(where[-1]), []).append(message)
        self.lines.append(f"{'.'.join(map(str, where))}: {message}")

    def raise_any(self) -> None:
        if self.lines:
            raise BadRequest("; ".join(self.lines), errors=self.errors)


def _ids_in(
    session: Session,
    column: Any,
    org_column: Any,
    org: uuid.UUID,
    ids: Iterable[uuid.UUID | None],
    *joins: Any,
) -> set[uuid.UUID]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    query = select(column)
    for target in joins:
        query = query.join(target)
    return set(session.scalars(query.where(org_column == org, column.in_(wanted))))


def _achievements(session: Session, org: uuid.UUID, ids: Iterable[uuid.UUID | None]) -> set[Any]:
    return _ids_in(session, Achievement.id, Achievement.organisation_id, org, ids)


def check_owner(session: Session, org: uuid.UUID, data: PathData, problems: Problems) -> None:
    if data.kind not in PATH_KINDS:
        problems.add(("kind",), f"must be one of {', '.join(PATH_KINDS)}")
        return
    if data.kind == PathKind.TEAM:
        if data.team_id is None:
            problems.add(("team",), "a team path needs a team")
        elif not _ids_in(session, Team.id, Team.organisation_id, org, [data.team_id]):
            problems.add(("team",), f"no team {data.team_id} in this organisation")
    elif data.team_id is not None:
        problems.add(("team",), "only team paths name a team")
    if data.kind == PathKind.INDIVIDUAL:
        person = session.get(Person, data.person_id) if data.person_id else None
        if data.person_id is None:
            problems.add(("person",), "an individual path needs a person")
        elif person is None or person.organisation_id != org:
            problems.add(("person",), f"no person {data.person_id} in this organisation")
        elif not person.active:
            problems.add(("person",), f"person {data.person_id} is deactivated")
    elif data.person_id is not None:
        problems.add(("person",), "only individual paths name a person")


def check_achievement(
    session: Session, org: uuid.UUID, achievement_id: uuid.UUID | None, problems: Problems
) -> None:
    if achievement_id is not None and not _achievements(session, org, [achievement_id]):
        problems.add(("achievement",), f"no achievement {achievement_id} in this organisation")


def check_targets(
    session: Session,
    org: uuid.UUID,
    kind: str,
    targets: Sequence[TargetData],
    where: Where,
    problems: Problems,
) -> None:
    if targets and kind == PathKind.INDIVIDUAL:
        problems.add(where, "targets belong to organisation and team paths, not individual ones")
        return
    competences = _ids_in(
        session,
        Competence.id,
        Framework.organisation_id,
        org,
        (t.competence_id for t in targets),
        Framework,
    )
    teams = _ids_in(session, Team.id, Team.organisation_id, org, (t.team_id for t in targets))
    for index, target in enumerate(targets):
        at = (*where, index)
        if target.competence_id not in competences:
            problems.add(
                (*at, "competence"), f"no competence {target.competence_id} in this organisation"
            )
        if target.level not in LEVELS:
            problems.add((*at, "level"), "must be a level from 1 to 8")
        if not 0 < target.share <= 1:
            problems.add((*at, "share"), "must be above 0 and at most 1 (0.8 means 80 %)")
        if target.team_id is not None and target.team_id not in teams:
            problems.add((*at, "team"), f"no team {target.team_id} in this organisation")


def check_sub_goals(
    session: Session,
    org: uuid.UUID,
    goals: Sequence[SubGoalData],
    where: Where,
    kept: Mapping[str, Sequence[str]],
    problems: Problems,
) -> None:
    """``kept``: slug → prerequisite slugs of the sub-goals that stay beside ``goals``."""
    if len(kept) + len(goals) > MAX_SUB_GOALS:
        problems.add(
            where,
            f"a path has at most {MAX_SUB_GOALS} sub-goals, this would make "
            f"{len(kept) + len(goals)}",
        )
    achievements = _achievements(session, org, (g.achievement_id for g in goals))
    competences = _ids_in(
        session,
        Competence.id,
        Framework.organisation_id,
        org,
        (g.competence_id for g in goals),
        Framework,
    )
    graph: dict[str, Sequence[str]] = dict(kept)
    for index, goal in enumerate(goals):
        at = (*where, index)
        if goal.slug in graph:
            problems.add((*at, "slug"), f"sub-goal slug {goal.slug!r} is used twice in the path")
        graph[goal.slug] = goal.prerequisites
        if goal.achievement_id not in achievements:
            problems.add(
                (*at, "achievement"), f"no achievement {goal.achievement_id} in this organisation"
            )
        if goal.competence_id is not None and goal.competence_id not in competences:
            problems.add(
                (*at, "competence"), f"no competence {goal.competence_id} in this organisation"
            )
        if goal.level is not None and goal.level not in LEVELS:
            problems.add((*at, "level"), "must be a level from 1 to 8")
        for number, trigger in enumerate(goal.triggers):
            check_trigger(trigger, (*at, "triggers", number), problems)
    for index, goal in enumerate(goals):
        for slug in goal.prerequisites:
            if slug == goal.slug:
                problems.add(
                    (*where, index, "prerequisites"), "a sub-goal cannot be its own prerequisite"
                )
            elif slug not in graph:
                problems.add(
                    (*where, index, "prerequisites"), f"{slug!r} is not a sub-goal of this path"
                )
    # Self-loops were reported above; one cycle is enough to point at.
    cycles = find_cycles({slug: [p for p in after if p != slug] for slug, after in graph.items()})
    if cycles:
        problems.add(where, f"prerequisites form a cycle: {' → '.join(cycles[0])}")


def check_trigger(trigger: TriggerData, at: Where, problems: Problems) -> None:
    if trigger.kind not in TRIGGER_KINDS:
        problems.add((*at, "kind"), f"must be one of {', '.join(TRIGGER_KINDS)}")
        return
    for name in ("connection", "activity"):
        given = getattr(trigger, name) is not None
        if trigger.kind in _CONNECTED and not given:
            what = "a connection" if name == "connection" else "an activity"
            problems.add((*at, name), f"{trigger.kind} triggers need {what}")
        elif trigger.kind not in _CONNECTED and given:
            problems.add(
                (*at, name),
                f"{trigger.kind} triggers have no {name}: only lms and xapi triggers "
                "name a connection and an activity",
            )
