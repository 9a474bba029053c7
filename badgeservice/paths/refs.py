"""Natural keys in path bodies: an achievement or team by slug, a person by employee number
or e-mail, a competence as ``framework-slug:code``, turned into ids before the path
services check them. A key that names nothing is a 400 naming the field, like an unknown
id."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..achievements.models import Achievement
from ..frameworks.models import Competence, Framework
from ..languages import reconcile
from ..organisations.models import Organisation
from ..people.models import Person, Team
from .checks import Problems, Where
from .data import PathData, SubGoalData, TargetData
from .models import Path

__all__ = ["resolve_changes", "resolve_path_data", "resolve_person"]

T = TypeVar("T")
NIL = uuid.UUID(int=0)


class _Resolver:
    def __init__(self, session: Session, organisation_id: uuid.UUID) -> None:
        self.session = session
        self.organisation_id = organisation_id
        self.problems = Problems()
        self.default = (
            session.scalar(
                select(Organisation.default_language).where(Organisation.id == organisation_id)
            )
            or "en"
        )

    def texts(
        self, plain: dict[str, Any], texts: Any, given: Any
    ) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
        """Plain texts and translations agreeing on the default language (see
        :func:`languages.reconcile`)."""
        return reconcile(plain, texts or {}, self.default, given)

    def _one(self, query: Any, ref: str, what: str, where: Where) -> uuid.UUID | None:
        found = self.session.scalar(query)
        if found is None:
            self.problems.add(where, f"no {what} {ref!r} in this organisation")
        return found  # type: ignore[no-any-return]

    def achievement(self, ref: uuid.UUID | str | None, where: Where) -> uuid.UUID | None:
        if not isinstance(ref, str):
            return ref
        query = select(Achievement.id).where(
            Achievement.organisation_id == self.organisation_id, Achievement.slug == ref
        )
        return self._one(query, ref, "achievement", where)

    def team(self, ref: uuid.UUID | str | None, where: Where) -> uuid.UUID | None:
        if not isinstance(ref, str):
            return ref
        query = select(Team.id).where(
            Team.organisation_id == self.organisation_id, Team.slug == ref
        )
        return self._one(query, ref, "team", where)

    def person(self, ref: uuid.UUID | str | None, where: Where) -> uuid.UUID | None:
        if not isinstance(ref, str):
            return ref
        query = select(Person.id).where(Person.organisation_id == self.organisation_id)
        if "@" in ref:
            query = query.where(func.lower(Person.email) == ref.lower())
        else:
            query = query.where(Person.employee_number == ref)
        return self._one(query, ref, "person", where)

    def competence(self, ref: uuid.UUID | str | None, where: Where) -> uuid.UUID | None:
        if not isinstance(ref, str):
            return ref
        framework, colon, code = ref.partition(":")
        if not (framework and colon and code):
            self.problems.add(where, f"{ref!r} is neither an id nor framework-slug:code")
            return None
        query = (
            select(Competence.id)
            .join(Framework, Framework.id == Competence.framework_id)
            .where(
                Framework.organisation_id == self.organisation_id,
                Framework.slug == framework,
                Competence.code == code,
            )
        )
        return self._one(query, ref, "competence", where)

    def sub_goal(self, goal: SubGoalData, where: Where) -> SubGoalData:
        values, texts = self.texts({"name": goal.name}, goal.texts, {"name"})
        return replace(
            goal,
            name=values["name"],
            texts=texts,
            # NIL stands in for a key naming nothing: done() raises before it is used.
            achievement_id=self.achievement(goal.achievement_id, (*where, "achievement")) or NIL,
            competence_id=self.competence(goal.competence_id, (*where, "competence")),
        )

    def target(self, target: TargetData, where: Where) -> TargetData:
        return replace(
            target,
            competence_id=self.competence(target.competence_id, (*where, "competence")) or NIL,
            team_id=self.team(target.team_id, (*where, "team")),
        )

    def done(self, value: T) -> T:
        self.problems.raise_any()
        return value


def resolve_path_data(session: Session, organisation_id: uuid.UUID, data: PathData) -> PathData:
    """``data`` with every natural key replaced by its id (400 for one naming nothing)."""
    refs = _Resolver(session, organisation_id)
    plain = {"name": data.name, "description": data.description}
    values, texts = refs.texts(plain, data.texts, {key for key, text in plain.items() if text})
    return refs.done(
        replace(
            data,
            **values,
            texts=texts,
            team_id=refs.team(data.team_id, ("team",)),
            person_id=refs.person(data.person_id, ("person",)),
            achievement_id=refs.achievement(data.achievement_id, ("achievement",)),
            targets=[refs.target(t, ("targets", i)) for i, t in enumerate(data.targets)],
            sub_goals=[refs.sub_goal(g, ("subGoals", i)) for i, g in enumerate(data.sub_goals)],
        )
    )


def resolve_changes(session: Session, path: Path, changes: dict[str, Any]) -> dict[str, Any]:
    """A PATCH of ``path``: its changes with natural keys replaced by ids, and its texts
    agreeing with their translations on the default language."""
    refs = _Resolver(session, path.organisation_id)
    resolved = dict(changes)
    if {"name", "description", "texts"} & set(changes):
        plain = {key: changes.get(key, getattr(path, key)) for key in ("name", "description")}
        texts = changes.get("texts", path.texts)
        values, tables = refs.texts(plain, texts, set(changes) & set(plain))
        resolved |= values | {"texts": tables}
    if "achievement_id" in changes:
        resolved["achievement_id"] = refs.achievement(changes["achievement_id"], ("achievement",))
    if "targets" in changes:
        resolved["targets"] = [
            refs.target(t, ("targets", i)) for i, t in enumerate(changes["targets"])
        ]
    for key, name in (("sub_goals", "subGoals"), ("add_sub_goals", "addSubGoals")):
        if key in changes:
            resolved[key] = [refs.sub_goal(g, (name, i)) for i, g in enumerate(changes[key])]
    return refs.done(resolved)


def resolve_person(
    session: Session, organisation_id: uuid.UUID, ref: uuid.UUID | str, field: str
) -> uuid.UUID:
    """A person reference of a body (``field``) as an id."""
    refs = _Resolver(session, organisation_id)
    found = refs.done(refs.person(ref, (field,)))
    assert found is not None
    return found
