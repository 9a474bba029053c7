"""Validity: an achievement's validForDays gives its credentials a validUntil; expire_due
turns due recognitions into competence.expired events, once, even with two workers."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from badgeservice.achievements.models import Achievement
from badgeservice.db import database, session_scope
from badgeservice.definitions import DefinitionErrors, read_organisation
from badgeservice.definitions.loader import load_definitions
from badgeservice.hr.models import CompetenceEvent, Recognition
from badgeservice.hr.recognitions.recording import expire_due
from badgeservice.organisations.services import organisation_by_slug
from tests.conftest import ROOT

from .conftest import RecOrg, rec_validate


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _expire(org: RecOrg, now: datetime, limit: int = 100) -> int:
    with org.db() as session:
        return expire_due(session, now, limit)


def test_valid_for_days_in_the_api_and_the_credential(rec_org: RecOrg) -> None:
    achievement = rec_org.achievement("first-aid", [("4.2", 3)], validForDays=1)
    shown = rec_org.client.get(f"/api/v1/achievements/{achievement}", headers=rec_org.headers)
    assert shown.get_json()["current"]["validForDays"] == 1
    plain = rec_org.achievement("first-aid-forever", [("4.2", 3)])
    body = rec_org.client.get(f"/api/v1/achievements/{plain}", headers=rec_org.headers).get_json()
    assert body["current"]["validForDays"] is None

    credential = rec_org.award(achievement, "aino")
    document = credential["credential"]
    assert _at(document["validUntil"]) - _at(document["validFrom"]) == timedelta(days=1)
    (recognition,) = rec_org.recognitions("aino")
    assert recognition.valid_until == _at(document["validUntil"])
    (event,) = rec_org.events()
    validity = rec_validate(event.payload)["data"]["validity"]
    assert validity["valid_until"] == document["validUntil"][:10]

    # A changed validity is a new version once issued; the hash covers it.
    changed = rec_org.client.patch(
        f"/api/v1/achievements/{achievement}", json={"validForDays": 30}, headers=rec_org.headers
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["change"] == "versioned"
    assert changed.get_json()["current"]["validForDays"] == 30
    cleared = rec_org.client.patch(
        f"/api/v1/achievements/{achievement}", json={"validForDays": None}, headers=rec_org.headers
    )
    assert cleared.get_json()["change"] == "edited"
    assert cleared.get_json()["current"]["validForDays"] is None


@pytest.mark.parametrize("value", [0, -1, 36_501, 1.5, "30", True])
def test_bad_valid_for_days_is_refused(rec_org: RecOrg, value: Any) -> None:
    response = rec_org.client.post(
        "/api/v1/achievements",
        json={
            "slug": "x",
            "issuer": str(rec_org.tenant.issuer_id),
            "name": "X",
            "description": "X.",
            "criteria": {"narrative": "X."},
            "validForDays": value,
        },
        headers=rec_org.headers,
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "validForDays" in response.get_json()["detail"]


def test_expiry_publishes_expired_once_and_recomputes_holdings(rec_org: RecOrg) -> None:
    lasting = rec_org.achievement("privacy-basics", [("4.2", 2)])
    short = rec_org.achievement("privacy-cert", [("4.2", 5), ("4.1", 3)], validForDays=1)
    rec_org.award(lasting, "aino")
    credential = rec_org.award(short, "aino")
    assert rec_org.holdings("aino") == {"4.2": 5, "4.1": 3}
    issued = _at(credential["issuedAt"])

    assert _expire(rec_org, issued + timedelta(hours=23)) == 0
    assert _expire(rec_org, issued + timedelta(days=2)) == 2
    assert _expire(rec_org, issued + timedelta(days=3)) == 0  # idempotent

    assert rec_org.holdings("aino") == {"4.2": 2}
    expired = [e for e in rec_org.events() if e.type == "competence.expired"]
    assert len(expired) == 2
    for event in expired:
        data = rec_validate(event.payload)["data"]
        assert data["validity"]["status"] == "expired"
        assert data["evidence"]["credential_id"] == f"urn:uuid:{credential['id']}"
    assert {e.payload["timestamp"] for e in expired} == {
        (issued + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    }
    rows = [r for r in rec_org.recognitions("aino") if str(r.credential_id) == credential["id"]]
    assert {(r.status, r.ended_at) for r in rows} == {("expired", issued + timedelta(days=1))}

    # Revoking an expired credential still tells HR the evidence is void.
    rec_org.revoke(credential["id"])
    revoked = [e for e in rec_org.events() if e.type == "competence.revoked"]
    assert len(revoked) == 2
    rows = [r for r in rec_org.recognitions("aino") if str(r.credential_id) == credential["id"]]
    assert {(r.status, r.ended_at) for r in rows} == {("revoked", issued + timedelta(days=1))}
    assert rec_org.holdings("aino") == {"4.2": 2}


def test_renewal_after_expiry_is_recognised_again(rec_org: RecOrg) -> None:
    short = rec_org.achievement("privacy-cert", [("4.2", 4)], validForDays=1)
    credential = rec_org.award(short, "aino")
    assert _expire(rec_org, _at(credential["issuedAt"]) + timedelta(days=2)) == 1
    assert rec_org.holdings("aino") == {}
    again = rec_org.achievement("privacy-cert-2026", [("4.2", 4)], validForDays=365)
    rec_org.award(again, "aino")
    assert [e.type for e in rec_org.events()] == [
        "competence.recognised",
        "competence.expired",
        "competence.recognised",
    ]
    assert rec_org.holdings("aino") == {"4.2": 4}


def test_limit_bounds_one_round(rec_org: RecOrg) -> None:
    rec_org.add_person("eino", email="eino@acme.example.org")
    short = rec_org.achievement("privacy-cert", [("4.2", 4), ("4.1", 2)], validForDays=1)
    rec_org.award(short, "aino")
    rec_org.award(short, "eino")
    later = datetime.now(UTC) + timedelta(days=2)
    assert _expire(rec_org, later, limit=3) == 3
    assert _expire(rec_org, later, limit=3) == 1
    assert _expire(rec_org, later, limit=3) == 0
    assert rec_org.holdings("aino") == rec_org.holdings("eino") == {}


def test_two_workers_expire_each_recognition_once(rec_org: RecOrg) -> None:
    """On PostgreSQL the second worker skips the person the first one holds (SKIP LOCKED);
    on SQLite the second waits for the first and then finds nothing due."""
    short = rec_org.achievement("privacy-cert", [("4.2", 4)], validForDays=1)
    rec_org.award(short, "aino")
    later = datetime.now(UTC) + timedelta(days=2)
    with rec_org.app.app_context():
        db = database()
        first = db.sessions()
        try:
            assert expire_due(first, later) == 1
            if db.dialect == "postgresql":
                second = db.sessions()
                try:
                    assert expire_due(second, later) == 0  # skipped, not waited for
                finally:
                    second.rollback()
                    second.close()
            first.commit()
        finally:
            first.close()
    assert _expire(rec_org, later) == 0
    assert [e.type for e in rec_org.events()].count("competence.expired") == 1


# -- definitions files ---------------------------------------------------------------------


def _with_validity(tmp_path: Path, value: str) -> Path:
    folder = tmp_path / "issuers" / "esimerkkiopisto"
    shutil.copytree(ROOT / "issuers" / "esimerkkiopisto", folder)
    achievements = folder / "achievements.toml"
    text = achievements.read_text(encoding="utf-8")
    marker = 'slug = "data-protection"\n'
    assert marker in text
    achievements.write_text(
        text.replace(marker, marker + f"valid_for_days = {value}\n", 1), encoding="utf-8"
    )
    return folder


def test_valid_for_days_in_toml(tmp_path: Path) -> None:
    original = {
        a.slug: a for a in read_organisation(ROOT / "issuers" / "esimerkkiopisto").achievements
    }
    changed = {a.slug: a for a in read_organisation(_with_validity(tmp_path, "365")).achievements}
    assert changed["data-protection"].valid_for_days == 365
    assert original["data-protection"].valid_for_days is None
    differs = {
        slug for slug in original if original[slug].content_hash != changed[slug].content_hash
    }
    assert differs == {"data-protection"}


@pytest.mark.parametrize("value", ["0", '"a year"', "1.5"])
def test_bad_valid_for_days_in_toml(tmp_path: Path, value: str) -> None:
    with pytest.raises(DefinitionErrors) as caught:
        read_organisation(_with_validity(tmp_path, value))
    text = " ".join(str(error) for error in caught.value.errors)
    assert "valid_for_days" in text


def test_loaded_definitions_issue_with_validity(app: Any, client: Any, tmp_path: Path) -> None:
    folder = _with_validity(tmp_path, "30")
    with app.test_request_context(), session_scope(database()) as session:
        list(load_definitions(session, folder.parent, app))
        org = organisation_by_slug(session, "esimerkkiopisto")
        badge = session.scalars(
            select(Achievement).where(
                Achievement.organisation_id == org.id, Achievement.slug == "data-protection"
            )
        ).one()
        assert badge.current.valid_for_days == 30
        achievement_id, organisation_id = badge.id, org.id
    from badgeservice.organisations.services import create_client

    with app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        token = create_client(
            session,
            org,
            name="t",
            scopes=["admin"],
            keystore=app.extensions["badgeservice.keystore"],
        ).token
    response = client.post(
        "/api/v1/awards",
        json={"achievement": str(achievement_id), "person": {"employeeNumber": "E1001"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()
    document = response.get_json()["credential"]
    assert _at(document["validUntil"]) - _at(document["validFrom"]) == timedelta(days=30)
    with app.app_context(), session_scope(database()) as session:
        (recognition,) = session.scalars(
            select(Recognition).where(Recognition.organisation_id == organisation_id)
        ).all()
        assert recognition.valid_until == _at(document["validUntil"])
        events = session.scalars(select(CompetenceEvent)).all()
        assert [e.type for e in events] == ["competence.recognised"]
    assert uuid.UUID(str(recognition.id))
