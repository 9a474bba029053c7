"""Competence reserve, holders (JSON, CSV and XLSX) and the supervisor's team overview."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ...api import dump, load_query, parse_ref
from ...auth import current_principal, requires
from ...db import database, get_session
from ...errors import Forbidden, NotFound
from ...paths.progress import PathProgress
from ...people.models import Team
from ...people.services import get_team, visible_teams
from . import exports
from .holders import day_end, holders, resolve_competence
from .schemas import (
    HolderSchema,
    HoldersQuery,
    OverviewQuery,
    ReserveQuery,
    ReserveSchema,
    TeamOverviewSchema,  # noqa: F401 - the documented shape of _overview_json
)
from .supervision import LatestAchievement, TeamOverview, team_overview
from .targets import reserve

__all__ = ["api"]

api = Blueprint("hr_reserve", __name__, url_prefix="/api/v1")


@api.get("/hr/reserve")
@requires("hr:read", "team:read")
def reserve_view() -> Response:
    """The competence reserve against the path targets, for the organisation or one team.

    For each target (a competence, a level, a share of people, a due date) of the
    organisation paths - with ``team``, those for everyone or for that team plus the
    targets of the team's own paths - the population's holders by level 1-8, the share
    at or above the target level, the gap (people still needed: ceil(target share x
    population) - reached, at least 0) and the trend.

    Population: the organisation's active people, or the team's active members; in the
    organisation view a target naming a team is measured on that team. A holder is a
    person whose best active recognised level of the competence is still valid; revoked
    and expired recognitions do not count. Trend: for each of the last ``months``
    completed calendar months (UTC), the people of today's population who held the
    competence at or above the target level at the month's end, from the recognitions'
    ``valid_from``, ``ended_at`` and ``valid_until``.
    ---
    get:
      tags: [hr]
      parameters:
        - {in: query, name: team, schema: {type: string}, description: "a team id or slug"}
        - {in: query, name: months, schema: {type: integer, minimum: 0, maximum: 36}}
      responses:
        200: {content: {application/json: {schema: ReserveSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    query = load_query(ReserveQuery())
    session, organisation_id = get_session(), current_principal().organisation_id
    team = _team(query.get("team"))
    result = reserve(
        session,
        organisation_id,
        team_id=team.id if team is not None else None,
        months=query["months"],
    )
    return dump(ReserveSchema(), result)


@api.get("/hr/holders")
@requires("hr:read", "team:read")
def holders_view() -> Response:
    """Who holds a competence at a level or above: JSON pages, CSV or XLSX.

    Active people whose best active recognised level of ``competence`` is at least
    ``minLevel`` (default 0: every holder; level 0 means the recognition states no
    level), optionally only ``team``'s members, and valid for the whole of day
    ``validAt`` (default: valid now; a holding whose ``validUntil`` has passed does not
    count). Highest level first, then by family and given name. ``format=csv`` or
    ``Accept: text/csv`` streams the same as CSV (RFC 4180, a header row; every match
    unless ``limit`` is given; UTF-8 with a byte-order mark so Excel reads it as UTF-8;
    ``separator=semicolon`` for Excel in locales with a decimal comma; cells a
    spreadsheet would run as a formula are prefixed with ``'``). ``format=xlsx`` (or
    that Accept type) answers an Excel workbook, text cells stored as text.
    ---
    get:
      tags: [hr]
      parameters:
        - in: query
          name: competence
          required: true
          schema: {type: string}
          description: a competence id, or framework-slug:code (e.g. digcomp22:4.2)
        - {in: query, name: minLevel, schema: {type: integer, minimum: 0, maximum: 8}}
        - {in: query, name: team, schema: {type: string}, description: "a team id or slug"}
        - {in: query, name: validAt, schema: {type: string, format: date}}
        - {in: query, name: format, schema: {type: string, enum: [json, csv, xlsx]}}
        - in: query
          name: separator
          schema: {type: string, enum: [comma, semicolon], default: comma}
          description: the CSV separator (semicolon for Excel in locales with a decimal comma)
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 1000}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0}}
      responses:
        200:
          content:
            application/json:
              schema: {type: object, properties: {items: {type: array, items: HolderSchema}}}
            text/csv:
              schema: {type: string}
            application/vnd.openxmlformats-officedocument.spreadsheetml.sheet:
              schema: {type: string, format: binary}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    query = load_query(HoldersQuery())
    session = get_session()
    organisation_id = current_principal().organisation_id
    competence = resolve_competence(session, organisation_id, query["competence"])
    team = _team(query.get("team"))
    options: dict[str, Any] = {
        "min_level": query["min_level"],
        "team_id": team.id if team is not None else None,
        "valid_at": day_end(query["valid_at"]) if "valid_at" in query else None,
        "offset": query["offset"],
    }
    wanted = _format(query.get("format"))
    if wanted == "json":
        rows = holders(
            session, organisation_id, competence.id, limit=query.get("limit", 100), **options
        )
        return dump(HolderSchema(many=True), rows, wrap="items")
    name = re.sub(r"[^A-Za-z0-9.-]", "_", competence.code)
    filename = f"holders-{name}-level-{query['min_level']}.{wanted}"
    export = (database(), organisation_id, competence.id, competence.code, query.get("limit"))
    if wanted == "xlsx":
        response = Response(exports.xlsx_bytes(*export, options), mimetype=exports.XLSX)
    else:
        separator = exports.SEPARATORS[query["separator"]]
        response = Response(exports.csv_stream(*export, options, separator), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _team(ref: uuid.UUID | str | None) -> Team | None:
    """The team of a query, if the caller may see it. A team:read token reads only the
    teams its supervisor supervises: another team is not found, and an organisation-wide
    question (no team) is not allowed."""
    principal, session = current_principal(), get_session()
    visible = visible_teams(session, principal)
    if ref is None:
        if visible is not None:
            raise Forbidden("a team:read token answers for its own teams only: give team")
        return None
    team = get_team(session, principal.organisation_id, ref)
    if visible is not None and team.id not in visible:
        raise NotFound(f"no team {ref!r}" if isinstance(ref, str) else f"no team {ref}")
    return team


def _format(format_: str | None) -> str:
    """``format``, else what the Accept header prefers: json, csv or xlsx."""
    if format_ is not None:
        return format_
    offered = {"application/json": "json", "text/csv": "csv", exports.XLSX: "xlsx"}
    return offered[request.accept_mimetypes.best_match(list(offered)) or "application/json"]


@api.get("/teams/<team_id>/overview")
@requires("hr:read", "team:read")
def team_overview_view(team_id: str) -> Response:
    """The supervisor's view of a team: each member's path progress and latest achievements.

    Members of any role, by name, each with every path they are on (organisation, their
    teams', individual) as required sub-goals achieved of the total and whether complete,
    and their ``latest`` newest credentials. To follow changes, pass the answer's
    ``cursor`` as ``since``: only members with a change after it are listed (a credential
    issued or revoked, a recognition expired, the person's record changed; a member may
    be listed twice, never missed), and ``memberIds`` always holds the whole membership.
    The answer has an ETag over its content: ``If-None-Match`` gets a 304 when nothing
    changed.
    ---
    get:
      tags: [teams, hr]
      parameters:
        - {in: path, name: team_id, required: true, schema: {type: string}}
        - {in: query, name: since, schema: {type: string, format: date-time}}
        - {in: query, name: latest, schema: {type: integer, minimum: 0, maximum: 20}}
      responses:
        200: {content: {application/json: {schema: TeamOverviewSchema}}}
        304: {description: Not modified since the ETag given in If-None-Match.}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    query = load_query(OverviewQuery())
    session, organisation_id = get_session(), current_principal().organisation_id
    team = _team(parse_ref(team_id))
    assert team is not None
    overview = team_overview(
        session,
        organisation_id,
        team.id,
        since=query.get("since"),
        latest=query["latest"],
    )
    data = _overview_json(overview)
    content = {key: value for key, value in data.items() if key not in ("generatedAt", "cursor")}
    content["latest"] = query["latest"]
    tag = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:32]
    fresh = request.if_none_match.contains_weak(tag)
    response = Response(status=304) if fresh else jsonify(data)
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _overview_json(overview: TeamOverview) -> dict[str, Any]:
    """The overview as :class:`TeamOverviewSchema` documents it, built directly: for a team
    of 200 the generic serialiser took as long as all the queries together."""

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    def path(item: PathProgress) -> dict[str, Any]:
        total = len(item.required)
        achieved = sum(1 for goal in item.required if goal.id in item.achieved)
        return {
            "id": str(item.path.id),
            "slug": item.path.slug,
            "kind": item.path.kind,
            "name": item.path.name,
            "requiredTotal": total,
            "requiredAchieved": achieved,
            "share": achieved / total if total else 1.0,
            "complete": achieved == total,
        }

    def latest(item: LatestAchievement) -> dict[str, Any]:
        return {
            "credential": str(item.credential_id),
            "achievement": str(item.achievement_id),
            "name": item.name,
            "issuedAt": when(item.issued_at),
            "revokedAt": when(item.revoked_at),
        }

    team = overview.team
    return {
        "team": {"id": str(team.id), "slug": team.slug, "name": team.name},
        "generatedAt": when(overview.generated_at),
        "cursor": when(overview.cursor),
        "since": when(overview.since),
        "memberIds": [str(person_id) for person_id in overview.member_ids],
        "members": [
            {
                "id": str(member.person.id),
                "employeeNumber": member.person.employee_number,
                "displayName": member.person.display_name,
                "email": member.person.email,
                "active": member.person.active,
                "roles": member.roles,
                "paths": [path(item) for item in member.paths],
                "latest": [latest(item) for item in member.latest],
            }
            for member in overview.members
        ],
    }
