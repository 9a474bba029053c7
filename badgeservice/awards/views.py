"""Awards views: manual awards, revocation, and a person's progress on their paths."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..achievements.services import get_achievement
from ..api import dump, dump_page, load_body, own, parse_ref
from ..auth import current_principal, requires
from ..credentials import ob3
from ..db import get_session
from ..issuing.models import Credential
from ..issuing.schemas import CredentialSchema
from ..issuing.services import issuing_service
from ..issuing.views import credential_view
from ..paths.progress import PathProgress
from ..paths.services import get_sub_goal
from ..people.services import find_person, get_person, visible_person
from .awarding import award, revoke
from .progress import person_progress
from .schemas import AwardSchema, PersonPathSchema, RevokeSchema
from .signals import awarded

__all__ = ["api"]

api = Blueprint("awards", __name__, url_prefix="/api/v1")


@api.post("/awards")
@requires("awards:write")
def create_award() -> Response:
    """Award a sub-goal (or an achievement) to a person: 201 with a new credential, or 200
    with the valid one the person already holds for it. A person whose credential was
    revoked or has expired is issued a new one.
    ---
    post:
      tags: [awards]
      requestBody: {required: true, content: {application/json: {schema: AwardSchema}}}
      responses:
        201: {content: {application/json: {schema: CredentialSchema}}}
        200: {content: {application/json: {schema: CredentialSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        409:
          description: >-
            the person is deactivated, or the sub-goal's path waits for prerequisites the
            person has not achieved (`missing` lists them)
          content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}
    """
    data = load_body(AwardSchema())
    principal = current_principal()
    session = get_session()
    ref = data["person"]
    organisation_id = principal.organisation_id
    if "id" in ref:
        person = get_person(session, organisation_id, parse_ref(ref["id"]))
    else:
        person = find_person(
            session,
            organisation_id,
            employee_number=ref.get("employee_number"),
            email=ref.get("email"),
        )
    goal = get_sub_goal(session, organisation_id, data["sub_goal"]) if "sub_goal" in data else None
    achievement = (
        get_achievement(session, organisation_id, data["achievement"])
        if "achievement" in data
        else None
    )
    evidence = tuple(ob3.Evidence(**item) for item in data.get("evidence", []))
    outcome = award(
        session,
        issuing_service(session),
        person=person,
        sub_goal_id=goal.id if goal is not None else None,
        achievement_id=achievement.id if achievement is not None else None,
        awarded_by=f"client:{principal.name}",
        evidence=evidence,
    )
    if outcome.created:
        # Whatever waited for this (a completion held back for a prerequisite) goes on now.
        awarded.send(session=session, person_id=person.id)
    body = credential_view(outcome.credential, outcome.path_credentials)
    return dump(CredentialSchema(), body, 201 if outcome.created else 200)


@api.post("/credentials/<credential_id>/revoke")
@requires("admin", "awards:write")
def revoke_credential(credential_id: str) -> Response:
    """Revoke: flips the credential's bit in its issuer's status list.
    ---
    post:
      tags: [credentials]
      parameters: [{in: path, name: credential_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: RevokeSchema}}}
      responses:
        200: {content: {application/json: {schema: CredentialSchema}}}
        409: {$ref: '#/components/responses/Conflict'}
    """
    data = load_body(RevokeSchema())
    session = get_session()
    credential = revoke(
        session,
        issuing_service(session),
        own(Credential, credential_id, "credential"),
        data["reason"],
    )
    return dump(CredentialSchema(), credential_view(credential))


def _progress_view(item: PathProgress) -> dict[str, Any]:
    path = item.path
    own = list(path.sub_goals)
    inherited = [goal for goal in item.required if goal.path_id != path.id]
    return {
        "id": path.id,
        "slug": path.slug,
        "kind": path.kind,
        "name": path.name,
        "achievement": path.achievement_id,
        "approved_at": path.approved_at,
        "sub_goals": [
            {
                "id": goal.id,
                "slug": goal.slug,
                "name": goal.name,
                "achievement": goal.achievement_id,
                "path": goal.path_id,
                "required": goal.required,
                "inherited": goal.path_id != path.id,
                "achieved": goal.id in item.achieved,
                "out_of_order": item.out_of_order(goal),
            }
            for goal in own + inherited
        ],
        "required_total": len(item.required),
        "required_achieved": sum(goal.id in item.achieved for goal in item.required),
        "share": item.share,
        "complete": item.complete,
        "out_of_order": path.out_of_order,
    }


@api.get("/people/<person_id>/paths")
@requires("admin", "awards:write", "hr:read", "team:read")
def person_paths_view(person_id: str) -> Response:
    """The person's paths with their progress on each.

    Organisation paths, their teams' paths and their individual paths, each sub-goal marked
    achieved or not, with the share of required sub-goals done and whether the path is
    complete.
    ---
    get:
      tags: [people, paths]
      parameters: [{in: path, name: person_id, required: true, schema: {type: string}}]
      responses:
        200:
          content:
            application/json:
              schema: {page-of: PersonPathSchema}
        404: {$ref: '#/components/responses/NotFound'}
    """
    items = person_progress(
        get_session(), visible_person(get_session(), current_principal(), parse_ref(person_id))
    )
    return dump_page(PersonPathSchema(), [_progress_view(i) for i in items])
