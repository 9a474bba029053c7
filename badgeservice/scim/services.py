"""What users and groups share: supervisors from the reporting line, versions, projection.

**Supervisors.** A team that SCIM writes to, or whose members' managers SCIM changes, gets
its supervisors from the reporting line: they are exactly the *active* managers of the
team's members (role ``member``). A team lead who is a member and reports to someone is
both a member and a supervisor; their own manager supervises the team too (indirect
reports). The rule replaces the team's supervisor rows whenever it runs, so on a team
provisioned over SCIM the IdP's ``manager`` is the one source of the supervisor role; a
team SCIM never touches keeps the supervisors set through the API or definition files.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from ..db import utcnow
from ..people.models import Person, Team, TeamMember, TeamRole
from .errors import invalid_value, uniqueness
from .filters import FilterError, attr_path
from .schema import ResourceType

__all__ = ["flush", "project", "sync_supervisors", "version"]


def flush(session: Session, what: str) -> None:
    """Flush; a uniqueness rule hit by a concurrent request is a 409 ``uniqueness``."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise uniqueness(f"{what} conflicts with data stored meanwhile; retry") from exc


def sync_supervisors(session: Session, team_ids: Iterable[uuid.UUID]) -> None:
    """Make the supervisors of these teams the active managers of their members: of the
    teams provisioned over SCIM (Groups) only; the supervisors of a team the definition
    files or the API keep are theirs."""
    ids = set(team_ids)
    if not ids:
        return
    session.flush()
    member, manager = aliased(Person), aliased(Person)
    rows = session.execute(
        select(TeamMember.team_id, member.manager_id)
        .join(member, member.id == TeamMember.person_id)
        .join(manager, manager.id == member.manager_id)
        .where(
            TeamMember.team_id.in_(ids),
            TeamMember.role == TeamRole.MEMBER,
            manager.active.is_(True),
        )
    ).all()
    wanted: dict[uuid.UUID, set[uuid.UUID]] = {team_id: set() for team_id in ids}
    for team_id, manager_id in rows:
        if manager_id is not None:
            wanted[team_id].add(manager_id)
    teams = session.scalars(
        select(Team)
        .where(Team.id.in_(ids), Team.provisioned.is_(True))
        .options(selectinload(Team.members))
        .execution_options(populate_existing=True)
    )
    for team in teams:
        keep = wanted[team.id]
        before = len(team.members)
        team.members = [
            m for m in team.members if m.role != TeamRole.SUPERVISOR or m.person_id in keep
        ]
        have = {m.person_id for m in team.members if m.role == TeamRole.SUPERVISOR}
        team.members += [
            TeamMember(person_id=p, role=TeamRole.SUPERVISOR) for p in sorted(keep - have, key=str)
        ]
        if len(team.members) != before or keep - have:
            team.updated_at = utcnow()
    session.flush()


def version(resource: dict[str, Any]) -> str:
    """The weak entity tag of a representation: a digest of it without ``meta``."""
    content = {k: v for k, v in resource.items() if k != "meta"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()
    return f'W/"{digest[:24]}"'


def project(
    resource: dict[str, Any],
    resource_type: ResourceType,
    attributes: str | None,
    excluded: str | None,
) -> dict[str, Any]:
    """``attributes``/``excludedAttributes`` (RFC 7644 §3.4.2.5) applied to a
    representation; ``id`` and ``schemas`` are always returned."""
    if attributes:
        chosen: dict[str, Any] = {"schemas": resource["schemas"], "id": resource["id"]}
        for name in _names(attributes):
            _copy(resource, chosen, resource_type, name)
        return chosen
    if excluded:
        result = json.loads(json.dumps(resource))
        for name in _names(excluded):
            _drop(result, resource_type, name)
        return dict(result)
    return resource


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if len(names) > 100:
        raise invalid_value("name at most 100 attributes")
    return names


def _locate(
    resource: dict[str, Any], resource_type: ResourceType, name: str
) -> tuple[list[str], str | None] | None:
    """The keys leading to the named attribute in a representation, and a sub-attribute."""
    extension = next((s for s in resource_type.extensions if s.id.lower() == name.lower()), None)
    if extension is not None:
        return [extension.id], None
    try:
        path = attr_path(name)
    except FilterError:
        return None
    containers: list[list[str]] = [[]] if path.urn in (None, resource_type.schema.id) else []
    containers += [[s.id] for s in resource_type.extensions if path.urn in (None, s.id)]
    for prefix in containers:
        holder: Any = resource
        for step in prefix:
            holder = holder.get(step) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            key = next((k for k in holder if k.lower() == path.attr.lower()), None)
            if key is not None:
                return [*prefix, key], path.sub
    return None


def _copy(
    source: dict[str, Any], target: dict[str, Any], resource_type: ResourceType, name: str
) -> None:
    found = _locate(source, resource_type, name)
    if found is None:
        return
    keys, sub = found
    value: Any = source
    for key in keys:
        value = value[key]
    holder = target
    for key in keys[:-1]:
        holder = holder.setdefault(key, {})
    if sub is None:
        holder[keys[-1]] = value
        return
    if isinstance(value, list):
        picked = [{k: v for k, v in e.items() if k.lower() == sub.lower()} for e in value]
        holder[keys[-1]] = [p for p in picked if p]
    elif isinstance(value, dict):
        part = holder.setdefault(keys[-1], {})
        part.update({k: v for k, v in value.items() if k.lower() == sub.lower()})


def _drop(resource: dict[str, Any], resource_type: ResourceType, name: str) -> None:
    if name.lower() in ("id", "schemas"):
        return
    found = _locate(resource, resource_type, name)
    if found is None:
        return
    keys, sub = found
    holder: Any = resource
    for key in keys[:-1]:
        holder = holder[key]
    if sub is None:
        del holder[keys[-1]]
        return
    value = holder[keys[-1]]
    for element in value if isinstance(value, list) else [value]:
        if isinstance(element, dict):
            for key in [k for k in element if k.lower() == sub.lower()]:
                del element[key]
