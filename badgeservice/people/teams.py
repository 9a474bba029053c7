"""Teams: the one write path for a team, shared by the API, the organisation-definition
loader (through :func:`.upserts.upsert_team`) and SCIM Groups. A team row is made only by
:func:`create_team`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record, target_of
from ..db import flush_or_conflict, new_id
from ..errors import BadRequest, Conflict, NotFound
from .models import Person, Team, TeamMember, TeamRole
from .services import get_person

__all__ = [
    "ROLES",
    "MemberData",
    "TeamData",
    "create_team",
    "replace_members",
    "update_team",
]

ROLES = tuple(role.value for role in TeamRole)


@dataclass(frozen=True)
class MemberData:
    """A person in a team, as a ``member`` or a ``supervisor``."""

    person_id: uuid.UUID | str  # an id, employee number or e-mail
    role: str = TeamRole.MEMBER


@dataclass(frozen=True)
class TeamData:
    slug: str
    name: str
    parent_id: uuid.UUID | None = None
    members: Sequence[MemberData] = ()
    # The name's translations, {"name": {language: text}} (definition files only).
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


_TEAM_FIELDS = frozenset(f.name for f in fields(TeamData))


def _invalid(field: str, message: str) -> BadRequest:
    return BadRequest(f"{field}: {message}", errors={field: [message]})


def create_team(session: Session, organisation_id: uuid.UUID, data: TeamData) -> Team:
    """A new team with its members; 409 when the slug is taken."""
    team = Team(id=new_id(), organisation_id=organisation_id)
    _apply_team(session, team, {f.name: getattr(data, f.name) for f in fields(data)})
    session.add(team)
    flush_or_conflict(session, "the team")
    _audit(session, team, "team.created", {"slug": team.slug})
    return team


def _audit(session: Session, team: Team, action: str, details: Mapping[str, Any]) -> None:
    record(session, team.organisation_id, action, target_of("team", team.id, team.slug), details)


def update_team(session: Session, team: Team, changes: Mapping[str, Any]) -> Team:
    """Change the given fields (names of :class:`TeamData`); ``members`` replaces them."""
    unknown = set(changes) - _TEAM_FIELDS
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))} of a team")
    _apply_team(session, team, changes)
    flush_or_conflict(session, "the team")
    _audit(session, team, "team.updated", {"fields": sorted(changes)})
    return team


def replace_members(session: Session, team: Team, members: Sequence[MemberData]) -> Team:
    """Make ``members`` the team's whole membership."""
    return update_team(session, team, {"members": members})


def _apply_team(session: Session, team: Team, values: Mapping[str, Any]) -> None:
    org = team.organisation_id
    if (
        "slug" in values
        and values["slug"] != team.slug
        and session.scalar(
            select(Team.id).where(Team.organisation_id == org, Team.slug == values["slug"])
        )
    ):
        raise Conflict(f"a team with slug {values['slug']!r} exists already")
    if "parent_id" in values:
        _check_parent(session, team, values["parent_id"])
        team.parent_id = values["parent_id"]
    if "members" in values:
        _replace_team_members(session, team, values["members"])
    for name in ("slug", "name"):
        if name in values:
            setattr(team, name, values[name])
    if "texts" in values:
        team.texts = {key: dict(value) for key, value in values["texts"].items()}


def _check_parent(session: Session, team: Team, parent_id: uuid.UUID | None) -> None:
    """The parent exists in the organisation and is not the team or below it."""
    seen: set[uuid.UUID] = set()
    current = parent_id
    while current is not None and current not in seen:
        if current == team.id:
            raise _invalid("parent", f"team {current} is this team or below it: a cycle")
        seen.add(current)
        row = session.get(Team, current)
        if row is None or row.organisation_id != team.organisation_id:
            raise _invalid("parent", f"no team {current} in this organisation")
        current = row.parent_id


def _replace_team_members(session: Session, team: Team, members: Sequence[MemberData]) -> None:
    wanted: list[tuple[uuid.UUID, str]] = []
    for index, member in enumerate(members):
        person_id = member.person_id
        if isinstance(person_id, str):  # an employee number or e-mail
            try:
                person_id = get_person(session, team.organisation_id, person_id).id
            except NotFound:
                raise _invalid(
                    f"members.{index}.person", f"no person {person_id!r} in this organisation"
                ) from None
        key = (person_id, member.role)
        if member.role not in ROLES:
            raise _invalid(f"members.{index}.role", f"must be one of {', '.join(ROLES)}")
        if key in wanted:
            raise _invalid(
                f"members.{index}", f"person {member.person_id} is listed twice as {member.role}"
            )
        wanted.append(key)
    known = _people_in(session, team.organisation_id, (p for p, _ in wanted))
    for index, (person_id, _role) in enumerate(wanted):
        if person_id not in known:
            raise _invalid(f"members.{index}.person", f"no person {person_id} in this organisation")
    team.members = [m for m in team.members if (m.person_id, m.role) in wanted]
    have = {(m.person_id, m.role) for m in team.members}
    team.members += [TeamMember(person_id=p, role=r) for p, r in wanted if (p, r) not in have]


def _people_in(
    session: Session, organisation_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    wanted = set(ids)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(Person.id).where(
                Person.organisation_id == organisation_id, Person.id.in_(wanted)
            )
        )
    )
