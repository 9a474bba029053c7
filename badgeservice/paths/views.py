"""Path views: organisation, team and individual paths and the approval of individual ones."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..api import dump, dump_page, load_body, load_query, paginate, parse_ref
from ..auth import current_principal, requires
from ..db import get_session
from ..people.services import get_person, get_team
from .models import Path, PathKind, SubGoal
from .refs import resolve_changes, resolve_path_data, resolve_person
from .schemas import ApproveSchema, PathInSchema, PathListQuery, PathPatchSchema, PathSchema
from .services import (
    approve_individual_path,
    create_path,
    delete_path,
    get_path,
    inherited_sub_goals,
    paths_query,
    update_path,
)

__all__ = ["api"]

api = Blueprint("paths", __name__, url_prefix="/api/v1")


def goal_view(goal: SubGoal) -> dict[str, Any]:
    return {
        "id": goal.id,
        "slug": goal.slug,
        "name": goal.name,
        "achievement": goal.achievement_id,
        "competence": goal.competence_id,
        "level": goal.level,
        "position": goal.position,
        "required": goal.required,
        "prerequisites": [p.slug for p in goal.prerequisites],
        "triggers": goal.triggers,
        "path": goal.path_id,
        "texts": goal.texts or {},
    }


def _view(path: Path, inherited: list[SubGoal] | None = None) -> dict[str, Any]:
    body = {
        "id": path.id,
        "slug": path.slug,
        "kind": path.kind,
        "name": path.name,
        "description": path.description,
        "texts": path.texts or {},
        "team": path.team_id,
        "person": path.person_id,
        "achievement": path.achievement_id,
        "approved_by": path.approved_by_id,
        "approved_at": path.approved_at,
        "out_of_order": path.out_of_order,
        "created_at": path.created_at,
        "targets": [
            {
                "competence": t.competence_id,
                "level": t.level,
                "share": t.share,
                "due": t.due,
                "team": t.team_id,
                "position": t.position,
            }
            for t in path.targets
        ],
        "sub_goals": [goal_view(goal) for goal in path.sub_goals],
    }
    if inherited is not None:
        body["inherited"] = [goal_view(goal) for goal in inherited]
    return body


def _detail(path: Path) -> dict[str, Any]:
    """The path as GET /paths/{id} shows it: individual paths with what they inherit."""
    if path.kind != PathKind.INDIVIDUAL:
        return _view(path)
    return _view(path, inherited_sub_goals(get_session(), path))


def _own_path(path_id: str) -> Path:
    return get_path(get_session(), current_principal().organisation_id, parse_ref(path_id))


@api.get("/paths")
@requires("admin", "awards:write", "hr:read")
def list_paths_view() -> Response:
    """The organisation's paths by slug, filtered by kind, team or person.

    ``team`` and ``person`` select the team and individual paths of that team or person.
    ---
    get:
      tags: [paths]
      parameters:
        - {in: query, schema: PathListQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: PathSchema}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    query = load_query(PathListQuery())
    session, organisation_id = get_session(), current_principal().organisation_id
    team = get_team(session, organisation_id, query["team"]) if "team" in query else None
    person = get_person(session, organisation_id, query["person"]) if "person" in query else None
    statement = paths_query(
        organisation_id,
        kind=query.get("kind"),
        team_id=team.id if team is not None else None,
        person_id=person.id if person is not None else None,
    )
    return dump_page(PathSchema(), [_view(p) for p in paginate(statement, query)])


@api.post("/paths")
@requires("admin")
def create_path_view() -> Response:
    """Create a path with its targets, sub-goals and triggers in one request.

    An individual path also shows the required sub-goals it inherits from the person's
    organisation and team paths.
    ---
    post:
      tags: [paths]
      requestBody: {required: true, content: {application/json: {schema: PathInSchema}}}
      responses:
        201: {content: {application/json: {schema: PathSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    data = load_body(PathInSchema())
    session, organisation_id = get_session(), current_principal().organisation_id
    path = create_path(session, organisation_id, resolve_path_data(session, organisation_id, data))
    return dump(PathSchema(), _detail(path), 201)


@api.get("/paths/<path_id>")
@requires("admin", "awards:write", "hr:read")
def get_path_view(path_id: str) -> Response:
    """One path with its targets, sub-goals and triggers.

    An individual path also lists the ``inherited`` required sub-goals of the person's
    organisation and team paths.
    ---
    get:
      tags: [paths]
      parameters: [{in: path, name: path_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: PathSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(PathSchema(), _detail(_own_path(path_id)))


@api.patch("/paths/<path_id>")
@requires("admin")
def update_path_view(path_id: str) -> Response:
    """Change a path's name, description, badge, targets or sub-goals.

    ``subGoals`` replaces the sub-goals (matched by slug, so kept ones keep their ids),
    ``addSubGoals`` appends. A changed plan of an approved individual path needs
    approving again.
    ---
    patch:
      tags: [paths]
      parameters: [{in: path, name: path_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: PathPatchSchema}}}
      responses:
        200: {content: {application/json: {schema: PathSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    path = _own_path(path_id)
    changes = load_body(PathPatchSchema())
    session = get_session()
    changes = resolve_changes(session, path, changes)
    return dump(PathSchema(), _detail(update_path(session, path, changes)))


@api.delete("/paths/<path_id>")
@requires("admin")
def delete_path_view(path_id: str) -> Response:
    """Delete a path no credential was issued for.
    ---
    delete:
      tags: [paths]
      parameters: [{in: path, name: path_id, required: true, schema: {type: string}}]
      responses:
        204: {description: deleted}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    delete_path(get_session(), _own_path(path_id))
    return Response(status=204)


@api.post("/paths/<path_id>/approve")
@requires("admin")
def approve_path_view(path_id: str) -> Response:
    """A supervisor of one of the person's teams approves their individual path.
    ---
    post:
      tags: [paths]
      parameters: [{in: path, name: path_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: ApproveSchema}}}
      responses:
        200: {content: {application/json: {schema: PathSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        403: {description: the supervisor does not supervise a team of the person}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    path = _own_path(path_id)
    data = load_body(ApproveSchema())
    session = get_session()
    supervisor = resolve_person(session, path.organisation_id, data["supervisor"], "supervisor")
    approve_individual_path(session, path, supervisor)
    return dump(PathSchema(), _detail(path))
