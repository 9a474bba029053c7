"""Helpers of the people and path tests: API calls that must succeed, seeded rows, problems."""

from __future__ import annotations

import uuid
from typing import Any

API = "/api/v1"


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


def award(client: Any, tenant: Any, sub_goal_id: str, person_id: str) -> dict[str, Any]:
    response = client.post(
        f"{API}/awards", headers=tenant.headers, json={"subGoal": sub_goal_id, "person": person_id}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body
