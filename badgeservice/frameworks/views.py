"""Framework API: install DigComp 2.2, import CASE packages, browse frameworks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..achievements.services import aligned_competence_ids
from ..api import dump, dump_page, load_body, load_query, paginate, parse_id
from ..auth import current_principal, requires
from ..db import get_session
from .models import Competence, Framework
from .schemas import (
    CompetenceDetailSchema,
    FrameworkImportSchema,
    FrameworkInstallSchema,
    FrameworkListQuery,
    FrameworkSchema,
    FrameworkSummarySchema,
)
from .services import (
    frameworks_query,
    get_competence,
    get_framework,
    import_case_package,
    install_known_framework,
)

__all__ = ["api"]

api = Blueprint("frameworks", __name__, url_prefix="/api/v1")

_FIELDS = (
    "id",
    "slug",
    "name",
    "version",
    "uri",
    "publisher",
    "description",
    "source",
    "created_at",
    "texts",
)


def _summary(framework: Framework, count: int) -> dict[str, Any]:
    return {key: getattr(framework, key) for key in _FIELDS} | {"competence_count": count}


def _detail(framework: Framework, change: str | None = None) -> dict[str, Any]:
    body = _summary(framework, len(framework.competences))
    body["levels"] = framework.levels
    body["competences"] = framework.competences
    if change is not None:
        body["change"] = change
    return body


@api.get("/frameworks")
@requires("admin", "awards:write", "hr:read")
def list_frameworks_view() -> Response:
    """The organisation's frameworks by slug.
    ---
    get:
      tags: [frameworks]
      parameters:
        - {in: query, schema: FrameworkListQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: FrameworkSummarySchema}
        400: {$ref: '#/components/responses/BadRequest'}
    """
    query = load_query(FrameworkListQuery())
    rows = paginate(frameworks_query(current_principal().organisation_id), query)
    return dump_page(FrameworkSummarySchema(), [_summary(*row) for row in rows])


@api.post("/frameworks")
@requires("admin")
def install_framework_view() -> Response:
    """Install a shipped framework (DigComp 2.2); installing again updates it in place.
    ---
    post:
      tags: [frameworks]
      requestBody: {required: true, content: {application/json: {schema: FrameworkInstallSchema}}}
      responses:
        201: {content: {application/json: {schema: FrameworkSchema}}}
        200: {content: {application/json: {schema: FrameworkSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        409: {$ref: '#/components/responses/Conflict'}
        413: {$ref: '#/components/responses/PayloadTooLarge'}
    """
    data = load_body(FrameworkInstallSchema())
    session, organisation_id = get_session(), current_principal().organisation_id
    framework, change = install_known_framework(
        session,
        organisation_id,
        data["source"],
        data.get("slug"),
        in_use=aligned_competence_ids(session, organisation_id),
    )
    return dump(FrameworkSchema(), _detail(framework, change), 201 if change == "created" else 200)


@api.post("/frameworks/import")
@requires("admin")
def import_framework_view() -> Response:
    """Import a 1EdTech CASE package; importing it again updates it in place.
    ---
    post:
      tags: [frameworks]
      requestBody: {required: true, content: {application/json: {schema: FrameworkImportSchema}}}
      responses:
        201: {content: {application/json: {schema: FrameworkSchema}}}
        200: {content: {application/json: {schema: FrameworkSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        409: {$ref: '#/components/responses/Conflict'}
        413: {$ref: '#/components/responses/PayloadTooLarge'}
    """
    data = load_body(FrameworkImportSchema())
    session, organisation_id = get_session(), current_principal().organisation_id
    framework, change = import_case_package(
        session,
        organisation_id,
        data["package"],
        data.get("slug"),
        in_use=aligned_competence_ids(session, organisation_id),
        translations=data.get("translations"),
    )
    return dump(FrameworkSchema(), _detail(framework, change), 201 if change == "created" else 200)


@api.get("/frameworks/<framework_id>")
@requires("admin", "awards:write", "hr:read")
def get_framework_view(framework_id: str) -> Response:
    """One framework with its proficiency levels and competences in tree order.
    ---
    get:
      tags: [frameworks]
      parameters: [{in: path, name: framework_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: FrameworkSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    framework = get_framework(
        get_session(), current_principal().organisation_id, parse_id(framework_id, "framework")
    )
    return dump(FrameworkSchema(), _detail(framework))


@api.get("/frameworks/<framework_id>/competences/<path:code>")
@requires("admin", "awards:write", "hr:read")
def get_competence_view(framework_id: str, code: str) -> Response:
    """One competence by its code, with its framework and children.
    ---
    get:
      tags: [frameworks]
      parameters:
        - {in: path, name: framework_id, required: true, schema: {type: string}}
        - {in: path, name: code, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: CompetenceDetailSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    competence, children = get_competence(
        get_session(),
        current_principal().organisation_id,
        parse_id(framework_id, "framework"),
        code,
    )
    return dump(CompetenceDetailSchema(), _competence(competence, children))


def _competence(competence: Competence, children: list[Competence]) -> dict[str, Any]:
    keys = (
        "id",
        "code",
        "name",
        "description",
        "uri",
        "esco_uri",
        "parent_code",
        "kind",
        "position",
        "texts",
    )
    body = {key: getattr(competence, key) for key in keys}
    framework = competence.framework
    body["framework"] = {"id": framework.id, "slug": framework.slug, "name": framework.name}
    body["children"] = children
    return body
