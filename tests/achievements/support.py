"""Helpers of the achievement tests: images, request bodies, people and awards."""

from __future__ import annotations

import base64
import struct
import uuid
import zlib
from typing import Any

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


def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem+json body of an error response with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert body["detail"]
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


def create(client: Any, tenant: Any, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/achievements", json=achievement_body(tenant, **overrides), headers=tenant.headers
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def add_person(app: Any, tenant: Any, email: str = "ada@example.org") -> uuid.UUID:
    """A person of the tenant's organisation, inserted directly."""
    from badgeservice.db import database, session_scope
    from badgeservice.people.models import Person

    with app.app_context(), session_scope(database()) as session:
        person = Person(organisation_id=tenant.organisation_id, email=email, given_name="Ada")
        session.add(person)
        session.flush()
        return person.id


def award(client: Any, tenant: Any, achievement_id: str, person_id: uuid.UUID) -> dict[str, Any]:
    response = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={"achievement": achievement_id, "person": str(person_id)},
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body
