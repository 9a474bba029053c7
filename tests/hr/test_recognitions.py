"""Recognitions from issued credentials: one per competence, the holdings the reserve reads,
and the competence events (their payloads checked against the published JSON Schema)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from badgeservice.frameworks.models import Framework
from badgeservice.hr.models import CompetenceEvent, Delivery, Recognition
from badgeservice.hr.recognitions.payload import VENDOR_HINT_8_TO_5
from badgeservice.paths.models import Path as PathRow
from badgeservice.paths.models import SubGoal
from tests.factories import completion, load_example, post_signed

from .conftest import RecOrg, rec_poll, rec_validate

PUBLIC = "https://badges.example.org"


def test_vendor_hint_table_rounds_half_up() -> None:
    assert VENDOR_HINT_8_TO_5 == {1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 8: 5}


def test_manual_award_recognises_each_aligned_competence(rec_org: RecOrg) -> None:
    achievement = rec_org.achievement("privacy", [("4.2", 4), ("3.1", None)])
    credential = rec_org.award(achievement, "aino")

    recognitions = rec_org.recognitions("aino")
    assert sorted((r.level or 0, r.status, r.method) for r in recognitions) == [
        (0, "active", "supervisor"),
        (4, "active", "supervisor"),
    ]
    assert {str(r.credential_id) for r in recognitions} == {credential["id"]}
    # The unleveled recognition holds at level 0: "held, no level stated".
    assert rec_org.holdings("aino") == {"4.2": 4, "3.1": 0}

    events = rec_org.events()
    assert [e.type for e in events] == ["competence.recognised"] * 2
    by_code = {e.payload["data"]["competence"]["item_code"]: e for e in events}
    event = by_code["4.2"]
    payload = rec_validate(event.payload)
    assert payload["id"] == str(event.id)
    assert payload["type"] == "competence.recognised"
    data = payload["data"]
    recognition = next(r for r in recognitions if r.level == 4)
    assert data["recognition_id"] == str(recognition.id)
    assert data["person"] == {
        "employee_number": "E012345",
        "scim_id": rec_org.people["aino"],
        "external_id": "aad-acme-1",
        "email": "aino@acme.example.org",
    }
    with rec_org.db() as session:
        framework = session.scalars(
            select(Framework).where(Framework.organisation_id == rec_org.tenant.organisation_id)
        ).one()
        slug, uri = framework.slug, framework.uri
    competence = data["competence"]
    assert competence["framework_id"] == slug
    assert competence["framework_uri"] == uri
    assert competence["item_uri"].endswith("/4.2")
    assert competence["esco_uri"].startswith("http://data.europa.eu/esco/skill/")
    # The title in every language DigComp 2.2's names are shipped in.
    assert competence["title"]["en"] == "Protecting personal data and privacy"
    assert set(competence["title"]) == {"en", "fi", "sv"}
    assert competence["title"]["sv"] != competence["title"]["en"]
    assert data["proficiency"] == {
        "scale_id": "digcomp-2.2-proficiency",
        "level": 4,
        "band": "intermediate",
        "normalized": 0.43,
        "vendor_hint_1_5": 3,
    }
    evidence = data["evidence"]
    assert evidence["credential_id"] == f"urn:uuid:{credential['id']}"
    assert evidence["credential_url"] == credential["url"] == evidence["verification_url"]
    assert evidence["credential_format"] == "OpenBadgeCredential/3.0"
    assert evidence["badge_class_id"] == f"{PUBLIC}/achievements/acme/privacy"
    assert evidence["issuer"] == "Acme Academy"
    assert evidence["issued_at"] == credential["credential"]["validFrom"]
    assert evidence["sources"] == []
    assert data["assessment"]["method"] == "supervisor"
    assert data["assessment"]["assessor_id"].startswith("client:")
    assert data["validity"] == {
        "valid_from": credential["issuedAt"][:10],
        "valid_until": None,
        "status": "active",
    }
    assert data["learning_path"] == dict.fromkeys(
        ("organisation_goal_id", "team_goal_id", "plan_id", "subgoal_id")
    )
    unleveled = rec_validate(by_code["3.1"].payload)["data"]["proficiency"]
    assert unleveled == {
        "scale_id": "digcomp-2.2-proficiency",
        "level": None,
        "band": None,
        "normalized": None,
        "vendor_hint_1_5": None,
    }


def test_award_with_evidence_is_assessed(rec_org: RecOrg) -> None:
    achievement = rec_org.achievement("portfolio", [("3.1", 5)])
    rec_org.award(
        achievement,
        "aino",
        evidence=[{"name": "Portfolio", "narrative": "Three videos, reviewed."}],
    )
    (event,) = rec_org.events()
    data = rec_validate(event.payload)["data"]
    assert data["assessment"]["method"] == "assessor"
    assert data["proficiency"]["band"] == "advanced"
    assert data["proficiency"]["vendor_hint_1_5"] == 4


@pytest.mark.parametrize(
    ("level", "band", "normalized", "hint"),
    [(1, "foundation", 0.0, 1), (2, "foundation", 0.14, 2), (8, "highly_specialised", 1.0, 5)],
)
def test_proficiency_bands(
    rec_org: RecOrg, level: int, band: str, normalized: float, hint: int
) -> None:
    rec_org.award(rec_org.achievement("level", [("1.1", level)]), "aino")
    (event,) = rec_org.events()
    proficiency = rec_validate(event.payload)["data"]["proficiency"]
    assert (proficiency["band"], proficiency["normalized"], proficiency["vendor_hint_1_5"]) == (
        band,
        normalized,
        hint,
    )


def test_held_competence_is_updated_and_holding_keeps_the_best(rec_org: RecOrg) -> None:
    basic = rec_org.achievement("privacy-basics", [("4.2", 3)])
    advanced = rec_org.achievement("privacy-advanced", [("4.2", 6), ("4.1", 2)])
    refresher = rec_org.achievement("privacy-refresher", [("4.2", 2)])
    rec_org.award(basic, "aino")
    rec_org.award(advanced, "aino")
    assert rec_org.holdings("aino") == {"4.2": 6, "4.1": 2}
    rec_org.award(refresher, "aino")
    assert rec_org.holdings("aino") == {"4.2": 6, "4.1": 2}
    events = [
        (
            e.type,
            e.payload["data"]["competence"]["item_code"],
            e.payload["data"]["proficiency"]["level"],
        )
        for e in rec_org.events()
    ]
    assert events == [
        ("competence.recognised", "4.2", 3),
        ("competence.updated", "4.2", 6),
        ("competence.recognised", "4.1", 2),
        ("competence.updated", "4.2", 2),
    ]
    for event in rec_org.events():
        rec_validate(event.payload)


def test_revocation_revokes_recognitions_and_recomputes_holdings(rec_org: RecOrg) -> None:
    basic = rec_org.achievement("privacy-basics", [("4.2", 3)])
    advanced = rec_org.achievement("privacy-advanced", [("4.2", 6), ("4.1", 2)])
    rec_org.award(basic, "aino")
    credential = rec_org.award(advanced, "aino")
    rec_org.revoke(credential["id"])

    # 4.2 falls back to the basic credential's level; 4.1 is held no more.
    assert rec_org.holdings("aino") == {"4.2": 3}
    statuses = {
        (str(r.credential_id), r.level): (r.status, r.ended_at is not None)
        for r in rec_org.recognitions("aino")
    }
    assert statuses[(credential["id"], 6)] == ("revoked", True)
    assert statuses[(credential["id"], 2)] == ("revoked", True)
    assert [s for (cid, _), s in statuses.items() if cid != credential["id"]] == [("active", False)]
    revoked = [e for e in rec_org.events() if e.type == "competence.revoked"]
    assert len(revoked) == 2
    for event in revoked:
        data = rec_validate(event.payload)["data"]
        assert data["validity"]["status"] == "revoked"
        assert data["evidence"]["credential_id"] == f"urn:uuid:{credential['id']}"
    # Revoking again is refused and publishes nothing.
    again = rec_org.client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "twice"},
        headers=rec_org.headers,
    )
    assert again.status_code == 409
    assert len(rec_org.events()) == 5

    # Revoking the last credential of a competence removes the holding.
    remaining = next(
        str(r.credential_id) for r in rec_org.recognitions("aino") if r.status == "active"
    )
    rec_org.revoke(remaining)
    assert rec_org.holdings("aino") == {}


def test_achievement_without_competences_records_nothing(rec_org: RecOrg) -> None:
    rec_org.award(rec_org.achievement("teamwork", []), "aino")
    assert rec_org.recognitions("aino") == []
    assert rec_org.events() == []


def test_events_are_queued_for_active_endpoints_only(rec_org: RecOrg) -> None:
    """publish writes a delivery per active endpoint in the same transaction."""
    from badgeservice.hr.models import HrEndpoint

    with rec_org.db() as session:
        for name, active in (("register", True), ("old", False)):
            session.add(
                HrEndpoint(
                    organisation_id=rec_org.tenant.organisation_id,
                    name=name,
                    url=f"https://hr.example.org/{name}",
                    secret_ciphertext=b"x",
                    active=active,
                )
            )
    rec_org.award(rec_org.achievement("privacy", [("4.2", 4)]), "aino")
    (event,) = rec_org.events()
    with rec_org.db() as session:
        deliveries = session.scalars(select(Delivery)).all()
        assert [(d.event_id, d.event_seq, d.state) for d in deliveries] == [
            (event.id, event.seq, "pending")
        ]


# -- completions from an LMS, path context -------------------------------------------------


def test_lms_completion_is_a_system_recognition_with_path_context(
    app: Any, client: Any, tmp_path: Path
) -> None:
    example = load_example(app, tmp_path)
    from badgeservice.db import database, session_scope

    with app.app_context(), session_scope(database()) as session:
        goal = session.get(SubGoal, example.sub_goal_id)
        assert goal is not None
        # The sub-goal asks for more than the achievement's alignment: the higher level wins.
        aligned_level = goal.level
        goal.level = 5
        path = session.get(PathRow, goal.path_id)
        assert path is not None and path.kind == "organisation"
        competence_id, path_id = goal.competence_id, path.id

    response = post_signed(client, example, completion(example))
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["event"]["state"] == "processed"

    with app.app_context(), session_scope(database()) as session:
        rows = session.scalars(
            select(Recognition).where(Recognition.organisation_id == example.organisation_id)
        ).all()
        (recognition,) = [r for r in rows if r.competence_id == competence_id]
        assert recognition.level == 5 and aligned_level is not None and aligned_level < 5
        assert recognition.method == "system"
        assert recognition.sub_goal_id == example.sub_goal_id
        events = session.scalars(
            select(CompetenceEvent).where(CompetenceEvent.recognition_id == recognition.id)
        ).all()
        (event,) = events
        data = rec_validate(event.payload)["data"]
    assert event.type == "competence.recognised"
    assert data["assessment"] == {"method": "system", "assessor_id": None}
    assert data["evidence"]["sources"] == [{"kind": "webhook", "connection": "moodle"}]
    assert data["person"]["employee_number"] == "E1001"
    assert data["competence"]["item_code"] == "4.2"
    assert data["proficiency"]["level"] == 5
    assert data["learning_path"] == {
        "organisation_goal_id": str(path_id),
        "team_goal_id": None,
        "plan_id": None,
        "subgoal_id": str(example.sub_goal_id),
    }
    # The feed serves the same object to a token with hr:read only.
    from badgeservice.db import database as db
    from badgeservice.organisations.services import create_client, organisation_by_slug

    with app.app_context(), session_scope(db()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        reader = create_client(
            session,
            org,
            name="hr",
            scopes=["hr:read"],
            keystore=app.extensions["badgeservice.keystore"],
        ).token

    def read() -> dict[str, Any]:
        feed = client.get("/api/v1/hr/competences", headers={"Authorization": f"Bearer {reader}"})
        assert feed.status_code == 200, feed.get_json()
        body: dict[str, Any] = feed.get_json()
        return body

    assert event.payload in rec_poll(read, len(events))["items"]


def test_recognitions_stay_in_their_organisation(rec_make_org: Any) -> None:
    acme = rec_make_org("acme")
    other = rec_make_org("other")
    acme.award(acme.achievement("privacy", [("4.2", 4)]), "aino")
    other.award(other.achievement("privacy", [("4.1", 2)]), "aino")
    mine = acme.feed(expect=1)["items"]
    assert [e["data"]["competence"]["item_code"] for e in mine] == ["4.2"]
    theirs = other.feed(expect=1)["items"]
    assert [e["data"]["competence"]["item_code"] for e in theirs] == ["4.1"]
    assert len(acme.events()) == len(other.events()) == 1
    # A cursor of one organisation's feed is refused by another's.
    cursor = acme.feed()["next"]
    response = other.client.get(
        "/api/v1/hr/competences", query_string={"after": cursor}, headers=other.headers
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "another organisation" in response.get_json()["detail"]
    assert uuid.UUID(mine[0]["id"]) == acme.events()[0].id


def test_path_badge_is_a_system_recognition_of_the_plan(rec_org: RecOrg) -> None:
    step = rec_org.achievement("step", [("3.1", 2)])
    badge = rec_org.achievement("plan-done", [("3.2", 4)])
    created = rec_org.client.post(
        "/api/v1/paths",
        json={
            "slug": "aino-plan",
            "kind": "individual",
            "name": "Aino's plan",
            "person": rec_org.people["aino"],
            "achievement": badge,
            "subGoals": [
                {
                    "slug": "step",
                    "name": "Step",
                    "achievement": step,
                    "competence": rec_org.codes["3.1"],
                    "level": 3,
                    "triggers": [{"kind": "manual"}],
                }
            ],
        },
        headers=rec_org.headers,
    )
    assert created.status_code == 201, created.get_json()
    path = created.get_json()
    sub_goal = path["subGoals"][0]["id"]
    response = rec_org.client.post(
        "/api/v1/awards",
        json={"subGoal": sub_goal, "person": rec_org.people["aino"]},
        headers=rec_org.headers,
    )
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["pathCredentials"]) == 1

    found = {}
    for event in rec_org.events():
        data = rec_validate(event.payload)["data"]
        found[data["competence"]["item_code"]] = data
    assert set(found) == {"3.1", "3.2"}
    # The sub-goal asks for level 3 (its achievement only 2): the higher level counts.
    assert found["3.1"]["proficiency"]["level"] == 3
    assert found["3.1"]["learning_path"] == {
        "organisation_goal_id": None,
        "team_goal_id": None,
        "plan_id": path["id"],
        "subgoal_id": sub_goal,
    }
    assert found["3.2"]["assessment"] == {"method": "system", "assessor_id": None}
    assert found["3.2"]["learning_path"]["plan_id"] == path["id"]
    assert found["3.2"]["learning_path"]["subgoal_id"] is None
    assert rec_org.holdings("aino") == {"3.1": 3, "3.2": 4}
