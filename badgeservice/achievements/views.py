"""Achievement API (versioned badge definitions) and the public OB 3.0 Achievement URLs."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.orm import Session

from ..api import dump, dump_page, load_body, load_query, paginate, parse_ref
from ..auth import current_principal, requires
from ..db import get_session
from ..errors import NotFound
from ..frameworks.services import competences_by_id
from ..languages import accepted
from ..organisations.models import Organisation
from ..organisations.services import get_organisation
from ..web.i18n import current_language
from ..web.public import achievement_page, prefers_html
from .documents import achievement_document, achievement_url, document_language
from .models import Achievement, AchievementVersion
from .schemas import (
    AchievementCreateSchema,
    AchievementListQuery,
    AchievementPatchSchema,
    AchievementSchema,
    AchievementSummarySchema,
)
from .services import (
    AchievementContent,
    achievements_query,
    create_achievement,
    get_achievement,
    get_version,
    issued_languages,
    issued_version_ids,
    public_achievement,
    update_achievement,
)

__all__ = ["api", "public"]

api = Blueprint("achievements", __name__, url_prefix="/api/v1")
public = Blueprint("achievements_public", __name__)


def _achievement_url(organisation_slug: str, slug: str) -> str:
    return achievement_url(current_app.config["PUBLIC_URL"], organisation_slug, slug)


# An SVG badge is served as a document of its own: no script, no external loads.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def _url(achievement: Achievement) -> str:
    """The public address, as issuing writes it into credentials."""
    organisation = get_organisation(get_session(), achievement.organisation_id)
    return _achievement_url(organisation.slug, achievement.slug)


def _summary(version: AchievementVersion, url: str, issued: set[Any]) -> dict[str, Any]:
    return {
        "version": version.version,
        "name": version.name,
        "created_at": version.created_at,
        "issued": version.id in issued,
        "url": f"{url}/v{version.version}",
    }


def _alignments(version: AchievementVersion) -> list[dict[str, Any]]:
    ids = [uuid.UUID(str(entry["competence"])) for entry in version.alignments]
    known = competences_by_id(get_session(), current_principal().organisation_id, ids)
    rows = []
    for competence_id, entry in zip(ids, version.alignments, strict=True):
        competence = known.get(competence_id)
        rows.append(
            {
                "competence": competence_id,
                "level": entry.get("level"),
                "code": competence.code if competence else None,
                "name": competence.name if competence else None,
                "framework": competence.framework_id if competence else None,
            }
        )
    return rows


def _view(
    achievement: Achievement, change: str | None = None, *, full: bool = True
) -> dict[str, Any]:
    url = _url(achievement)
    versions = achievement.versions if full else [achievement.current]
    issued = issued_version_ids(get_session(), [version.id for version in versions])
    current = achievement.current
    body: dict[str, Any] = {
        "id": achievement.id,
        "slug": achievement.slug,
        "issuer": achievement.issuer_id,
        "url": url,
        "created_at": achievement.created_at,
        "current": _summary(current, url, issued),
    }
    if not full:
        return body
    image = None
    if current.image:
        image = {"media_type": current.image_media_type, "url": f"{url}/v{current.version}/image"}
    body["current"] |= {
        "description": current.description,
        "criteria": {"narrative": current.criteria_narrative, "url": current.criteria_url},
        "achievement_type": current.achievement_type,
        "tags": current.tags,
        "alignments": _alignments(current),
        "image": image,
        "image_caption": current.image_caption,
        "valid_for_days": current.valid_for_days,
        "texts": current.texts or {},
        "languages": sorted(issued_languages(get_session(), current)),
        "content_hash": current.content_hash,
    }
    body["versions"] = [_summary(version, url, issued) for version in achievement.versions]
    if change is not None:
        body["change"] = change
    return body


@api.get("/achievements")
@requires("admin", "awards:write", "hr:read")
def list_achievements_view() -> Response:
    """The organisation's achievements by slug, each with a summary of its current version.
    ---
    get:
      tags: [achievements]
      parameters:
        - {in: query, schema: AchievementListQuery}
      responses:
        200:
          content:
            application/json:
              schema: {page-of: AchievementSummarySchema}
        400: {$ref: '#/components/responses/BadRequest'}
    """
    query = load_query(AchievementListQuery())
    rows = paginate(achievements_query(current_principal().organisation_id), query)
    return dump_page(AchievementSummarySchema(), [_view(row, full=False) for row in rows])


@api.post("/achievements")
@requires("admin")
def create_achievement_view() -> Response:
    """Create an achievement (version 1).
    ---
    post:
      tags: [achievements]
      requestBody: {required: true, content: {application/json: {schema: AchievementCreateSchema}}}
      responses:
        201: {content: {application/json: {schema: AchievementSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        409: {$ref: '#/components/responses/Conflict'}
        413: {$ref: '#/components/responses/PayloadTooLarge'}
    """
    data = load_body(AchievementCreateSchema())
    slug, issuer_id = data.pop("slug"), data.pop("issuer")
    achievement = create_achievement(
        get_session(),
        current_principal().organisation_id,
        slug=slug,
        issuer_id=issuer_id,
        content=AchievementContent(**data),
    )
    return dump(AchievementSchema(), _view(achievement, "created"), 201)


@api.get("/achievements/<achievement_id>")
@requires("admin", "awards:write", "hr:read")
def get_achievement_view(achievement_id: str) -> Response:
    """One achievement: its current version in full and every version's summary.
    ---
    get:
      tags: [achievements]
      parameters: [{in: path, name: achievement_id, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: AchievementSchema}}}
        404: {$ref: '#/components/responses/NotFound'}
    """
    achievement = get_achievement(
        get_session(),
        current_principal().organisation_id,
        parse_ref(achievement_id),
    )
    return dump(AchievementSchema(), _view(achievement))


@api.patch("/achievements/<achievement_id>")
@requires("admin")
def update_achievement_view(achievement_id: str) -> Response:
    """Change an achievement: an unissued current version is edited in place, an issued
    one is kept and a new version made; ``change`` says which.
    ---
    patch:
      tags: [achievements]
      parameters: [{in: path, name: achievement_id, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: AchievementPatchSchema}}}
      responses:
        200: {content: {application/json: {schema: AchievementSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        413: {$ref: '#/components/responses/PayloadTooLarge'}
    """
    key = parse_ref(achievement_id)
    changes = load_body(AchievementPatchSchema())
    achievement, change = update_achievement(
        get_session(), current_principal().organisation_id, key, changes
    )
    return dump(AchievementSchema(), _view(achievement, change))


# -- public: anyone can read a badge's definition ------------------------------------------


def _public(response: Response, media_type: str) -> Response:
    response.mimetype = media_type
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Browsers get a page at the same address: caches keep the two apart.
    response.headers["Vary"] = "Accept"
    return response


@public.get("/achievements/<org>/<slug>")
def public_current(org: str, slug: str) -> Response:
    """The OB 3.0 Achievement of the current version.
    ---
    get:
      tags: [public]
      parameters:
        - {in: path, name: org, required: true, schema: {type: string}}
        - {in: path, name: slug, required: true, schema: {type: string}}
      responses:
        200:
          content:
            application/ld+json: {schema: JsonLdDocument}
            text/html: {schema: {type: string, description: 'the page, for a browser'}}
    """
    session = get_session()
    achievement = public_achievement(session, org, slug)
    url = _achievement_url(org, slug)
    return _served(session, achievement, achievement.current, url, url)


@public.get("/achievements/<org>/<slug>/v<int:number>")
def public_version(org: str, slug: str, number: int) -> Response:
    """The OB 3.0 Achievement of one version, as credentials citing it embed it.
    ---
    get:
      tags: [public]
      parameters:
        - {in: path, name: org, required: true, schema: {type: string}}
        - {in: path, name: slug, required: true, schema: {type: string}}
        - {in: path, name: number, required: true, schema: {type: integer, minimum: 0}}
      responses:
        200:
          content:
            application/ld+json: {schema: JsonLdDocument}
            text/html: {schema: {type: string, description: 'the page, for a browser'}}
    """
    session = get_session()
    achievement = public_achievement(session, org, slug)
    version = get_version(achievement, number)
    url = _achievement_url(org, slug)
    return _served(session, achievement, version, url, f"{url}/v{number}")


def _served(
    session: Session, achievement: Achievement, version: AchievementVersion, url: str, at: str
) -> Response:
    """The version as a page (in the page's language) or as the JSON-LD document in the
    language the client asks for (``Accept-Language``; else the organisation's default),
    saying which in ``Content-Language``."""
    html = prefers_html()
    wanted = [current_language()] if html else accepted(request.accept_languages)
    organisation = session.get(Organisation, achievement.organisation_id)
    default = organisation.default_language if organisation else "en"
    language = document_language(version, wanted, default)
    document = achievement_document(session, version, url, language)
    if html:
        return achievement_page(achievement, version, document, at)
    response = _public(jsonify(document), "application/ld+json")
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


@public.get("/achievements/<org>/<slug>/v<int:number>/image")
def public_image(org: str, slug: str, number: int) -> Response:
    """The badge image of one version, with its media type.
    ---
    get:
      tags: [public]
      parameters:
        - {in: path, name: org, required: true, schema: {type: string}}
        - {in: path, name: slug, required: true, schema: {type: string}}
        - {in: path, name: number, required: true, schema: {type: integer, minimum: 0}}
      responses:
        200:
          content:
            image/png: {schema: {type: string, format: binary}}
            image/svg+xml: {schema: {type: string, format: binary}}
    """
    version = get_version(public_achievement(get_session(), org, slug), number)
    if not version.image or not version.image_media_type:
        raise NotFound(f"version {number} of achievement {org}/{slug} has no image")
    response = _public(Response(version.image), version.image_media_type)
    if version.image_media_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response
