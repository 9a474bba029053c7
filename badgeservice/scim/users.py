"""SCIM Users are the organisation's people (``id`` = the person's id).

**Visible.** A person is a SCIM User while they have a ``userName``. People created through
the API or definition files have none until an IdP provisions them: a POST whose
``externalId``, ``employeeNumber`` or e-mail names such a person *adopts* them (links and
updates the existing person, credentials and all) instead of failing on uniqueness.

**Deleted.** DELETE deactivates the person, takes them out of their teams and clears their
``userName``: from then on the User is gone for SCIM (404, as RFC 7644 §3.6 asks) while the
person, their credentials and their recognitions stay. A later POST carrying the same
``externalId``, ``employeeNumber`` or e-mail adopts the person again (a returning employee
keeps their badges); one that matches nothing creates a new person, even with the same
``userName``.

**Managers.** ``manager.value`` is resolved, in this order, as a person id, an
``externalId``, an ``employeeNumber`` or a ``userName`` of the organisation. When nothing
matches, the manager has not arrived yet: an inactive placeholder person holding the value
as its ``externalId`` stands in for them, and the manager's own POST adopts that
placeholder, so the reporting line resolves without the IdP sending anything again.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from ..audit.services import record, target_of
from ..people.models import Person, TeamMember, TeamRole
from ..people.services import add_person, deactivate_person
from .errors import ScimError, invalid_filter, invalid_value, uniqueness
from .filters import AttrPath, Filter
from .query import Column, Paging, read_page, to_sql
from .schema import CORE_USER, ENTERPRISE_USER
from .services import flush, sync_supervisors, version
from .user_values import UserValues, user_values

__all__ = [
    "create_user",
    "delete_user",
    "get_user",
    "list_users",
    "replace_user",
    "user_document",
    "user_resource",
]


# -- documents ---------------------------------------------------------------------------------


def _is_placeholder(person: Person) -> bool:
    return person.user_name is None and person.email is None and person.employee_number is None


def user_document(session: Session, person: Person, base: str) -> dict[str, Any]:
    """The person's attributes as a SCIM document (no ``id``, ``meta`` or ``schemas``)."""
    doc: dict[str, Any] = {"userName": person.user_name}
    if person.external_id is not None:
        doc["externalId"] = person.external_id
    name = {
        key: value
        for key, value in (("givenName", person.given_name), ("familyName", person.family_name))
        if value is not None
    }
    if name:
        name["formatted"] = " ".join(name[k] for k in ("givenName", "familyName") if k in name)
        doc["name"] = name
    doc["displayName"] = person.display_name
    if person.title is not None:
        doc["title"] = person.title
    if person.preferred_language is not None:
        doc["preferredLanguage"] = person.preferred_language
    doc["active"] = person.active
    if person.email is not None:
        doc["emails"] = [{"value": person.email, "type": "work", "primary": True}]
    enterprise: dict[str, Any] = {}
    if person.employee_number is not None:
        enterprise["employeeNumber"] = person.employee_number
    if person.department is not None:
        enterprise["department"] = person.department
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    if manager is not None:
        if _is_placeholder(manager):
            enterprise["manager"] = {"value": manager.external_id}
        else:
            enterprise["manager"] = {"value": str(manager.id), "displayName": manager.display_name}
            if manager.user_name is not None:
                enterprise["manager"]["$ref"] = f"{base}/Users/{manager.id}"
    if enterprise:
        doc[ENTERPRISE_USER] = enterprise
    return doc


def user_resource(session: Session, person: Person, base: str) -> dict[str, Any]:
    """The full representation: ``schemas``, ``id``, the attributes and ``meta``."""
    doc = user_document(session, person, base)
    schemas = [CORE_USER, ENTERPRISE_USER] if ENTERPRISE_USER in doc else [CORE_USER]
    resource: dict[str, Any] = {
        "schemas": schemas,
        "id": str(person.id),
        **doc,
        "meta": {
            "resourceType": "User",
            "created": person.created_at.isoformat(),
            "lastModified": person.updated_at.isoformat(),
            "location": f"{base}/Users/{person.id}",
        },
    }
    resource["meta"]["version"] = version(resource)
    return resource


# -- reads -------------------------------------------------------------------------------------


def _visible(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    return and_(Person.organisation_id == organisation_id, Person.user_name.is_not(None))


def get_user(session: Session, organisation_id: uuid.UUID, user_id: str) -> Person:
    """The User ``user_id`` of the organisation; 404 for anything else (a malformed id,
    another organisation's person, a deleted User)."""
    try:
        key = uuid.UUID(user_id)
    except ValueError:
        raise ScimError(404, f"no User {user_id!r}") from None
    person = session.get(Person, key)
    if person is None or person.organisation_id != organisation_id or person.user_name is None:
        raise ScimError(404, f"no User {user_id}")
    return person


def _column(path: AttrPath) -> Column:
    name = f"{path.attr}.{path.sub}" if path.sub else path.attr
    columns = {
        "id": Column(Person.id, "uuid"),
        "username": Column(Person.user_name, "ci"),
        "externalid": Column(Person.external_id, "exact"),
        "name.givenname": Column(Person.given_name, "ci"),
        "name.familyname": Column(Person.family_name, "ci"),
        "emails": Column(Person.email, "ci"),
        "emails.value": Column(Person.email, "ci"),
        "active": Column(Person.active, "bool"),
        "title": Column(Person.title, "ci"),
        "employeenumber": Column(Person.employee_number, "exact"),
        "department": Column(Person.department, "ci"),
        "manager": Column(Person.manager_id, "uuid"),
        "manager.value": Column(Person.manager_id, "uuid"),
        "meta.created": Column(Person.created_at, "datetime"),
        "meta.lastmodified": Column(Person.updated_at, "datetime"),
    }
    enterprise = {"employeenumber", "department", "manager", "manager.value"}
    key = name.lower()
    column = columns.get(key)
    wanted_urn = ENTERPRISE_USER if key in enterprise else CORE_USER
    if column is None or path.urn not in (None, wanted_urn):
        raise invalid_filter(f"cannot filter Users on {path}")
    return column


def list_users(
    session: Session, organisation_id: uuid.UUID, where: Filter | None, page: Paging
) -> tuple[int, list[Person]]:
    """The matching Users in creation order: the total and one page."""
    query = select(Person).where(_visible(organisation_id))
    if where is not None:
        query = query.where(to_sql(where, _column))
    return read_page(session, query, Person.created_at, Person.id, page=page)


# -- writes ------------------------------------------------------------------------------------


def create_user(session: Session, organisation_id: uuid.UUID, doc: dict[str, Any]) -> Person:
    """A new User, or an existing unprovisioned person adopted (see the module notes)."""
    values = user_values(doc)
    person = _adoptable(session, organisation_id, values)
    if person is None:
        person = add_person(session, organisation_id)
        _write(session, person, values)
        _audit(session, person, "person.provisioned", {"adopted": False})
        return person
    # Adopted: what the IdP did not send (an employee number loaded from HR files, say)
    # is kept rather than wiped; a later PUT is a full replacement as usual.
    kept = {
        name: getattr(person, name)
        for name in _KEPT_ON_ADOPTION
        if getattr(values, name) is None and getattr(person, name) is not None
    }
    manager = values.manager
    if manager is None and person.manager_id is not None:
        manager = str(person.manager_id)
    _write(session, person, replace(values, manager=manager, **kept))
    _audit(session, person, "person.provisioned", {"adopted": True})
    return person


def _audit(session: Session, person: Person, action: str, details: dict[str, Any]) -> None:
    record(session, person.organisation_id, action, target_of("person", person.id), details)


_KEPT_ON_ADOPTION = (
    "external_id",
    "given_name",
    "family_name",
    "email",
    "title",
    "employee_number",
    "department",
    "preferred_language",
)


def replace_user(session: Session, person: Person, doc: dict[str, Any]) -> Person:
    """PUT (and the end of PATCH): the person takes exactly the document's values."""
    _write(session, person, user_values(doc))
    _audit(session, person, "person.replaced", {})
    return person


def delete_user(session: Session, person: Person) -> None:
    """Deprovision: inactive, out of their teams, no longer a SCIM User; nothing earned is
    lost."""
    teams = _affected_teams(session, person)
    teams |= set(
        session.scalars(select(TeamMember.team_id).where(TeamMember.person_id == person.id))
    )
    for membership in list(person.memberships):
        session.delete(membership)
    person.user_name = None
    deactivate_person(session, person)
    sync_supervisors(session, teams)


def _adoptable(session: Session, organisation_id: uuid.UUID, values: UserValues) -> Person | None:
    """The unprovisioned person a new User's identifiers name, if any."""
    conditions = []
    if values.external_id is not None:
        conditions.append(Person.external_id == values.external_id)
    if values.employee_number is not None:
        conditions.append(Person.employee_number == values.employee_number)
    if values.email is not None:
        conditions.append(func.lower(Person.email) == values.email.lower())
    placeholder_keys = [k for k in (values.employee_number, values.user_name) if k is not None]
    conditions.append(
        and_(
            Person.email.is_(None),
            Person.employee_number.is_(None),
            Person.external_id.in_(placeholder_keys),
        )
    )
    found = list(
        session.scalars(
            select(Person).where(
                Person.organisation_id == organisation_id,
                Person.user_name.is_(None),
                or_(*conditions),
            )
        )
    )
    if len(found) > 1:
        raise uniqueness(
            "externalId, employeeNumber and e-mail name different existing people; "
            "correct the IdP data or the people first"
        )
    return found[0] if found else None


def _write(session: Session, person: Person, values: UserValues) -> None:
    _check_unique(session, person, values)
    before = (person.manager_id, person.active)
    person.user_name = values.user_name
    person.external_id = values.external_id
    person.given_name = values.given_name
    person.family_name = values.family_name
    person.email = values.email
    person.title = values.title
    person.active = values.active
    person.employee_number = values.employee_number
    person.department = values.department
    person.preferred_language = values.preferred_language
    person.manager_id = _manager_id(session, person, values.manager)
    flush(session, "the User")
    if (person.manager_id, person.active) != before:
        sync_supervisors(session, _affected_teams(session, person))


def _check_unique(session: Session, person: Person, values: UserValues) -> None:
    others = select(Person.id).where(
        Person.organisation_id == person.organisation_id, Person.id != person.id
    )
    checks = [
        ("userName", values.user_name, func.lower(Person.user_name), values.user_name.lower()),
        ("externalId", values.external_id, Person.external_id, values.external_id),
        ("employeeNumber", values.employee_number, Person.employee_number, values.employee_number),
        ("e-mail", values.email, func.lower(Person.email), (values.email or "").lower()),
    ]
    for label, given, column, compared in checks:
        if given is not None and session.scalar(others.where(column == compared).limit(1)):
            raise uniqueness(f"{label} {given!r} belongs to another person")


def _manager_id(session: Session, person: Person, value: str | None) -> uuid.UUID | None:
    """The manager's person id; a placeholder stands in for one not provisioned yet."""
    if value is None:
        return None
    org = person.organisation_id
    manager: Person | None = None
    try:
        manager = session.get(Person, uuid.UUID(value))
    except ValueError:
        manager = None
    if manager is not None and manager.organisation_id != org:
        manager = None
    in_org = select(Person).where(Person.organisation_id == org)
    for condition in (
        Person.external_id == value,
        Person.employee_number == value,
        func.lower(Person.user_name) == value.lower(),
    ):
        if manager is not None:
            break
        manager = session.scalar(in_org.where(condition).limit(1))
    if manager is None:
        manager = add_person(session, org, external_id=value, active=False)
        # Stored before the report points at it: the unit of work does not order rows of
        # one table by a foreign key without a relationship.
        flush(session, "the manager reference")
        return manager.id
    if manager.id == person.id:
        raise invalid_value("manager.value: a user cannot be their own manager")
    return manager.id


def _affected_teams(session: Session, person: Person) -> set[uuid.UUID]:
    """Teams whose supervisors depend on the person: theirs and their reports'."""
    reports = select(Person.id).where(Person.manager_id == person.id)
    return set(
        session.scalars(
            select(TeamMember.team_id).where(
                TeamMember.role == TeamRole.MEMBER,
                or_(TeamMember.person_id == person.id, TeamMember.person_id.in_(reports)),
            )
        )
    )
