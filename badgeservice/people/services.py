"""People: lookups by the identifiers other systems know them by, and the one write path
the API, the organisation-definition loader, SCIM and ingest's auto-create share.

Every function is scoped to one organisation. Writes take plain data (the dataclasses
below, or a mapping of changed fields), check uniqueness and references themselves so a
caller gets a precise 400/409 instead of a database error, and flush without committing.
A person row is made only by :func:`add_person`. Teams are in :mod:`.teams`, the upserts
a loader runs again and again in :mod:`.upserts`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from ..audit.services import record, target_of
from ..db import flush_or_conflict, new_id
from ..errors import BadRequest, Conflict, NotFound
from ..languages import is_tag, normal_tag
from .accounts import LmsAccountData, check_accounts, replace_accounts
from .models import LmsAccount, Person, Team, TeamMember, TeamRole

__all__ = [
    "LmsAccountData",
    "PersonData",
    "add_person",
    "create_person",
    "deactivate_person",
    "find_person",
    "get_person",
    "get_team",
    "mbox_sha1",
    "people_query",
    "person_by_identifiers",
    "supervises",
    "teams_query",
    "update_person",
    "visible_person",
]


@dataclass(frozen=True)
class PersonData:
    """A person as given by the API or a definition file; at least one of
    ``employee_number`` and ``email`` identifies them."""

    employee_number: str | None = None
    email: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    did: str | None = None
    active: bool = True
    lms_accounts: Sequence[LmsAccountData] = ()
    # The language badges are issued in (a BCP 47 tag); None: the organisation's default.
    preferred_language: str | None = None


_PERSON_FIELDS = frozenset(f.name for f in fields(PersonData))


def _invalid(field: str, message: str) -> BadRequest:
    return BadRequest(f"{field}: {message}", errors={field: [message]})


# -- people ----------------------------------------------------------------------------


def get_person(session: Session, organisation_id: uuid.UUID, person_id: uuid.UUID | str) -> Person:
    """The person by id, or by a natural key: an e-mail address (text with ``@``,
    case-insensitive) or else an employee number."""
    if isinstance(person_id, str):
        if "@" in person_id:
            return find_person(session, organisation_id, email=person_id)
        return find_person(session, organisation_id, employee_number=person_id)
    person = session.get(Person, person_id)
    if person is None or person.organisation_id != organisation_id:
        raise NotFound(f"no person {person_id}")
    return person


def find_person(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    person_id: uuid.UUID | None = None,
    employee_number: str | None = None,
    email: str | None = None,
) -> Person:
    """The person named by id, employee number or e-mail (case-insensitive), in this
    organisation only."""
    if person_id is not None:
        return get_person(session, organisation_id, person_id)
    query = select(Person).where(Person.organisation_id == organisation_id)
    if employee_number is not None:
        person = session.scalar(query.where(Person.employee_number == employee_number.strip()))
        what = f"employee number {employee_number!r}"
    elif email is not None:
        person = session.scalar(query.where(func.lower(Person.email) == email.strip().lower()))
        what = f"e-mail {email!r}"
    else:
        raise NotFound("no person identifier given")
    if person is None:
        raise NotFound(f"no person with {what}")
    return person


def people_query(
    organisation_id: uuid.UUID,
    *,
    employee_number: str | None = None,
    email: str | None = None,
    team_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> Select[Person]:
    """The organisation's people in creation order, narrowed by the given filters."""
    query = select(Person).where(Person.organisation_id == organisation_id)
    if employee_number is not None:
        query = query.where(Person.employee_number == employee_number.strip())
    if email is not None:
        query = query.where(func.lower(Person.email) == email.strip().lower())
    if team_id is not None:
        query = query.where(
            Person.id.in_(select(TeamMember.person_id).where(TeamMember.team_id == team_id))
        )
    if active is not None:
        query = query.where(Person.active == active)
    query = query.options(selectinload(Person.lms_accounts), selectinload(Person.memberships))
    return query.order_by(Person.created_at, Person.id)


def add_person(session: Session, organisation_id: uuid.UUID, **attributes: Any) -> Person:
    """Store a new person with ``attributes`` (columns of :class:`Person`): the one place a
    person row is made. Callers have checked their rules first (:func:`create_person` the
    API's and the files', SCIM its own identifiers)."""
    person = Person(id=new_id(), organisation_id=organisation_id, **attributes)
    session.add(person)
    return person


def person_by_identifiers(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    employee_number: str | None = None,
    lms_account: LmsAccountData | None = None,
    email: str | None = None,
    mbox_sha1sum: str | None = None,
) -> Person | None:
    """The organisation's person an inbound event names, by the first identifier that finds
    one: employee number, the account in the sending LMS, e-mail (case-insensitive), the
    SHA-1 of their ``mailto:`` IRI (xAPI); None when none does."""
    query = select(Person).where(Person.organisation_id == organisation_id)
    found = None
    if employee_number:
        found = session.scalar(query.where(Person.employee_number == employee_number))
    if found is None and lms_account is not None:
        found = session.scalar(
            query.join(LmsAccount).where(
                LmsAccount.connection == lms_account.connection,
                LmsAccount.account == lms_account.account,
            )
        )
    if found is None and email:
        found = session.scalar(query.where(func.lower(Person.email) == email.strip().lower()))
    if found is None and mbox_sha1sum:
        found = _person_by_mbox_sha1(session, organisation_id, mbox_sha1sum.lower())
    return found


def _person_by_mbox_sha1(
    session: Session, organisation_id: uuid.UUID, digest: str
) -> Person | None:
    """The person whose ``mailto:`` IRI hashes to ``digest`` (a scan of the organisation's
    addresses: fine for thousands of people)."""
    people = session.scalars(
        select(Person).where(Person.organisation_id == organisation_id, Person.email.isnot(None))
    )
    for person in people:
        if person.email and mbox_sha1(person.email) == digest:
            return person
    return None


def mbox_sha1(email: str) -> str:
    """The xAPI ``mbox_sha1sum`` of an address: SHA-1 of its ``mailto:`` IRI."""
    iri = f"mailto:{email.strip().lower()}"
    return hashlib.sha1(iri.encode(), usedforsecurity=False).hexdigest()


def create_person(session: Session, organisation_id: uuid.UUID, data: PersonData) -> Person:
    """A new person; 409 when the employee number, e-mail or an LMS account is taken."""
    person = add_person(session, organisation_id)
    try:
        with session.no_autoflush:  # the checks must not store the half-made row
            _apply_person(session, person, {f.name: getattr(data, f.name) for f in fields(data)})
    except (BadRequest, Conflict):
        session.expunge(person)
        raise
    flush_or_conflict(session, "the person")
    _audit(session, person, "person.created", {"fields": sorted(f.name for f in fields(data))})
    return person


def audit_person(session: Session, person: Person, action: str, details: Mapping[str, Any]) -> None:
    """The change in the audit trail: which fields, never their values (personal data)."""
    record(session, person.organisation_id, action, target_of("person", person.id), details)


_audit = audit_person


def update_person(
    session: Session, person: Person, changes: Mapping[str, Any], *, audit: bool = True
) -> Person:
    """Change the given fields (names of :class:`PersonData`); ``lms_accounts`` replaces
    the person's accounts."""
    unknown = set(changes) - _PERSON_FIELDS
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))} of a person")
    if person.erased_at is not None:
        raise Conflict(f"person {person.id} was erased; an erased person is not changed")
    _apply_person(session, person, changes)
    flush_or_conflict(session, "the person")
    if audit:
        _audit(session, person, "person.updated", {"fields": sorted(changes)})
    return person


def deactivate_person(session: Session, person: Person) -> Person:
    """Mark the person inactive; nothing is deleted, so earned credentials stay valid."""
    was_active, person.active = person.active, False
    session.flush()
    if was_active:
        _audit(session, person, "person.deactivated", {})
    return person


def _apply_person(session: Session, person: Person, values: Mapping[str, Any]) -> None:
    merged = {
        name: values.get(name, getattr(person, name)) for name in ("employee_number", "email")
    }
    employee_number = _clean(merged["employee_number"])
    email = _clean(merged["email"])
    if employee_number is None and email is None:
        raise _invalid("employeeNumber", "a person needs an employee number or an e-mail")
    org = person.organisation_id
    others = select(Person.id).where(Person.organisation_id == org, Person.id != person.id)
    if (
        "employee_number" in values
        and employee_number is not None
        and session.scalar(others.where(Person.employee_number == employee_number))
    ):
        raise Conflict(f"employee number {employee_number!r} belongs to another person")
    if (
        "email" in values
        and email is not None
        and session.scalar(others.where(func.lower(Person.email) == email.lower()))
    ):
        raise Conflict(f"e-mail {email!r} belongs to another person")
    accounts = values.get("lms_accounts")
    if accounts is not None:
        check_accounts(session, person, accounts)
    for name in ("given_name", "family_name", "did"):
        if name in values:
            setattr(person, name, _clean(values[name]))
    if "preferred_language" in values:
        person.preferred_language = _language(values["preferred_language"])
    person.employee_number, person.email = employee_number, email
    if values.get("active") is not None:
        person.active = bool(values["active"])
    if accounts is not None:
        replace_accounts(person, accounts)


def _language(value: str | None) -> str | None:
    """A language tag in its usual case; None for none; 400 for what is not one."""
    value = _clean(value)
    if value is None:
        return None
    if not is_tag(value):
        raise _invalid("preferredLanguage", f"{value!r} is not a language tag such as 'fi' or 'sv'")
    return normal_tag(value)


def _clean(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else value


# -- teams -----------------------------------------------------------------------------


def get_team(session: Session, organisation_id: uuid.UUID, team_id: uuid.UUID | str) -> Team:
    """The team by id, or by its slug."""
    if isinstance(team_id, str):
        found = session.scalar(
            select(Team).where(Team.organisation_id == organisation_id, Team.slug == team_id)
        )
        if found is None:
            raise NotFound(f"no team {team_id!r}")
        return found
    team = session.get(Team, team_id)
    if team is None or team.organisation_id != organisation_id:
        raise NotFound(f"no team {team_id}")
    return team


def teams_query(organisation_id: uuid.UUID, *, only: set[uuid.UUID] | None = None) -> Select[Team]:
    """The organisation's teams by slug (``only`` these, when given)."""
    query = select(Team).where(Team.organisation_id == organisation_id)
    if only is not None:
        query = query.where(Team.id.in_(sorted(only)))
    return query.options(selectinload(Team.members)).order_by(Team.slug)


def supervised_teams(session: Session, supervisor_id: uuid.UUID | None) -> set[uuid.UUID]:
    """The teams an active person supervises (none for a deactivated one)."""
    if supervisor_id is None:
        return set()
    return set(
        session.scalars(
            select(TeamMember.team_id)
            .join(Person, Person.id == TeamMember.person_id)
            .where(
                TeamMember.person_id == supervisor_id,
                TeamMember.role == TeamRole.SUPERVISOR,
                Person.active.is_(True),
            )
        )
    )


def visible_teams(session: Session, principal: Any) -> set[uuid.UUID] | None:
    """The teams ``principal`` (an :class:`~badgeservice.auth.Principal`) may read: None
    for all of them (an organisation-wide token), else those its supervisor supervises."""
    if principal.sees_everyone:
        return None
    return supervised_teams(session, principal.supervisor_id)


def visible_person(session: Session, principal: Any, person_id: uuid.UUID | str) -> Person:
    """The person, if ``principal`` may see them: a team:read token sees the members of the
    teams its supervisor supervises, and nobody else (not found, like a missing person)."""
    person = get_person(session, principal.organisation_id, person_id)
    teams = visible_teams(session, principal)
    if teams is not None and not in_teams(session, person, teams):
        raise NotFound(f"no person {str(person_id)!r}")
    return person


def in_teams(session: Session, person: Person, teams: set[uuid.UUID]) -> bool:
    """Whether ``person`` is a member (or supervisor) of one of ``teams``."""
    if not teams:
        return False
    return (
        session.scalar(
            select(TeamMember.id)
            .where(TeamMember.person_id == person.id, TeamMember.team_id.in_(teams))
            .limit(1)
        )
        is not None
    )


def supervises(session: Session, supervisor: Person, person: Person) -> bool:
    """Whether ``supervisor`` is a supervisor of a team ``person`` belongs to."""
    teams_of_person = select(TeamMember.team_id).where(TeamMember.person_id == person.id)
    return (
        session.scalar(
            select(TeamMember.id)
            .where(
                TeamMember.person_id == supervisor.id,
                TeamMember.role == TeamRole.SUPERVISOR,
                TeamMember.team_id.in_(teams_of_person),
            )
            .limit(1)
        )
        is not None
    )
