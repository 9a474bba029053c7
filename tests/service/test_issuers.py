"""Issuers: did:web identity, keys encrypted at rest, rotation, isolation, public documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from badgeservice.achievements.services import AchievementContent, upsert_achievement
from badgeservice.credentials.did import default_resolver
from badgeservice.credentials.proofs import verify_proof
from badgeservice.db import database, session_scope
from badgeservice.issuers.models import IssuerKey
from badgeservice.people.models import Person
from tests.conftest import Tenant


def _award(app: Any, client: Any, tenant: Tenant, number: str) -> dict[str, Any]:
    with app.app_context(), session_scope(database()) as session:
        session.add(
            Person(
                organisation_id=tenant.organisation_id,
                employee_number=number,
                email=f"{number.lower()}@example.org",
            )
        )
        achievement, _ = upsert_achievement(
            session,
            organisation_id=tenant.organisation_id,
            issuer_id=tenant.issuer_id,
            slug="safety",
            content=AchievementContent(
                name="Protecting devices",
                description="Keeps devices safe.",
                criteria_narrative="Completes the course.",
            ),
        )
        achievement_id = str(achievement.id)
    response = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={"achievement": achievement_id, "person": {"employeeNumber": number}},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_private_keys_are_encrypted_at_rest(app: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    with app.app_context(), session_scope(database()) as session:
        key = session.scalar(select(IssuerKey).where(IssuerKey.issuer_id == tenant.issuer_id))
        assert key is not None
        blob = key.private_key_ciphertext
    assert blob.startswith(b"bs1")
    assert b"z3u2" not in blob  # no plaintext multibase seed
    did = app.test_client().get("/issuers/acme/academy/did.json").get_json()
    assert did["verificationMethod"][0]["publicKeyMultibase"] == key.public_key_multibase
    assert "privateKeyMultibase" not in str(did) and "secretKeyMultibase" not in str(did)


def test_rotation_keeps_old_credentials_verifiable(app: Any, client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    before = _award(app, client, tenant, "E1")["credential"]
    rotated = client.post(f"/api/v1/issuers/{tenant.issuer_id}/keys/rotate", headers=tenant.headers)
    assert rotated.status_code == 200
    keys = rotated.get_json()["keys"]
    assert [k["id"].rsplit("#", 1)[1] for k in keys] == ["key-1", "key-2"]
    assert keys[0]["retiredAt"] is not None and keys[1]["retiredAt"] is None
    after = _award(app, client, tenant, "E2")["credential"]
    assert before["proof"]["verificationMethod"].endswith("#key-1")
    assert after["proof"]["verificationMethod"].endswith("#key-2")
    did = client.get("/issuers/acme/academy/did.json").get_json()
    resolver = default_resolver([did])
    assert verify_proof(before, resolver).verified
    assert verify_proof(after, resolver).verified


def test_issuer_api_and_public_documents(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    listed = client.get("/api/v1/issuers", headers=tenant.headers).get_json()["items"]
    assert [i["slug"] for i in listed] == ["academy"]
    assert listed[0]["did"] == "did:web:badges.example.org:issuers:acme:academy"
    profile = client.get("/issuers/acme/academy")
    assert profile.status_code == 200
    assert profile.get_json()["id"] == listed[0]["did"]
    assert profile.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/issuers/acme/nobody/did.json").status_code == 404
    assert client.get("/issuers/acme/academy/status/9").status_code == 404


def test_isolation_of_issuers_organisations_and_awards(
    app: Any, client: Any, make_tenant: Any
) -> None:
    acme, other = make_tenant("acme"), make_tenant("other")
    award = _award(app, client, acme, "E1")
    for url in (
        f"/api/v1/issuers/{acme.issuer_id}",
        f"/api/v1/organisations/{acme.organisation_id}",
        f"/api/v1/credentials/{award['id']}",
    ):
        assert client.get(url, headers=other.headers).status_code == 404, url
        assert client.get(url, headers=acme.headers).status_code == 200, url
    assert (
        client.post(
            f"/api/v1/issuers/{acme.issuer_id}/keys/rotate", headers=other.headers
        ).status_code
        == 404
    )
    orgs = client.get("/api/v1/organisations", headers=other.headers).get_json()["items"]
    assert [o["slug"] for o in orgs] == ["other"]
    assert client.get("/api/v1/credentials", headers=other.headers).get_json()["items"] == []
    assert (
        client.get("/api/v1/issuers", headers=other.headers).get_json()["items"][0]["slug"]
        == "academy"
    )
    # Awarding another organisation's achievement or person is "not found", not a leak.
    foreign = client.post(
        "/api/v1/awards",
        headers=other.headers,
        json={"achievement": award["achievement"], "person": award["person"]},
    )
    assert foreign.status_code == 404
    assert foreign.mimetype == "application/problem+json"


def test_scopes_and_tokens(client: Any, make_tenant: Any) -> None:
    reader = make_tenant("acme", scopes=("hr:read",))
    assert client.get("/api/v1/credentials", headers=reader.headers).status_code == 200
    denied = client.post(
        "/api/v1/awards",
        headers=reader.headers,
        json={"achievement": "00000000-0000-0000-0000-000000000000", "person": "x"},
    )
    assert denied.status_code == 403
    assert "awards:write" in denied.get_json()["detail"]
    bad = client.get("/api/v1/credentials", headers={"Authorization": "Bearer bst_nope"})
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/credentials").status_code == 401


def test_award_input_errors(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    cases = [
        ({}, "person"),
        ({"person": "x"}, "exactly one"),
        ({"person": "x", "subGoal": "not-a-uuid"}, "subGoal"),
        (
            {"person": {"nickname": "x"}, "achievement": "00000000-0000-0000-0000-000000000000"},
            "person",
        ),
        (
            {"person": "x", "achievement": "00000000-0000-0000-0000-000000000000", "extra": 1},
            "extra",
        ),
    ]
    for body, fragment in cases:
        response = client.post("/api/v1/awards", headers=tenant.headers, json=body)
        assert response.status_code == 400, body
        assert fragment in response.get_json()["detail"], response.get_json()
    missing = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={
            "person": {"employeeNumber": "E404"},
            "achievement": "00000000-0000-0000-0000-000000000000",
        },
    )
    assert missing.status_code == 404
    assert "E404" in missing.get_json()["detail"]
    not_json = client.post(
        "/api/v1/awards", headers=tenant.headers, data="{", content_type="application/json"
    )
    assert not_json.status_code == 400
    wrong_type = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        data="a=b",
        content_type="application/x-www-form-urlencoded",
    )
    assert wrong_type.status_code == 400
