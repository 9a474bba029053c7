"""The pull feed GET /api/v1/hr/competences: paging, resumption, bad cursors, scopes, and
on PostgreSQL the rule that a cursor never skips an event of a slow transaction."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

from badgeservice.awards.awarding import award, revoke
from badgeservice.db import database
from badgeservice.hr.delivery.outbox import publish
from badgeservice.hr.models import CompetenceEvent, Recognition
from badgeservice.hr.recognitions.feed import encode_cursor
from badgeservice.issuing.models import Credential
from badgeservice.issuing.services import IssuingService

from .conftest import RecOrg, rec_validate

FEED = "/api/v1/hr/competences"


def _award_many(org: RecOrg, count: int) -> None:
    for index in range(count):
        org.award(
            org.achievement(f"badge-{index}", [(f"1.{index % 3 + 1}", index % 8 + 1)]), "aino"
        )


def test_pages_follow_in_order_and_resume(rec_org: RecOrg) -> None:
    _award_many(rec_org, 5)
    stored = [str(e.id) for e in rec_org.events()]
    assert len(stored) == 5
    rec_org.feed(expect=5)

    seen: list[str] = []
    cursors: list[str] = []
    after = None
    while True:
        page = rec_org.feed(after, limit=2)
        assert len(page["items"]) <= 2
        for item in page["items"]:
            rec_validate(item)
        seen += [item["id"] for item in page["items"]]
        if not page["items"]:
            assert page["next"] == after  # idle: the same cursor back
            break
        cursors.append(page["next"])
        after = page["next"]
    assert seen == stored

    # Resuming from any cursor gives the same continuation, again and again.
    again = rec_org.feed(cursors[0], limit=10)
    assert [item["id"] for item in again["items"]] == stored[2:]
    assert again["next"] == cursors[-1]

    # An idle cursor picks up what happens later, exactly once.
    rec_org.award(rec_org.achievement("later", [("2.1", 3)]), "aino")
    later = rec_org.feed(cursors[-1], expect=1)
    assert [item["data"]["competence"]["item_code"] for item in later["items"]] == ["2.1"]
    assert rec_org.feed(later["next"])["items"] == []


def test_empty_feed_has_a_starting_cursor(rec_org: RecOrg) -> None:
    page = rec_org.feed()
    assert page["items"] == []
    assert page["next"]
    assert rec_org.feed(page["next"])["items"] == []
    rec_org.award(rec_org.achievement("first", [("5.1", 2)]), "aino")
    assert len(rec_org.feed(page["next"], expect=1)["items"]) == 1


def _other_org_cursor() -> str:
    return encode_cursor(uuid.uuid4(), 0, 1)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"after": "not-a-cursor"}, "not a cursor"),
        ({"after": base64.urlsafe_b64encode(b"1.x.2.abcdef12").decode()}, "not a cursor"),
        (
            {"after": base64.urlsafe_b64encode(b"1.99999999999999999999.1.abcdef12").decode()},
            "not a cursor",
        ),
        ({"after": "%%%"}, "not a cursor"),
        ({"after": "x" * 201}, "after"),
        ({"after": ""}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"since": "1"}, "since"),
    ],
)
def test_bad_input_is_a_precise_400(rec_org: RecOrg, params: dict[str, str], fragment: str) -> None:
    response = rec_org.client.get(FEED, query_string=params, headers=rec_org.headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert fragment in response.get_json()["detail"]


def test_a_cursor_of_another_organisation_is_refused(rec_org: RecOrg) -> None:
    response = rec_org.client.get(
        FEED, query_string={"after": _other_org_cursor()}, headers=rec_org.headers
    )
    assert response.status_code == 400
    assert "another organisation" in response.get_json()["detail"]


def test_scopes(rec_org: RecOrg, make_tenant: Any) -> None:
    assert rec_org.client.get(FEED).status_code == 401
    writer = make_tenant("acme", scopes=("awards:write",))
    forbidden = rec_org.client.get(FEED, headers=writer.headers)
    assert forbidden.status_code == 403
    assert forbidden.mimetype == "application/problem+json"
    reader = make_tenant("acme", scopes=("hr:read",))
    assert rec_org.client.get(FEED, headers=reader.headers).status_code == 200


# -- PostgreSQL: a cursor never skips an event of a transaction still running --------------


@pytest.fixture
def rec_pg(rec_org: RecOrg) -> RecOrg:
    with rec_org.app.app_context():
        if database().dialect != "postgresql":
            pytest.skip("transaction-id visibility is PostgreSQL's; SQLite serialises writers")
    return rec_org


def _recognition(org: RecOrg) -> tuple[uuid.UUID, uuid.UUID]:
    """A recognition of aino (events need one to refer to): (person id, recognition id)."""
    org.award(org.achievement("privacy", [("4.2", 4)]), "aino")
    with org.db() as session:
        recognition = session.scalars(select(Recognition)).one()
        return recognition.person_id, recognition.id


def _publish(session: Any, org: RecOrg, ids: tuple[uuid.UUID, uuid.UUID], tag: str) -> uuid.UUID:
    event = publish(
        session,
        organisation_id=org.tenant.organisation_id,
        person_id=ids[0],
        recognition_id=ids[1],
        type="competence.updated",
        payload={"tag": tag},
    )
    return event.id


def _tags(page: dict[str, Any]) -> list[str]:
    return [item.get("tag", "award") for item in page["items"]]


def test_a_later_commit_is_held_behind_a_running_transaction(rec_pg: RecOrg) -> None:
    """A writes first and stays open; B writes later and commits. B must not be served
    past A: once A commits, the feed from the old cursor returns A, then B."""
    org = rec_pg
    ids = _recognition(org)
    start = org.feed(expect=1)["next"]
    with org.app.app_context():
        sessions = database().sessions
        a, b = sessions(), sessions()
        try:
            _publish(a, org, ids, "A")  # flushed, not committed
            _publish(b, org, ids, "B")
            b.commit()
            held = org.feed(start)
            assert _tags(held) == []  # B waits for A
            assert held["next"] == start
            a.commit()
        finally:
            a.close()
            b.close()
    assert _tags(org.feed(start, expect=2)) == ["A", "B"]


def test_an_earlier_transaction_id_committing_later_is_not_skipped(rec_pg: RecOrg) -> None:
    """B takes its transaction id first but writes its event after A (a lower seq for A).
    B commits, A is still open: B may be served, and A must still come after that cursor
    once it commits (ordering by seq alone would skip A)."""
    org = rec_pg
    ids = _recognition(org)
    start = org.feed(expect=1)["next"]
    with org.app.app_context():
        sessions = database().sessions
        a, b = sessions(), sessions()
        try:
            b.execute(text("SELECT pg_current_xact_id()"))  # B's transaction id is older
            first = _publish(a, org, ids, "A")
            second = _publish(b, org, ids, "B")
            b.commit()
            page = org.feed(start, expect=1)
            assert _tags(page) == ["B"]
            a.commit()
        finally:
            a.close()
            b.close()
    with org.db() as session:
        seq = {
            row.id: row.seq
            for row in session.execute(select(CompetenceEvent.id, CompetenceEvent.seq))
        }
    assert seq[first] < seq[second]  # A's seq is lower, yet it must not be skipped
    assert _tags(org.feed(page["next"], expect=1)) == ["A"]


def test_a_persons_events_keep_their_order_across_transactions(rec_pg: RecOrg) -> None:
    """A credential issued in one transaction and revoked by an older-id transaction that
    committed later: the feed still serves recognised before revoked."""
    org = rec_pg
    achievement = org.achievement("privacy", [("4.2", 4)])
    start = org.feed()["next"]
    app = org.app
    keystore = app.extensions["badgeservice.keystore"]
    with app.test_request_context():
        sessions = database().sessions
        older, newer = sessions(), sessions()
        try:
            older.execute(text("SELECT pg_current_xact_id()"))
            from badgeservice.achievements.models import Achievement
            from badgeservice.people.models import Person

            issuing = IssuingService(
                newer, public_url="https://badges.example.org", keystore=keystore
            )
            person = newer.get(Person, uuid.UUID(org.people["aino"]))
            badge = newer.get(Achievement, uuid.UUID(achievement))
            assert person is not None and badge is not None
            issued = award(newer, issuing, person=person, achievement_id=badge.id)
            newer.commit()
            credential = older.get(Credential, issued.credential.id)
            assert credential is not None
            revoke(
                older,
                IssuingService(older, public_url="https://badges.example.org", keystore=keystore),
                credential,
                "issued in error",
            )
            older.commit()
        finally:
            older.close()
            newer.close()
    page = org.feed(start, expect=2)
    assert [item["type"] for item in page["items"]] == [
        "competence.recognised",
        "competence.revoked",
    ]
