"""The service end to end in-process: a tenant, a person, an achievement, an award."""

from __future__ import annotations

from typing import Any

from badgeservice.achievements.services import AchievementContent, upsert_achievement
from badgeservice.credentials.did import default_resolver
from badgeservice.credentials.verify import verify_credential
from badgeservice.db import database, session_scope
from badgeservice.people.models import Person
from tests.conftest import Tenant


def _seed(app: Any, tenant: Tenant) -> tuple[str, str]:
    with app.app_context(), session_scope(database()) as session:
        person = Person(
            organisation_id=tenant.organisation_id,
            employee_number="E1",
            email="aino@example.org",
            given_name="Aino",
        )
        session.add(person)
        achievement, _ = upsert_achievement(
            session,
            organisation_id=tenant.organisation_id,
            issuer_id=tenant.issuer_id,
            slug="teamwork",
            content=AchievementContent(
                name="Teamwork",
                description="Works in a team.",
                criteria_narrative="Nominated by peers.",
            ),
        )
        session.flush()
        return str(person.id), str(achievement.id)


def test_award_verify_and_revoke(app: Any, client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    person_id, achievement_id = _seed(app, tenant)
    response = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={"achievement": achievement_id, "person": {"employeeNumber": "E1"}},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["person"] == person_id
    again = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={"achievement": achievement_id, "person": person_id},
    )
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]

    public = client.get(
        body["url"].removeprefix("https://badges.example.org"),
        headers={"Accept": "application/ld+json"},
    )
    assert public.status_code == 200
    credential = public.get_json()
    issuer = credential["issuer"]["id"]
    assert issuer == "did:web:badges.example.org:issuers:acme:academy"
    did_doc = client.get("/issuers/acme/academy/did.json").get_json()
    status_url = credential["credentialStatus"]["statusListCredential"]
    status = client.get(status_url.removeprefix("https://badges.example.org")).get_json()
    report = verify_credential(
        credential, resolver=default_resolver([did_doc]), status_lists={status_url: status}
    )
    assert report.verified, report.errors

    revoked = client.post(
        f"/api/v1/credentials/{body['id']}/revoke",
        headers=tenant.headers,
        json={"reason": "issued in error"},
    )
    assert revoked.status_code == 200
    status = client.get(status_url.removeprefix("https://badges.example.org")).get_json()
    report = verify_credential(
        credential, resolver=default_resolver([did_doc]), status_lists={status_url: status}
    )
    assert not report.verified
    assert any(e.startswith("status:") for e in report.errors)

    other = make_tenant("other")
    assert client.get(f"/api/v1/credentials/{body['id']}", headers=other.headers).status_code == 404
    assert (
        client.post(
            f"/api/v1/credentials/{body['id']}/revoke", headers=other.headers, json={"reason": "x"}
        ).status_code
        == 404
    )
