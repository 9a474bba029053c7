"""SCIM Groups are the organisation's teams (``id`` = the team's id).

``displayName`` is the team's name; the slug a team needs is derived from it once, at
creation (ASCII-folded, lower-case, made unique with ``-2``, ``-3`` …), and kept when the
group is renamed, because slugs are identifiers other files and URLs use.

``members`` are the team's members who are SCIM Users. A PUT or PATCH manages exactly those:
members added through the API or definition files who are not provisioned stay, as do the
team's parent and paths. Supervisors are not members: they follow from the members'
managers (:func:`~badgeservice.scim.services.sync_supervisors`).

DELETE removes the team and its memberships, unless paths, path targets or child teams
refer to it: then 409, because deleting would lose path history or orphan teams; the
operator detaches those through the API first.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..audit.services import record, target_of
from ..db import utcnow
from ..paths.models import Path, PathTarget
from ..people.models import Person, Team, TeamMember, TeamRole
from ..people.teams import TeamData, create_team
from .errors import ScimError, invalid_filter, invalid_value, uniqueness
from .filters import AttrPath, Filter
from .query import Column, Paging, read_page, to_sql
from .schema import CORE_GROUP
from .services import flush, sync_supervisors, version

__all__ = [
    "create_group",
    "delete_group",
    "get_group",
    "group_document",
    "group_resource",
    "list_groups",
    "replace_group",
]


@dataclass(frozen=True)
class GroupValues:
    display_name: str
    external_id: str | None
    members: tuple[uuid.UUID, ...]


def _provisioned_members(session: Session, team: Team) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(TeamMember, TeamMember.person_id == Person.id)
            .where(
                TeamMember.team_id == team.id,
                TeamMember.role == TeamRole.MEMBER,
                Person.user_name.is_not(None),
            )
            .order_by(Person.created_at, Person.id)
        )
    )


def group_document(session: Session, team: Team, base: str) -> dict[str, Any]:
    """The team as a SCIM document (no ``id``, ``meta`` or ``schemas``)."""
    doc: dict[str, Any] = {"displayName": team.name}
    if team.external_id is not None:
        doc["externalId"] = team.external_id
    doc["members"] = [
        {
            "value": str(person.id),
            "$ref": f"{base}/Users/{person.id}",
            "display": person.display_name,
            "type": "User",
        }
        for person in _provisioned_members(session, team)
    ]
    return doc


def group_resource(session: Session, team: Team, base: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [CORE_GROUP],
        "id": str(team.id),
        **group_document(session, team, base),
        "meta": {
            "resourceType": "Group",
            "created": team.created_at.isoformat(),
            "lastModified": team.updated_at.isoformat(),
            "location": f"{base}/Groups/{team.id}",
        },
    }
    resource["meta"]["version"] = version(resource)
    return resource


def group_values(session: Session, organisation_id: uuid.UUID, doc: dict[str, Any]) -> GroupValues:
    """Check a Group document; members must be Users of the organisation."""
    name = doc.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise invalid_value("displayName is required and must be a string")
    if len(name.strip()) > 200:
        raise invalid_value("displayName must be at most 200 characters")
    external_id = doc.get("externalId")
    if external_id is not None and (not isinstance(external_id, str) or len(external_id) > 300):
        raise invalid_value("externalId must be a string of at most 300 characters")
    members = doc.get("members") or []
    if not isinstance(members, list):
        raise invalid_value("members must be a list")
    ids: list[uuid.UUID] = []
    for index, member in enumerate(members):
        if not isinstance(member, dict):
            raise invalid_value(f"members[{index}] must be an object")
        kind = member.get("type")
        if kind is not None and (not isinstance(kind, str) or kind.lower() != "user"):
            raise invalid_value(f"members[{index}]: only Users can be members (no nested groups)")
        value = member.get("value")
        try:
            person_id = uuid.UUID(value) if isinstance(value, str) else None
        except ValueError:
            person_id = None
        if person_id is None:
            raise invalid_value(f"members[{index}].value must be the id of a User")
        if person_id not in ids:
            ids.append(person_id)
    known = set(
        session.scalars(
            select(Person.id).where(
                Person.organisation_id == organisation_id,
                Person.user_name.is_not(None),
                Person.id.in_(ids),
            )
        )
    )
    for person_id in ids:
        if person_id not in known:
            raise invalid_value(f"members: no User {person_id} in this organisation")
    external_id = external_id.strip() or None if external_id else None
    return GroupValues(name.strip(), external_id, tuple(ids))


# -- reads -------------------------------------------------------------------------------------


def get_group(session: Session, organisation_id: uuid.UUID, group_id: str) -> Team:
    try:
        key = uuid.UUID(group_id)
    except ValueError:
        raise ScimError(404, f"no Group {group_id!r}") from None
    team = session.get(Team, key)
    if team is None or team.organisation_id != organisation_id:
        raise ScimError(404, f"no Group {group_id}")
    return team


def _members_of(condition: Any) -> Any:
    return exists(
        select(TeamMember.id)
        .join(Person, Person.id == TeamMember.person_id)
        .where(
            TeamMember.team_id == Team.id,
            TeamMember.role == TeamRole.MEMBER,
            Person.user_name.is_not(None),
            condition,
        )
    )


def _column(path: AttrPath) -> Column:
    name = (f"{path.attr}.{path.sub}" if path.sub else path.attr).lower()
    columns = {
        "id": Column(Team.id, "uuid"),
        "displayname": Column(Team.name, "ci"),
        "externalid": Column(Team.external_id, "exact"),
        "members": Column(TeamMember.person_id, "uuid", _members_of),
        "members.value": Column(TeamMember.person_id, "uuid", _members_of),
        "meta.created": Column(Team.created_at, "datetime"),
        "meta.lastmodified": Column(Team.updated_at, "datetime"),
    }
    column = columns.get(name)
    if column is None or path.urn not in (None, CORE_GROUP):
        raise invalid_filter(f"cannot filter Groups on {path}")
    return column


def list_groups(
    session: Session, organisation_id: uuid.UUID, where: Filter | None, page: Paging
) -> tuple[int, list[Team]]:
    query = select(Team).where(Team.organisation_id == organisation_id)
    if where is not None:
        query = query.where(to_sql(where, _column))
    return read_page(session, query, Team.created_at, Team.id, page=page)


# -- writes ------------------------------------------------------------------------------------


def create_group(session: Session, organisation_id: uuid.UUID, doc: dict[str, Any]) -> Team:
    values = group_values(session, organisation_id, doc)
    slug = _free_slug(session, organisation_id, values.display_name)
    team = create_team(session, organisation_id, TeamData(slug=slug, name=values.display_name))
    _write(session, team, values)
    return team


def replace_group(session: Session, team: Team, doc: dict[str, Any]) -> Team:
    _write(session, team, group_values(session, team.organisation_id, doc))
    _audit(session, team, "team.replaced")
    return team


def _audit(session: Session, team: Team, action: str) -> None:
    record(session, team.organisation_id, action, target_of("team", team.id, team.slug), {})


def delete_group(session: Session, team: Team) -> None:
    referring = (
        ("paths", select(Path.id).where(Path.team_id == team.id)),
        ("path targets", select(PathTarget.id).where(PathTarget.team_id == team.id)),
        ("child teams", select(Team.id).where(Team.parent_id == team.id)),
    )
    for what, query in referring:
        if session.scalar(query.limit(1)) is not None:
            raise ScimError(
                409,
                f"the team is referred to by {what}; detach them through the API before "
                "deleting the group",
            )
    _audit(session, team, "team.deleted")
    session.delete(team)
    flush(session, "the Group")


def _write(session: Session, team: Team, values: GroupValues) -> None:
    if values.external_id is not None and session.scalar(
        select(Team.id)
        .where(
            Team.organisation_id == team.organisation_id,
            Team.id != team.id,
            Team.external_id == values.external_id,
        )
        .limit(1)
    ):
        raise uniqueness(f"externalId {values.external_id!r} belongs to another Group")
    team.name = values.display_name
    team.external_id = values.external_id
    team.provisioned = True
    flush(session, "the Group")
    wanted = set(values.members)
    current = {p.id for p in _provisioned_members(session, team)}
    if wanted != current:
        team.members = [
            m
            for m in team.members
            if m.role != TeamRole.MEMBER or m.person_id not in current or m.person_id in wanted
        ]
        team.members += [
            TeamMember(person_id=p, role=TeamRole.MEMBER)
            for p in values.members
            if p not in current
        ]
        team.updated_at = utcnow()
    flush(session, "the Group")
    sync_supervisors(session, [team.id])


def _free_slug(session: Session, organisation_id: uuid.UUID, name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:50].strip("-") or "team"
    taken = set(
        session.scalars(
            select(Team.slug).where(
                Team.organisation_id == organisation_id, Team.slug.startswith(base)
            )
        )
    )
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
