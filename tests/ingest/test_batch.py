"""A worker's batch processed together ends in the same rows as each event processed on its
own: the same backlog of completions (plain ones, several per person, repeats, a re-award
after revocation, a path completed, a prerequisite waited for and released, a deactivated
and an unknown person, a non-completion, an unknown activity, a person without e-mail, one
who reads Swedish) is processed one by one for one set of people and together for an
identical second set, and everything the events led to is compared: event outcomes,
credentials, recognitions, holdings, competence events, HR deliveries, notices, audit."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from badgeservice.achievements.models import AchievementVersion
from badgeservice.audit.models import AuditEvent
from badgeservice.awards.awarding import award, revoke
from badgeservice.db import database, session_scope
from badgeservice.hr.models import (
    CompetenceEvent,
    CompetenceHolding,
    Delivery,
    Recognition,
)
from badgeservice.ingest.models import InboundEvent
from badgeservice.ingest.worker import run_worker
from badgeservice.issuing.models import Credential
from badgeservice.issuing.services import issuing_service
from badgeservice.notices.models import Notice
from badgeservice.paths.models import Path as PathRow
from badgeservice.paths.models import SubGoal
from badgeservice.people.models import Person, Team, TeamMember
from badgeservice.people.services import add_person
from tests.factories import Example, completion, load_example, post_signed

# key: (teams, person attributes, sub-goals awarded by hand first, revoked after, events)
# An event is (activity, completed); the activities are the example's Moodle triggers.
PEOPLE: dict[str, tuple[list[str], dict[str, Any], list[str], bool, list[tuple[str, bool]]]] = {
    "many": (
        ["kouluttajat"],
        {"email": "many@example.org"},
        [],
        False,
        [("course:101", True), ("cm:2045", True), ("course:100", True), ("course:102", True)],
    ),
    "twice": ([], {"email": "twice@example.org"}, [], False, [("course:100", True)] * 2),
    "path": (
        ["opiskelijapalvelut"],
        {"email": "path@example.org"},
        ["digital-customer-service", "online-etiquette", "shared-workspaces"],
        False,
        [("course:111", True)],
    ),
    # the trainers' path waits for prerequisites (set below): course:102 waits for course:101
    "waits": (
        ["kouluttajat"],
        {"email": "waits@example.org"},
        [],
        False,
        [("course:102", True), ("course:101", True)],
    ),
    # holds competence 4.1 already (phishing awareness): securing devices updates it
    "more": (
        ["tietohallinto"],
        {"email": "more@example.org"},
        ["phishing-awareness"],
        False,
        [("course:120", True)],
    ),
    "again": (
        [],
        {"email": "again@example.org"},
        ["data-protection"],
        True,
        [("course:100", True)],
    ),
    "gone": ([], {"email": "gone@example.org", "active": False}, [], False, [("course:100", True)]),
    "idle": ([], {"email": "idle@example.org"}, [], False, [("course:100", False)]),
    "other": ([], {"email": "other@example.org"}, [], False, [("course:999", True)]),
    "nomail": ([], {}, [], False, [("course:100", True), ("cm:2010", True)]),
    "swedish": (
        [],
        {"preferred_language": "sv", "email": "sv@example.org"},
        [],
        False,
        [("course:100", True)],
    ),
}
UNKNOWN = "noone"  # an employee number nobody has: parked
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def example(app: Any, client: Any, tmp_path: Path) -> Example:
    app.config["PROCESSING"] = "worker"
    loaded = load_example(app, tmp_path)
    endpoint = client.post(
        "/api/v1/hr/endpoints",
        json={"url": "http://127.0.0.1:9/competences"},
        headers=loaded.admin_headers,
    )
    assert endpoint.status_code == 201, endpoint.get_json()
    with app.app_context(), session_scope(database()) as session:
        trainers = PathRow.slug == "trainers-digital-2027"
        session.execute(update(PathRow).where(trainers).values(out_of_order="wait"))
    return loaded


def _people(app: Any, example: Example, prefix: str) -> None:
    with app.test_request_context(), session_scope(database()) as session:
        issuing = issuing_service(session)
        for key, (teams, attributes, awarded, revoked, _) in PEOPLE.items():
            values = dict(attributes)
            if "email" in values:
                values["email"] = prefix.lower().strip("-") + "." + values["email"]
            person = add_person(
                session,
                example.organisation_id,
                employee_number=f"{prefix}{key}",
                given_name=key,
                **values,
            )
            session.flush()
            for team in teams:
                team_id = session.scalar(select(Team.id).where(Team.slug == team))
                session.add(TeamMember(team_id=team_id, person_id=person.id))
            session.flush()
            for slug in awarded:
                goal = session.scalars(select(SubGoal).where(SubGoal.slug == slug)).first()
                assert goal is not None, slug
                outcome = award(session, issuing, person=person, sub_goal_id=goal.id)
                if revoked:
                    revoke(session, issuing, outcome.credential, "given in error")


def _send(client: Any, example: Example, prefix: str) -> None:
    backlog = [
        (f"{prefix}{key}", n, activity, completed)
        for key, (*_, events) in PEOPLE.items()
        for n, (activity, completed) in enumerate(events)
    ]
    backlog.append((f"{prefix}{UNKNOWN}", 0, "course:100", True))
    for number, n, activity, completed in backlog:
        event = completion(example, f"{number}-{n}", employeeNumber=number)
        event["activity"]["id"] = activity
        event["result"]["completion"] = completed
        event["result"]["success"] = completed
        sent = post_signed(client, example, event, message_id=f"m-{number}-{n}")
        assert sent.status_code == 202, sent.get_json()


def _drain(app: Any, *, together: bool) -> list[str]:
    lines: list[str] = []
    run_worker(app, until_idle=True, batch_size=50, together=together, echo=lines.append)
    return lines


def _snapshot(app: Any, prefix: str) -> dict[str, Any]:
    """Everything the prefix's events led to, named without ids that differ by nature."""
    with app.app_context(), session_scope(database()) as session:
        people = {
            person.id: person.employee_number.removeprefix(prefix)
            for person in session.scalars(
                select(Person).where(Person.employee_number.startswith(prefix))
            )
        }
        return {
            "events": _events(session, prefix),
            **_issued(session, people),
            **_recognised(session, people),
            "notices": sorted(
                (people[n.person_id], n.kind, len(n.payload.get("credentials", [])))
                for n in session.scalars(select(Notice).where(Notice.person_id.in_(people)))
            ),
            "audit": sorted(
                Counter(
                    (event.action, people[uuid.UUID(event.details["person"])])
                    for event in session.scalars(
                        select(AuditEvent).where(AuditEvent.action.startswith("credential."))
                    )
                    if uuid.UUID(event.details.get("person", str(uuid.UUID(int=0)))) in people
                ).items()
            ),
        }


def _events(session: Session, prefix: str) -> list[tuple[str, str, str, int]]:
    rows = session.scalars(select(InboundEvent).where(InboundEvent.external_id.startswith(prefix)))
    return sorted(
        (
            event.external_id.removeprefix(prefix),
            event.state,
            UUID.sub("<id>", re.sub(re.escape(prefix), "", event.reason or "")),
            len(event.credential_ids),
        )
        for event in rows
    )


def _issued(session: Session, people: dict[uuid.UUID, str]) -> dict[str, Any]:
    credentials = []
    for credential, achievement_id in session.execute(
        select(Credential, AchievementVersion.achievement_id)
        .join(AchievementVersion, AchievementVersion.id == Credential.achievement_version_id)
        .where(Credential.person_id.in_(people))
    ):
        document = credential.document
        subject = document["credentialSubject"]
        credentials.append(
            (
                people[credential.person_id],
                str(achievement_id),
                credential.occurrence,
                str(credential.sub_goal_id),
                str(credential.path_id),
                credential.awarded_by or "",
                credential.language or "",
                credential.revoked_at is not None,
                str(credential.valid_until - credential.issued_at)
                if credential.valid_until
                else "",
                repr(
                    (
                        document["@context"],
                        document["type"],
                        document["issuer"],
                        document.get("name"),
                        subject["achievement"],
                        subject.get("result"),
                        document.get("evidence"),
                        sorted(i["identityType"] for i in subject.get("identifier", [])),
                    )
                ),
            )
        )
    return {"credentials": sorted(credentials)}


def _recognised(session: Session, people: dict[uuid.UUID, str]) -> dict[str, Any]:
    recognitions = sorted(
        (
            people[r.person_id],
            str(r.competence_id),
            r.level or 0,
            r.status,
            r.method,
            str(r.path_id),
            str(r.sub_goal_id),
        )
        for r in session.scalars(select(Recognition).where(Recognition.person_id.in_(people)))
    )
    holdings = sorted(
        (people[h.person_id], str(h.competence_id), h.level, h.valid_until is None)
        for h in session.scalars(
            select(CompetenceHolding).where(CompetenceHolding.person_id.in_(people))
        )
    )
    events: dict[str, list[tuple[Any, ...]]] = {}
    for event in session.scalars(
        select(CompetenceEvent)
        .where(CompetenceEvent.person_id.in_(people))
        .order_by(CompetenceEvent.seq)
    ):
        data = event.payload["data"]
        events.setdefault(people[event.person_id], []).append(
            (
                event.type,
                data["competence"]["item_code"],
                repr(data["proficiency"]),
                repr(data["assessment"]),
                data["validity"]["status"],
                repr(data["learning_path"]),
                repr(data["evidence"]["sources"]),
                data["evidence"]["credential_url"].startswith("https://"),
            )
        )
    deliveries = Counter(
        people[d.person_id]
        for d in session.scalars(select(Delivery).where(Delivery.person_id.in_(people)))
    )
    return {
        "recognitions": recognitions,
        "holdings": holdings,
        # one person's events in order; the order among people is not part of the contract
        "competence_events": sorted(events.items()),
        "deliveries": sorted(deliveries.items()),
    }


def test_a_batch_processed_together_ends_as_one_by_one(
    app: Any, client: Any, example: Example
) -> None:
    _people(app, example, "A-")
    _send(client, example, "A-")
    alone = _drain(app, together=False)
    assert alone and all("together=" not in line for line in alone)

    _people(app, example, "B-")
    _send(client, example, "B-")
    together = _drain(app, together=True)
    taken = sum(int(m.group(1)) for line in together if (m := re.search(r"together=(\d+)", line)))
    # the plain completions of many, more, waits (its second), twice (its first), nomail,
    # swedish
    assert taken >= 9, together

    one_by_one, batched = _snapshot(app, "A-"), _snapshot(app, "B-")
    for part in one_by_one:
        assert batched[part] == one_by_one[part], part
    # and the backlog did what it says (so equal does not mean equally empty)
    states = Counter(state for _, state, _, _ in batched["events"])
    assert states == {"processed": 14, "failed": 1, "parked": 1, "ignored": 1, "unmatched": 1}
    occurrences = Counter(c[2] for c in batched["credentials"])
    assert occurrences["achieved:2"] == 1 and sum(k.startswith("path:") for k in occurrences) == 1
    assert {kind for person, kind, _ in batched["notices"] if person == "nomail"} == set()
    assert batched["deliveries"] and batched["competence_events"]
    kinds = Counter(e[0] for _, events in batched["competence_events"] for e in events)
    assert kinds["competence.updated"] >= 1 and kinds["competence.revoked"] == 1
