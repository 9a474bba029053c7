"""Upserts for a loader that runs again and again (the organisation-definition files):
create a person or team, or bring it in line, through the same services as the API, and
say what changed.

The files and SCIM share the records, each owning its own fields, so that neither undoes
the other and a second load changes nothing: a SCIM User keeps the e-mail and names from
the IdP, a SCIM Group (a provisioned team) keeps its name, parent and members, and a
deactivated person is left alone. What a load would have changed there is reported as
:class:`Skipped`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Outcome, flush_or_conflict
from .models import Person, Team, TeamMember
from .services import PersonData, audit_person, create_person, update_person
from .teams import TeamData, create_team, update_team

__all__ = ["SCIM_OWNS", "Skipped", "upsert_person", "upsert_team"]


@dataclass(frozen=True)
class Skipped:
    """A declared change an upsert did not apply, and why (for a loader's summary)."""

    what: str
    reason: str


SCIM_OWNS = "provisioned by SCIM"


def upsert_person(
    session: Session,
    organisation_id: uuid.UUID,
    data: PersonData,
    *,
    roles: Mapping[Team, set[str]],
    skipped: list[Skipped],
) -> tuple[Person, Outcome]:
    """Create the person ``data.employee_number`` or bring them in line with ``data`` and
    with ``roles`` in the teams given (for a loader that runs again and again).

    Only what the caller owns is written: a SCIM User keeps the e-mail and names from the
    IdP, a SCIM Group (a provisioned team) keeps its members, and a deactivated person is
    left alone; what would have changed there is noted in ``skipped``."""
    assert data.employee_number is not None
    person = session.scalar(
        select(Person).where(
            Person.organisation_id == organisation_id,
            Person.employee_number == data.employee_number,
        )
    )
    if person is None:
        person = create_person(session, organisation_id, data)
        _sync_roles(session, person, roles, skipped)
        return person, Outcome.CREATED
    if not person.active:
        skipped.append(Skipped(f"person {data.employee_number}", "deactivated"))
        return person, Outcome.UNCHANGED
    before = _person_state(person)
    changes: dict[str, Any] = {"lms_accounts": data.lms_accounts}
    names = {
        "email": data.email,
        "given_name": data.given_name,
        "family_name": data.family_name,
        "preferred_language": data.preferred_language,
    }
    if person.user_name is None:  # not a SCIM User: the caller owns the record
        changes.update(names)
    elif any(getattr(person, key) != value for key, value in names.items()):
        skipped.append(Skipped(f"e-mail and names of person {data.employee_number}", SCIM_OWNS))
    update_person(session, person, changes, audit=False)
    _sync_roles(session, person, roles, skipped)
    if _person_state(person) == before:
        return person, Outcome.UNCHANGED
    audit_person(session, person, "person.updated", {"fields": sorted(changes)})
    return person, Outcome.UPDATED


def _person_state(person: Person) -> tuple[Any, ...]:
    return (
        person.email,
        person.given_name,
        person.family_name,
        person.preferred_language,
        sorted((a.connection, a.account) for a in person.lms_accounts),
        sorted((str(m.team_id), m.role) for m in person.memberships),
    )


def _sync_roles(
    session: Session, person: Person, roles: Mapping[Team, set[str]], skipped: list[Skipped]
) -> None:
    """Make the person's roles in the teams of ``roles`` exactly those given; a
    provisioned team's members are the IdP's, so there a difference is only noted."""
    wanted: set[tuple[uuid.UUID, str]] = set()
    for team, team_roles in sorted(roles.items(), key=lambda item: item[0].slug):
        for role in sorted(team_roles):
            if not team.provisioned:
                wanted.add((team.id, role))
            elif not any(m.team_id == team.id and m.role == role for m in person.memberships):
                what = f"{role} {person.employee_number} of team {team.slug}"
                skipped.append(Skipped(what, SCIM_OWNS))
    owned = {team.id for team in roles if not team.provisioned}
    have = {(m.team_id, m.role): m for m in person.memberships if m.team_id in owned}
    for key, membership in have.items():
        if key not in wanted:
            person.memberships.remove(membership)
    for team_id, role in sorted(wanted - set(have), key=str):
        person.memberships.append(TeamMember(team_id=team_id, role=role))
    flush_or_conflict(session, "the person's teams")


def upsert_team(
    session: Session, organisation_id: uuid.UUID, data: TeamData, skipped: list[Skipped]
) -> tuple[Team, Outcome]:
    """Create the team ``data.slug`` or bring its name and parent in line with ``data`` (its
    members are left as they are). A team provisioned over SCIM keeps its name and parent;
    a difference is noted in ``skipped``."""
    team = session.scalar(
        select(Team).where(Team.organisation_id == organisation_id, Team.slug == data.slug)
    )
    if team is None:
        return create_team(session, organisation_id, data), Outcome.CREATED
    if (team.name, team.parent_id, team.texts or {}) == (data.name, data.parent_id, data.texts):
        return team, Outcome.UNCHANGED
    if team.provisioned:
        skipped.append(Skipped(f"team {data.slug}", SCIM_OWNS))
        return team, Outcome.UNCHANGED
    update_team(
        session, team, {"name": data.name, "parent_id": data.parent_id, "texts": data.texts}
    )
    return team, Outcome.UPDATED
