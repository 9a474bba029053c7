"""Factories of the tests: records made through the API (which must succeed) or inserted
directly, request bodies and content (images), the example organisation with an events
client, and the problem+json check. One module for every folder of tests."""

from __future__ import annotations

import base64
import json
import shutil
import struct
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from badgeservice.db import database, session_scope
from badgeservice.definitions.loader import load_definitions
from badgeservice.organisations.services import create_client, organisation_by_slug
from badgeservice.paths.models import Path as PathRow
from badgeservice.paths.models import SubGoal, Trigger
from badgeservice.webhooks import sign
from tests.conftest import ROOT

API = "/api/v1"


# -- checks of answers ----------------------------------------------------------------------


def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem+json body of an error response with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert body["detail"]
    return body


def created(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


# -- records: through the API (which must succeed) or inserted directly ----------------


def add_person(client: Any, tenant: Any, number: str, **fields: Any) -> dict[str, Any]:
    body = {"employeeNumber": number, "email": f"{number.lower()}@example.org", **fields}
    return created(client.post(f"{API}/people", json=body, headers=tenant.headers))


def add_team(client: Any, tenant: Any, slug: str, **fields: Any) -> dict[str, Any]:
    body = {"slug": slug, "name": slug.replace("-", " ").title(), **fields}
    return created(client.post(f"{API}/teams", json=body, headers=tenant.headers))


def seed_achievements(app: Any, tenant: Any, *slugs: str) -> dict[str, str]:
    """Achievements of the tenant's organisation, inserted through the achievement service;
    ids by slug."""
    from badgeservice.achievements.services import AchievementContent, upsert_achievement
    from badgeservice.db import database, session_scope

    ids = {}
    with app.app_context(), session_scope(database()) as session:
        for slug in slugs:
            achievement, _ = upsert_achievement(
                session,
                organisation_id=tenant.organisation_id,
                issuer_id=tenant.issuer_id,
                slug=slug,
                content=AchievementContent(
                    name=slug.replace("-", " ").capitalize(),
                    description=f"Shows {slug}.",
                    criteria_narrative=f"Complete the {slug} activity.",
                ),
            )
            ids[slug] = str(achievement.id)
    return ids


def seed_competence(app: Any, tenant: Any, code: str = "3.1") -> str:
    """A competence in a small framework of the tenant's organisation."""
    from badgeservice.db import database, session_scope
    from badgeservice.frameworks.models import Competence, Framework

    with app.app_context(), session_scope(database()) as session:
        framework = Framework(
            organisation_id=tenant.organisation_id,
            slug=f"fw-{uuid.uuid4().hex[:8]}",
            name="Test framework",
            source="case",
        )
        framework.competences.append(
            Competence(
                code=code,
                name=f"Competence {code}",
                uri=f"https://frameworks.example.org/{code}",
                kind="competence",
                position=1,
            )
        )
        session.add(framework)
        session.flush()
        return str(framework.competences[0].id)


def sub_goal(slug: str, achievement: str, **fields: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": slug.replace("-", " ").capitalize(),
        "achievement": achievement,
        **fields,
    }


def add_path(
    client: Any, tenant: Any, slug: str, kind: str = "organisation", **fields: Any
) -> dict[str, Any]:
    body = {"slug": slug, "kind": kind, "name": slug.replace("-", " ").title(), **fields}
    return created(client.post(f"{API}/paths", json=body, headers=tenant.headers))


def award_sub_goal(client: Any, tenant: Any, sub_goal_id: str, person_id: str) -> dict[str, Any]:
    response = client.post(
        f"{API}/awards", headers=tenant.headers, json={"subGoal": sub_goal_id, "person": person_id}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def install_digcomp(client: Any, tenant: Any) -> dict[str, str]:
    """Install DigComp 2.2 for the tenant; competence ids by code."""
    response = client.post(
        "/api/v1/frameworks", json={"source": "digcomp22"}, headers=tenant.headers
    )
    assert response.status_code in (200, 201), response.get_json()
    return {c["code"]: c["id"] for c in response.get_json()["competences"]}


def achievement_body(tenant: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": "content-creator",
        "issuer": str(tenant.issuer_id),
        "name": "Digital content creator",
        "description": "Creates and edits digital content in several formats.",
        "criteria": {
            "narrative": "Publish three learning videos.",
            "url": "https://academy.example.org/criteria/content",
        },
        "achievementType": "Competency",
        "tags": ["digcomp", "content"],
    }
    body.update(overrides)
    return body


def create_achievement(client: Any, tenant: Any, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/achievements", json=achievement_body(tenant, **overrides), headers=tenant.headers
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def insert_person(app: Any, tenant: Any, email: str = "ada@example.org") -> uuid.UUID:
    """A person of the tenant's organisation, inserted directly."""
    from badgeservice.db import database, session_scope
    from badgeservice.people.models import Person

    with app.app_context(), session_scope(database()) as session:
        person = Person(organisation_id=tenant.organisation_id, email=email, given_name="Ada")
        session.add(person)
        session.flush()
        return person.id


def award_achievement(
    client: Any, tenant: Any, achievement_id: str, person_id: uuid.UUID
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={"achievement": achievement_id, "person": str(person_id)},
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


# -- request content ----------------------------------------------------------------------

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<circle cx="32" cy="32" r="30" fill="#1a7f5a"/></svg>'
)


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A real, minimal PNG (greyscale, 8 bits)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- the example organisation (issuers/), with an events client ------------------------------


@dataclass
class Example:
    organisation_id: uuid.UUID
    client_id: str
    token: str
    secret: str
    admin: str
    activity: str
    connection: str
    sub_goal_id: uuid.UUID
    achievement_id: uuid.UUID

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}


def load_example(
    app: Any, tmp_path: Path, connection: str = "moodle", kind: str = "lms"
) -> Example:
    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    keystore = app.extensions["badgeservice.keystore"]
    with app.test_request_context(), session_scope(database()) as session:
        list(load_definitions(session, tmp_path / "issuers", app))
        org = organisation_by_slug(session, "esimerkkiopisto")
        trigger = session.scalars(
            select(Trigger)
            .join(SubGoal)
            .join(PathRow)
            .where(
                PathRow.kind == "organisation",
                Trigger.kind == kind,
                Trigger.connection == connection,
            )
            .order_by(SubGoal.position)
        ).first()
        assert trigger is not None and trigger.activity
        events = create_client(
            session,
            org,
            name="lms",
            scopes=["events:write"],
            keystore=keystore,
            connection=connection,
        )
        admin = create_client(session, org, name="admin", scopes=["admin"], keystore=keystore)
        return Example(
            org.id,
            str(events.client.id),
            events.token,
            events.secret,
            admin.token,
            trigger.activity,
            connection,
            trigger.sub_goal_id,
            trigger.sub_goal.achievement_id,
        )


def completion(example: Example, event_id: str = "evt-1", **person: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "time": "2026-11-20T10:00:00+00:00",
        "source": {"connection": example.connection},
        "person": person or {"employeeNumber": "E1001"},
        "activity": {"id": example.activity, "name": "Course"},
        "result": {"completion": True, "success": True, "score": {"scaled": 0.9}},
    }


def signed_headers(
    example: Example, body: bytes, message_id: str = "msg-1", timestamp: int | None = None
) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(example.secret, message_id, stamp, body),
        "Content-Type": "application/json",
    }


def post_signed(client: Any, example: Example, event: dict[str, Any], **kwargs: Any) -> Any:
    body = json.dumps(event).encode()
    return client.post(
        f"/api/v1/events?client={example.client_id}",
        data=body,
        headers=signed_headers(example, body, **kwargs),
    )


# -- an organisation that writes in Finnish, Swedish and Arabic ---------------------------

LANGUAGE_SCHOOL = "kielitalo"
_SCHOOL_ORGANISATION = """
[organisation]
slug = "kielitalo"
default_language = "fi"
languages = ["fi", "sv", "ar"]
name = { fi = "Kielitalo", sv = "Språkhuset", ar = "بيت اللغات" }
url = "https://kielitalo.example.org"
email = "info@kielitalo.example.org"
description = "Kielikoulu."

[[issuers]]
slug = "akatemia"
name = { fi = "Kielitalon akatemia", sv = "Språkhusets akademi", ar = "أكاديمية بيت اللغات" }
url = "https://kielitalo.example.org/akatemia"
email = "akatemia@kielitalo.example.org"

[[frameworks]]
slug = "digcomp22"
source = "digcomp22"
"""

_SCHOOL_ACHIEVEMENTS = """
[[achievements]]
slug = "verkkoetiketti"
issuer = "akatemia"
name = { fi = "Verkkoetiketti", sv = "Nätetikett", ar = "آداب التواصل عبر الإنترنت" }
criteria = { fi = "Suorita kurssi.", sv = "Gå kursen.", ar = "أكمل الدورة." }
image = "images/badge.svg"
image_caption = { fi = "Kaksi puhekuplaa", sv = "Två pratbubblor", ar = "فقاعتا حوار" }

[achievements.description]
fi = "Toimii asiallisesti verkossa."
sv = "Uppträder korrekt på nätet."

[[achievements.alignments]]
framework = "digcomp22"
competence = "2.5"
level = 3
"""

_SCHOOL_PEOPLE = """
[[teams]]
slug = "opettajat"
name = { fi = "Opettajat", sv = "Lärare", ar = "المعلمون" }

[[people]]
employee_number = "K1"
email = "layla@kielitalo.example.org"
given_name = "Layla"
family_name = "Haddad"
teams = ["opettajat"]
language = "ar"
"""


def write_language_school(issuers: Path) -> Path:
    """The folder ``issuers/kielitalo``: default Finnish, texts in fi, sv and ar (two of
    them left untranslated on purpose), one badge, a team, and Layla, who reads Arabic."""
    target = issuers / LANGUAGE_SCHOOL
    (target / "images").mkdir(parents=True)
    example = ROOT / "issuers" / "esimerkkiopisto" / "images"
    shutil.copy(sorted(example.glob("*.svg"))[0], target / "images" / "badge.svg")
    (target / "organisation.toml").write_text(_SCHOOL_ORGANISATION, encoding="utf-8")
    (target / "achievements.toml").write_text(_SCHOOL_ACHIEVEMENTS, encoding="utf-8")
    (target / "people.toml").write_text(_SCHOOL_PEOPLE, encoding="utf-8")
    return target
