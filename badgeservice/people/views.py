"""People and team views; a person is deactivated, never deleted, so their credentials stay."""

from __future__ import annotations

from flask import Blueprint, Response

from ..api import dump, dump_page, load_body, load_query, paginate, parse_ref, partial
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from .models import Person, Team
from .schemas import (
    PeopleQuery,
    PersonInSchema,
    PersonSchema,
    TeamInSchema,
    TeamListQuery,
    TeamMembersInSchema,
    TeamSchema,
)
from .services import (
    PersonData,
    create_person,
    deactivate_person,
    get_team,
    people_query,
    teams_query,
    update_person,
    visible_person,
    visible_teams,
)
from .teams import TeamData, create_team, replace_members, update_team

__all__ = ["api"]

api = Blueprint("people", __name__, url_prefix="/api/v1")


def _own_person(person_id: str) -> Person:
    """The person, if the caller may see them (see :func:`visible_person`)."""
    return visible_person(get_session(), current_principal(), parse_ref(person_id))


def _own_team(team_id: str) -> Team:
    """The team, if the caller may see it (a team:read token: the supervised ones)."""
    principal, session = current_principal(), get_session()
    team = get_team(session, principal.organisation_id, parse_ref(team_id))
    teams = visible_teams(session, principal)
    if teams is not None and team.id not in teams:
        raise NotFound(f"no team {team_id!r}")
    return team


@api.get("/people")
@requires("admin", "awards:write", "hr:read")
def list_people_view() -> Response:
    """The organisation's people, narrowed by employee number, e-mail, team or active.
    ---
    get:
      tags: [people]
      parameters:
        - {in: query, schema: PeopleQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: PersonSchema}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    query = load_query(PeopleQuery())
    session, organisation_id = get_session(), current_principal().organisation_id
    team = get_team(session, organisation_id, query["team"]) if "team" in query else None
    statement = people_query(
        organisation_id,
        employee_number=query.get("employee_number"),
        email=query.get("email"),
        team_id=team.id if team is not None else None,
        active=query.get("active"),
    )
    return dump_page(PersonSchema(), paginate(statement, query))


@api.post("/people")
@requires("admin")
def create_person_view() -> Response:
    """Add a person, identified by an employee number or an e-mail (or both).
    ---
    post:
      tags: [people]
      requestBody: {required: true, content: {application/json: {schema: PersonInSchema}}}
      responses:
        201: {content: {application/json: {schema: PersonSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    data = load_body(PersonInSchema())
    person = create_person(get_session(), current_principal().organisation_id, PersonData(**data))
    return dump(PersonSchema(), person, 201)


@api.get("/people/<person_id>")
@requires("admin", "awards:write", "hr:read", "team:read")
def get_person_view(person_id: str) -> Response:
    """One person with their LMS accounts and teams.
    ---
    get:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: PersonSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(PersonSchema(), _own_person(person_id))


@api.patch("/people/<person_id>")
@requires("admin")
def update_person_view(person_id: str) -> Response:
    """Change the given fields; ``lmsAccounts`` replaces the person's accounts.
    ---
    patch:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: PersonInSchema}}}
      responses:
        200: {content: {application/json: {schema: PersonSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    person = _own_person(person_id)
    changes = load_body(partial(PersonInSchema))
    return dump(PersonSchema(), update_person(get_session(), person, changes))


@api.delete("/people/<person_id>")
@requires("admin")
def deactivate_person_view(person_id: str) -> Response:
    """Deactivate the person: nothing more is issued to them, earned credentials stay.
    ---
    delete:
      tags: [people]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: PersonSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(PersonSchema(), deactivate_person(get_session(), _own_person(person_id)))


# -- teams -----------------------------------------------------------------------------


@api.get("/teams")
@requires("admin", "awards:write", "hr:read", "team:read")
def list_teams_view() -> Response:
    """The organisation's teams by slug.
    ---
    get:
      tags: [teams]
      parameters:
        - {in: query, schema: TeamListQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: TeamSchema}
        400: {$ref: '#/components/responses/BadRequest'}
    """
    query = load_query(TeamListQuery())
    principal, session = current_principal(), get_session()
    statement = teams_query(principal.organisation_id, only=visible_teams(session, principal))
    return dump_page(TeamSchema(), paginate(statement, query))


@api.post("/teams")
@requires("admin")
def create_team_view() -> Response:
    """Add a team with its parent and members (role ``member`` or ``supervisor``).
    ---
    post:
      tags: [teams]
      requestBody: {required: true, content: {application/json: {schema: TeamInSchema}}}
      responses:
        201: {content: {application/json: {schema: TeamSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    data = load_body(TeamInSchema())
    team = create_team(get_session(), current_principal().organisation_id, TeamData(**data))
    return dump(TeamSchema(), team, 201)


@api.get("/teams/<team_id>")
@requires("admin", "awards:write", "hr:read", "team:read")
def get_team_view(team_id: str) -> Response:
    """One team with its members.
    ---
    get:
      tags: [teams]
      parameters: [{in: path, name: team_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: TeamSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    return dump(TeamSchema(), _own_team(team_id))


@api.patch("/teams/<team_id>")
@requires("admin")
def update_team_view(team_id: str) -> Response:
    """Change slug, name or parent (no cycles); ``members`` replaces the membership.
    ---
    patch:
      tags: [teams]
      parameters: [{in: path, name: team_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: TeamInSchema}}}
      responses:
        200: {content: {application/json: {schema: TeamSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        409: {$ref: '#/components/responses/Conflict'}
    """
    team = _own_team(team_id)
    changes = load_body(partial(TeamInSchema))
    return dump(TeamSchema(), update_team(get_session(), team, changes))


@api.put("/teams/<team_id>/members")
@requires("admin")
def replace_members_view(team_id: str) -> Response:
    """Replace the team's whole membership.
    ---
    put:
      tags: [teams]
      parameters: [{in: path, name: team_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: TeamMembersInSchema}}}
      responses:
        200: {content: {application/json: {schema: TeamSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    team = _own_team(team_id)
    data = load_body(TeamMembersInSchema())
    return dump(TeamSchema(), replace_members(get_session(), team, data["members"]))
