"""Bring people and teams in line with a declared list (organisation definition files).

Upserts by slug / employee number; memberships and LMS accounts are made to match the
declaration. Nobody is deleted: people missing from the files are left as they are (their
credentials stay), which a later SCIM feed or an operator may deactivate.

Files and SCIM share the records, each owning its own fields, so that neither undoes the
other and a second load changes nothing:

- a person provisioned over SCIM (a SCIM User) has their e-mail and names from the IdP;
  the files keep their LMS accounts (SCIM has none) and their memberships of teams the
  files own;
- a team provisioned over SCIM (a SCIM Group) has its name and members from the IdP, and
  its supervisors follow the members' managers; the files leave it as it is;
- a deactivated person is left alone (SCIM deprovisioning or an operator took them out).

What the files would have changed on a record they do not own is reported as skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import LmsAccount, Person, Team, TeamMember

__all__ = ["PersonSpec", "Skipped", "TeamSpec", "sync_people", "sync_teams"]


@dataclass(frozen=True)
class TeamSpec:
    slug: str
    name: str
    parent: str | None


@dataclass(frozen=True)
class PersonSpec:
    employee_number: str
    email: str
    given_name: str
    family_name: str
    teams: Sequence[str]
    supervises: Sequence[str]
    lms_accounts: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Skipped:
    """A declared change not applied, and why (for the load summary)."""

    what: str
    reason: str


SCIM_OWNS = "provisioned by SCIM"


def _set(obj: object, changed: list[bool], **values: object) -> None:
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed.append(True)


def sync_teams(
    session: Session,
    organisation_id: uuid.UUID,
    specs: Iterable[TeamSpec],
    skipped: list[Skipped] | None = None,
) -> tuple[dict[str, Team], int, int]:
    """Upsert teams; returns them by slug with the created and updated counts. A team
    provisioned over SCIM keeps its name and parent (noted in ``skipped``)."""
    skipped = [] if skipped is None else skipped
    specs = list(specs)
    existing = {
        t.slug: t
        for t in session.scalars(select(Team).where(Team.organisation_id == organisation_id))
    }
    created = updated = 0
    new: set[str] = set()
    for spec in specs:
        team = existing.get(spec.slug)
        if team is None:
            team = Team(organisation_id=organisation_id, slug=spec.slug, name=spec.name)
            session.add(team)
            existing[spec.slug] = team
            new.add(spec.slug)
            created += 1
        elif team.provisioned:
            parent = existing.get(spec.parent) if spec.parent else None
            if team.name != spec.name or team.parent_id != (parent.id if parent else None):
                skipped.append(Skipped(f"team {spec.slug}", SCIM_OWNS))
        elif team.name != spec.name:
            team.name = spec.name
            updated += 1
    session.flush()
    for spec in specs:
        parent_id = existing[spec.parent].id if spec.parent else None
        if existing[spec.slug].provisioned:
            continue
        if existing[spec.slug].parent_id != parent_id:
            existing[spec.slug].parent_id = parent_id
            updated += spec.slug not in new
    session.flush()
    return existing, created, updated


def sync_people(
    session: Session,
    organisation_id: uuid.UUID,
    teams: dict[str, Team],
    specs: Iterable[PersonSpec],
    skipped: list[Skipped] | None = None,
) -> tuple[dict[str, Person], int, int]:
    """Upsert people by employee number, with their LMS accounts and team roles, each
    field as far as the files own it (see the module); the rest is noted in ``skipped``."""
    skipped = [] if skipped is None else skipped
    people = {
        p.employee_number: p
        for p in session.scalars(select(Person).where(Person.organisation_id == organisation_id))
        if p.employee_number
    }
    created = updated = 0
    for spec in specs:
        person = people.get(spec.employee_number)
        changed: list[bool] = []
        is_new = person is None
        if person is None:
            person = Person(organisation_id=organisation_id, employee_number=spec.employee_number)
            session.add(person)
            people[spec.employee_number] = person
            created += 1
        elif not person.active:
            skipped.append(Skipped(f"person {spec.employee_number}", "deactivated"))
            continue
        fields = {
            "email": spec.email,
            "given_name": spec.given_name,
            "family_name": spec.family_name,
        }
        if person.user_name is None:  # not a SCIM User: the files own the person's record
            _set(person, changed, **fields)
        elif any(getattr(person, key) != value for key, value in fields.items()):
            skipped.append(Skipped(f"e-mail and names of person {spec.employee_number}", SCIM_OWNS))
        session.flush()
        wanted_accounts = set(spec.lms_accounts)
        have_accounts = {(a.connection, a.account): a for a in person.lms_accounts}
        for key, account in have_accounts.items():
            if key not in wanted_accounts:
                person.lms_accounts.remove(account)
                changed.append(True)
        for connection, account_id in sorted(wanted_accounts - set(have_accounts)):
            person.lms_accounts.append(
                LmsAccount(
                    organisation_id=organisation_id, connection=connection, account=account_id
                )
            )
            changed.append(True)
        # Only memberships of the files' own teams: a SCIM Group's members and supervisors
        # are the IdP's.
        declared = {(t, "member") for t in spec.teams} | {
            (t, "supervisor") for t in spec.supervises
        }
        wanted_roles = set()
        for slug, role in sorted(declared):
            if teams[slug].provisioned:
                if not any(
                    m.team_id == teams[slug].id and m.role == role for m in person.memberships
                ):
                    skipped.append(
                        Skipped(f"{role} {spec.employee_number} of team {slug}", SCIM_OWNS)
                    )
            else:
                wanted_roles.add((teams[slug].id, role))
        owned = {team.id for team in teams.values() if not team.provisioned}
        have_roles = {(m.team_id, m.role): m for m in person.memberships if m.team_id in owned}
        for role_key, membership in have_roles.items():
            if role_key not in wanted_roles:
                person.memberships.remove(membership)
                changed.append(True)
        for team_id, role in sorted(wanted_roles - set(have_roles), key=str):
            person.memberships.append(TeamMember(team_id=team_id, role=role))
            changed.append(True)
        if changed and not is_new:
            updated += 1
        session.flush()
    return people, created, updated
