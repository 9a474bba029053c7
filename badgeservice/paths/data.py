"""The plain data the path services take: what the API and the organisation-definition loader
hand over, checked by :mod:`.checks` before anything is written."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from .models import OutOfOrder

__all__ = ["PATH_CHANGES", "PathData", "SubGoalData", "TargetData", "TriggerData"]


@dataclass(frozen=True)
class TriggerData:
    """``lms``/``xapi``: a connection name and an activity id; ``manual``/``evidence``:
    neither."""

    kind: str
    connection: str | None = None
    activity: str | None = None


@dataclass(frozen=True)
class SubGoalData:
    """A sub-goal; ``prerequisites`` are slugs of sub-goals of the same path and
    ``position`` defaults to the order given."""

    slug: str
    name: str
    achievement_id: uuid.UUID
    competence_id: uuid.UUID | None = None
    level: int | None = None
    required: bool = True
    position: int | None = None
    prerequisites: Sequence[str] = ()
    triggers: Sequence[TriggerData] = ()
    # The name's translations, {"name": {language: text}}.
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetData:
    """``share`` (0 < share ≤ 1) of the people (of ``team_id``, or all) reach ``level``."""

    competence_id: uuid.UUID
    level: int
    share: float
    due: date
    team_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PathData:
    """A path: ``team_id`` for a team path, ``person_id`` for an individual one."""

    slug: str
    kind: str
    name: str
    description: str | None = None
    team_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    achievement_id: uuid.UUID | None = None
    targets: Sequence[TargetData] = ()
    sub_goals: Sequence[SubGoalData] = ()
    out_of_order: str = OutOfOrder.ACCEPT
    # The name's and description's translations, {field: {language: text}}.
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


# Keys of update_path's changes: sub_goals replaces all sub-goals (matched by slug, so
# kept ones keep their ids), add_sub_goals appends.
PATH_CHANGES = frozenset(
    {
        "name",
        "description",
        "texts",
        "achievement_id",
        "targets",
        "sub_goals",
        "add_sub_goals",
        "out_of_order",
    }
)
