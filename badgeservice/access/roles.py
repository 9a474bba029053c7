"""Roles: what a person may do on the pages.

Everyone active is a ``learner`` of their own path; ``supervisor`` comes from the teams a
person supervises today (the team supervisors of the files, SCIM managers); ``assessor``,
``hr`` and ``admin`` are granted, by an admin through the API or in ``people.toml``. A person
may hold several.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..audit.services import record, target_of
from ..errors import BadRequest, Conflict, NotFound
from ..people.models import Person, TeamMember, TeamRole
from .models import RoleGrant, Source

__all__ = [
    "GRANTABLE",
    "Role",
    "RoleSet",
    "grant_role",
    "grants_query",
    "revoke_role",
    "roles_of",
    "sync_file_grants",
]


class Role(StrEnum):
    LEARNER = "learner"
    SUPERVISOR = "supervisor"
    ASSESSOR = "assessor"
    HR = "hr"
    ADMIN = "admin"


#: Roles given by a grant; the other two follow from the person and their teams.
GRANTABLE = (Role.ASSESSOR, Role.HR, Role.ADMIN)


@dataclass(frozen=True)
class RoleSet:
    """A person's roles today, and the teams they supervise."""

    roles: frozenset[Role]
    supervised_teams: frozenset[uuid.UUID]

    def has(self, *wanted: Role) -> bool:
        """True when the person holds any of ``wanted``."""
        return any(role in self.roles for role in wanted)

    def ordered(self) -> list[Role]:
        return [role for role in Role if role in self.roles]


def parse_role(value: str) -> Role:
    """A grantable role by name; 400 naming the choices otherwise."""
    if value not in {role.value for role in GRANTABLE}:
        choices = ", ".join(role.value for role in GRANTABLE)
        raise BadRequest(f"role {value!r} cannot be granted; choose from {choices}")
    return Role(value)


def roles_of(session: Session, person: Person) -> RoleSet:
    """The roles ``person`` holds now (none when deactivated)."""
    if not person.active:
        return RoleSet(frozenset(), frozenset())
    teams = frozenset(
        session.scalars(
            select(TeamMember.team_id).where(
                TeamMember.person_id == person.id, TeamMember.role == TeamRole.SUPERVISOR
            )
        )
    )
    granted = session.scalars(select(RoleGrant.role).where(RoleGrant.person_id == person.id))
    roles = {Role.LEARNER, *(Role(role) for role in granted)}
    if teams:
        roles.add(Role.SUPERVISOR)
    return RoleSet(frozenset(roles), teams)


def grants_query(
    organisation_id: uuid.UUID, *, person_id: uuid.UUID | None = None, role: str | None = None
) -> Select[RoleGrant]:
    """The organisation's role grants (of one person, of one role) in the order given."""
    query = select(RoleGrant).where(RoleGrant.organisation_id == organisation_id)
    if person_id is not None:
        query = query.where(RoleGrant.person_id == person_id)
    if role is not None:
        query = query.where(RoleGrant.role == role)
    return query.order_by(RoleGrant.created_at, RoleGrant.id)


def grant_role(session: Session, person: Person, role: Role) -> tuple[RoleGrant, bool]:
    """Give ``person`` a grantable ``role``; returns the grant and whether it is new."""
    existing = session.scalar(
        select(RoleGrant).where(RoleGrant.person_id == person.id, RoleGrant.role == role.value)
    )
    if existing is not None:
        return existing, False
    grant = RoleGrant(
        organisation_id=person.organisation_id,
        person_id=person.id,
        role=role.value,
        source=Source.API,
    )
    session.add(grant)
    session.flush()
    _audit(session, person, "role.granted", role)
    return grant, True


def _audit(session: Session, person: Person, action: str, role: Role) -> None:
    target = target_of("person", person.id)
    record(session, person.organisation_id, action, target, {"role": role.value})


def revoke_role(session: Session, person: Person, role: Role) -> None:
    """Take a granted role away. A grant declared in people.toml is changed in the file."""
    grant = session.scalar(
        select(RoleGrant).where(RoleGrant.person_id == person.id, RoleGrant.role == role.value)
    )
    if grant is None:
        raise NotFound(f"the person does not hold the role {role.value!r}")
    if grant.source == Source.FILE:
        raise Conflict(
            f"the role {role.value!r} is declared in the organisation's people.toml; "
            "remove it there and load the files again"
        )
    session.delete(grant)
    session.flush()
    _audit(session, person, "role.revoked", role)


def sync_file_grants(
    session: Session, organisation_id: uuid.UUID, declared: Mapping[uuid.UUID, Iterable[str]]
) -> int:
    """Make the file-declared grants of the people in ``declared`` match it; grants made
    through the API are left alone (one declared in the file too becomes the file's).
    Returns how many grants changed."""
    changed = 0
    wanted_by_person = {person_id: frozenset(roles) for person_id, roles in declared.items()}
    if not wanted_by_person:
        return changed
    rows = session.scalars(
        select(RoleGrant).where(
            RoleGrant.organisation_id == organisation_id,
            RoleGrant.person_id.in_(list(wanted_by_person)),
        )
    )
    have = {(grant.person_id, grant.role): grant for grant in rows}
    for person_id, wanted in wanted_by_person.items():
        for role in sorted(wanted):
            grant = have.get((person_id, role))
            if grant is None:
                session.add(
                    RoleGrant(
                        organisation_id=organisation_id,
                        person_id=person_id,
                        role=role,
                        source=Source.FILE,
                    )
                )
                changed += 1
            elif grant.source != Source.FILE:
                grant.source = Source.FILE
                changed += 1
    for (person_id, role), grant in have.items():
        if grant.source == Source.FILE and role not in wanted_by_person[person_id]:
            session.delete(grant)
            changed += 1
    session.flush()
    return changed


__all__ += ["parse_role"]
