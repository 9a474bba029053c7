"""Fixtures of the recognition, feed and expiry tests (``rec_`` prefixed): an organisation
with DigComp 2.2, people and achievements, built through the real API."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from badgeservice.db import database, session_scope
from badgeservice.hr.models import CompetenceEvent, CompetenceHolding, Recognition
from badgeservice.people.models import Person
from tests.conftest import ROOT, Tenant
from tests.factories import install_digcomp

EVENT_SCHEMA = json.loads(
    (ROOT / "schemas" / "hr" / "competence-event.schema.json").read_text(encoding="utf-8")
)
Draft202012Validator.check_schema(EVENT_SCHEMA)
_VALIDATOR = Draft202012Validator(EVENT_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def rec_validate(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload, after checking it against the published JSON Schema."""
    errors = sorted(_VALIDATOR.iter_errors(payload), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    return payload


@dataclass
class RecOrg:
    """One organisation driven through the API, with direct reads of the HR tables."""

    app: Any
    client: Any
    tenant: Tenant
    codes: dict[str, str]
    people: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return self.tenant.headers

    @contextmanager
    def db(self) -> Iterator[Session]:
        with self.app.app_context(), session_scope(database()) as session:
            yield session

    def add_person(self, key: str, **values: Any) -> str:
        with self.db() as session:
            person = Person(organisation_id=self.tenant.organisation_id, **values)
            session.add(person)
            session.flush()
            self.people[key] = str(person.id)
        return self.people[key]

    def achievement(self, slug: str, alignments: list[tuple[str, int | None]], **extra: Any) -> str:
        body = {
            "slug": slug,
            "issuer": str(self.tenant.issuer_id),
            "name": f"Badge {slug}",
            "description": f"The {slug} badge.",
            "criteria": {"narrative": "Do the thing."},
            "alignments": [
                {"competence": self.codes[code], "level": level} for code, level in alignments
            ],
            **extra,
        }
        response = self.client.post("/api/v1/achievements", json=body, headers=self.headers)
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    def award(self, achievement_id: str, person: str, **extra: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/awards",
            json={"achievement": achievement_id, "person": self.people[person], **extra},
            headers=self.headers,
        )
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def revoke(self, credential_id: str) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/credentials/{credential_id}/revoke",
            json={"reason": "issued in error"},
            headers=self.headers,
        )
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def events(self) -> list[CompetenceEvent]:
        with self.db() as session:
            return list(
                session.scalars(
                    select(CompetenceEvent)
                    .where(CompetenceEvent.organisation_id == self.tenant.organisation_id)
                    .order_by(CompetenceEvent.seq)
                )
            )

    def recognitions(self, person: str) -> list[Recognition]:
        with self.db() as session:
            return list(
                session.scalars(
                    select(Recognition)
                    .where(Recognition.person_id == uuid.UUID(self.people[person]))
                    .order_by(Recognition.created_at, Recognition.level)
                )
            )

    def holdings(self, person: str) -> dict[str, int]:
        """Holdings of the person: competence code → level."""
        by_id = {value: code for code, value in self.codes.items()}
        with self.db() as session:
            rows = session.scalars(
                select(CompetenceHolding).where(
                    CompetenceHolding.person_id == uuid.UUID(self.people[person])
                )
            )
            return {by_id[str(row.competence_id)]: row.level for row in rows}

    def feed(
        self, after: str | None = None, limit: int | None = None, *, expect: int = 0
    ) -> dict[str, Any]:
        """A page of the feed; with ``expect``, polled until it holds that many events."""
        params = {k: v for k, v in (("after", after), ("limit", limit)) if v is not None}

        def read() -> dict[str, Any]:
            response = self.client.get(
                "/api/v1/hr/competences", query_string=params, headers=self.headers
            )
            assert response.status_code == 200, response.get_json()
            body: dict[str, Any] = response.get_json()
            return body

        return rec_poll(read, expect) if expect else read()


def rec_poll(
    read: Callable[[], dict[str, Any]], count: int, seconds: float = 120
) -> dict[str, Any]:
    """``read()`` until its ``items`` hold ``count`` events. On PostgreSQL the feed holds
    events back while any older write transaction of the cluster still runs: transaction ids
    are cluster-wide, so other databases' (other test runs', benchmarks') count too."""
    deadline = time.monotonic() + seconds
    while True:
        body = read()
        if len(body["items"]) >= count or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


rec_install_digcomp = install_digcomp


@pytest.fixture
def rec_make_org(app: Any, client: Any, make_tenant: Any) -> Callable[[str], RecOrg]:
    """Organisations with DigComp 2.2 and one person ``aino`` (employee number, e-mail and
    SCIM external id)."""

    def make(slug: str = "acme") -> RecOrg:
        tenant = make_tenant(slug)
        org = RecOrg(app, client, tenant, rec_install_digcomp(client, tenant))
        org.add_person(
            "aino",
            employee_number="E012345",
            email=f"aino@{slug}.example.org",
            external_id=f"aad-{slug}-1",
            given_name="Aino",
        )
        return org

    return make


@pytest.fixture
def rec_org(rec_make_org: Callable[[str], RecOrg]) -> RecOrg:
    return rec_make_org("acme")


# -- the competence reserve (res_) -------------------------------------------------------


@dataclass
class ResWorld:
    """A small organisation whose reserve numbers are worked out by hand in the tests:
    awards through the API, then recognition dates moved into the past to make history."""

    org: RecOrg
    teams: dict[str, str]
    targets: dict[str, str]
    achievements: dict[str, str]
    credentials: dict[str, str]
    ends: list[Any]  # the 12 month ends the trend reports, oldest first
    now: Any

    def get(self, url: str, **params: Any) -> Any:
        return self.org.client.get(url, query_string=params, headers=self.org.headers)

    def person(self, key: str) -> str:
        return self.org.people[key]

    def upkeep(self) -> None:
        """What the worker does between reads: the stored counts and points brought up to
        date (reads never write them)."""
        from badgeservice.hr.reserve.targets import maintain_reserve

        with self.org.db() as session:
            assert maintain_reserve(session, self.org.tenant.organisation_id) > 0


# key: (given name, family name, team); p1 also supervises team a
RES_PEOPLE = {
    "p1": ("Helena", "Korhonen", "a"),
    "p2": ('Aino, "A"', "Aalto", "a"),
    "p3": ("Mikko", "Virtanen", "a"),
    "p4": ("Sari", "Laine", "a"),
    "p5": ("Pekka", "Makinen", "a"),
    "p6": ("=1+2", "Nieminen", "b"),
    "p7": ("Juha", "Heikkinen", "b"),
    "p8": ("Liisa", "Koskinen", "b"),
    "p9": ("Timo", "Jarvinen", "b"),
    "p10": ("Anna", "Lehtonen", "b"),
    "p11": ("Eero", "Salo", "a"),  # deactivated after the award
}
RES_ACHIEVEMENTS = {
    "a31_3": ("3.1", 3),
    "a31_4": ("3.1", 4),
    "a31_5": ("3.1", 5),
    "a31_6": ("3.1", 6),
    "a41_2": ("4.1", 2),
    "a41_3": ("4.1", 3),
    "a41_4": ("4.1", 4),
    "a41_5": ("4.1", 5),
    "a53_1": ("5.3", 1),
    "a53_2": ("5.3", 2),
}
# In award order: person, achievement.
RES_AWARDS = [
    ("p1", "a31_5"),
    ("p1", "a41_5"),
    ("p1", "a53_2"),
    ("p1", "a31_4"),
    ("p2", "a31_4"),
    ("p2", "a53_1"),
    ("p3", "a31_3"),
    ("p4", "a31_4"),
    ("p5", "a31_4"),
    ("p6", "a31_4"),
    ("p6", "a41_3"),
    ("p7", "a41_4"),
    ("p8", "a41_2"),
    ("p11", "a31_6"),
]


def res_build(org: RecOrg) -> ResWorld:
    """Organisation path ``strategy`` (targets 3.1 ≥ 4 for 50 % of everyone, 4.1 ≥ 3 for
    80 % of team b; sub-goals a31_4, a53_2) and team a's path ``trainers`` (target 5.3 ≥ 2
    for all of team a; sub-goal a31_5). History (month ends e0..e11): p1 holds 3.1 from
    before e0 (twice: a31_5, and a31_4 from before e3), p2 from before e5, p4 from before
    e8 until revoked now, p5 from before e2 until expiry before e6, p6 from now; p11 is
    inactive. 5.3: p1 (level 2) from before e0."""
    from datetime import date, timedelta

    from sqlalchemy import update

    from badgeservice.db import utcnow
    from badgeservice.hr.recognitions.recording import expire_due
    from badgeservice.hr.reserve.targets import month_ends
    from badgeservice.issuing.models import Credential
    from badgeservice.paths.models import Path, PathTarget, SubGoal

    now = utcnow()
    ends = [at for _, at in month_ends(now, 12)]
    for key, (given, family, _team) in RES_PEOPLE.items():
        org.add_person(
            key,
            employee_number=f"E{key[1:]:0>3}",
            email=f"{key}@acme.example.org",
            given_name=given,
            family_name=family,
        )
    teams = {}
    for team in ("a", "b"):
        members = [
            {"person": org.people[key], "role": "member"}
            for key, spec in RES_PEOPLE.items()
            if spec[2] == team
        ]
        if team == "a":
            members.append({"person": org.people["p1"], "role": "supervisor"})
        response = org.client.post(
            "/api/v1/teams",
            json={"slug": f"team-{team}", "name": f"Team {team.upper()}", "members": members},
            headers=org.headers,
        )
        assert response.status_code == 201, response.get_json()
        teams[team] = response.get_json()["id"]
    achievements = {
        key: org.achievement(key.replace("_", "-"), [(code, level)])
        for key, (code, level) in RES_ACHIEVEMENTS.items()
    }
    credentials = {
        f"{person}:{achievement}": org.award(achievements[achievement], person)["id"]
        for person, achievement in RES_AWARDS
    }
    made: dict[str, PathTarget] = {}
    with org.db() as session:
        org_id = org.tenant.organisation_id
        strategy = Path(organisation_id=org_id, slug="strategy", kind="organisation", name="S")
        trainers = Path(
            organisation_id=org_id,
            slug="trainers",
            kind="team",
            name="Trainers",
            team_id=uuid.UUID(teams["a"]),
        )
        for path, specs in (
            (strategy, [("t31", "3.1", 4, 0.5, None), ("t41", "4.1", 3, 0.8, "b")]),
            (trainers, [("t53", "5.3", 2, 1.0, None)]),
        ):
            for position, (key, code, level, share, team) in enumerate(specs):
                target = PathTarget(
                    competence_id=uuid.UUID(org.codes[code]),
                    level=level,
                    share=share,
                    due=date(2027, 6, 30),
                    team_id=uuid.UUID(teams[team]) if team else None,
                    position=position,
                )
                path.targets.append(target)
                made[key] = target
        for path, goals in ((strategy, ["a31_4", "a53_2"]), (trainers, ["a31_5"])):
            for position, key in enumerate(goals):
                path.sub_goals.append(
                    SubGoal(
                        organisation_id=org_id,
                        slug=key.replace("_", "-"),
                        name=key,
                        achievement_id=uuid.UUID(achievements[key]),
                        position=position,
                    )
                )
        session.add_all([strategy, trainers])
        session.flush()
        targets = {key: str(target.id) for key, target in made.items()}

        day = timedelta(days=1)

        def move(key: str, valid_from: Any, valid_until: Any = None) -> None:
            credential = uuid.UUID(credentials[key])
            values: dict[str, Any] = {"valid_from": valid_from}
            if valid_until is not None:
                values["valid_until"] = valid_until
                session.execute(
                    update(Credential)
                    .where(Credential.id == credential)
                    .values(valid_until=valid_until)
                )
            session.execute(
                update(Recognition).where(Recognition.credential_id == credential).values(**values)
            )
            person = session.scalar(
                select(Recognition.person_id).where(Recognition.credential_id == credential)
            )
            competence = session.scalar(
                select(Recognition.competence_id).where(Recognition.credential_id == credential)
            )
            holding = {"since": valid_from}
            if valid_until is not None:
                holding["valid_until"] = valid_until
            session.execute(
                update(CompetenceHolding)
                .where(
                    CompetenceHolding.person_id == person,
                    CompetenceHolding.competence_id == competence,
                )
                .values(**holding)
            )

        for key in ("p1:a31_5", "p1:a41_5", "p1:a53_2", "p11:a31_6"):
            move(key, ends[0] - day)
        session.execute(
            update(Recognition)
            .where(Recognition.credential_id == uuid.UUID(credentials["p1:a31_4"]))
            .values(valid_from=ends[3] - day)
        )
        move("p2:a31_4", ends[5] - day, now + timedelta(days=100))
        move("p4:a31_4", ends[8] - day)
        move("p5:a31_4", ends[2] - day, ends[6] - day)
        session.execute(
            update(Person).where(Person.id == uuid.UUID(org.people["p11"])).values(active=False)
        )
    org.revoke(credentials["p4:a31_4"])
    with org.db() as session:
        assert expire_due(session, now=utcnow()) == 1
    return ResWorld(org, teams, targets, achievements, credentials, ends, now)


@pytest.fixture
def res_world(rec_make_org: Callable[[str], RecOrg]) -> ResWorld:
    return res_build(rec_make_org("acme"))


# -- delivery tests (``dlv_`` prefixed): the example organisation, people holding a
# credential each, competence events published through the outbox ----------------------


@dataclass
class DlvOrg:
    """The example organisation with an admin token; ``publish`` queues a competence event
    for a person through the real outbox (one delivery per active HR endpoint)."""

    app: Any
    client: Any
    admin: str
    organisation_id: uuid.UUID
    sub_goal_id: uuid.UUID
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    credentials: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}

    @contextmanager
    def db(self) -> Iterator[Session]:
        with self.app.test_request_context(), session_scope(database()) as session:
            yield session

    def add_endpoint(self, url: str, **extra: Any) -> dict[str, Any]:
        answer = self.client.post(
            "/api/v1/hr/endpoints", json={"url": url, **extra}, headers=self.headers
        )
        assert answer.status_code == 201, answer.get_json()
        return dict(answer.get_json())

    def person(self, number: str) -> uuid.UUID:
        """A person with one credential. Issuing publishes events of its own: call this
        before adding endpoints when a test wants only the events it publishes queued."""
        from badgeservice.awards.awarding import award
        from badgeservice.issuing.services import IssuingService
        from badgeservice.people.services import PersonData, create_person

        if number not in self.people:
            with self.db() as session:
                person = create_person(
                    session, self.organisation_id, PersonData(employee_number=number)
                )
                issuing = IssuingService(
                    session,
                    public_url=self.app.config["PUBLIC_URL"],
                    keystore=self.app.extensions["badgeservice.keystore"],
                )
                outcome = award(session, issuing, person=person, sub_goal_id=self.sub_goal_id)
                self.people[number] = person.id
                self.credentials[number] = outcome.credential.id
        return self.people[number]

    def publish(self, number: str, type: str = "competence.recognised") -> str:
        """Queue one event for the person; its id (the webhook-id receivers see)."""
        from badgeservice.db import utcnow
        from badgeservice.frameworks.models import Competence, Framework
        from badgeservice.hr.delivery.outbox import publish

        person_id = self.person(number)
        with self.db() as session:
            recognition = session.scalar(
                select(Recognition).where(Recognition.credential_id == self.credentials[number])
            )
            if recognition is None:
                competence = session.scalar(
                    select(Competence.id)
                    .join(Framework)
                    .where(Framework.organisation_id == self.organisation_id)
                )
                assert competence is not None
                recognition = Recognition(
                    organisation_id=self.organisation_id,
                    person_id=person_id,
                    credential_id=self.credentials[number],
                    competence_id=competence,
                    level=4,
                    valid_from=utcnow(),
                )
                session.add(recognition)
                session.flush()
            payload = {
                "type": type,
                "timestamp": utcnow().isoformat(),
                "data": {"person": {"employee_number": number}, "note": "ä ✓"},
            }
            event = publish(
                session,
                organisation_id=self.organisation_id,
                person_id=person_id,
                recognition_id=recognition.id,
                type=type,
                payload=payload,
            )
            event.payload = {**payload, "id": str(event.id)}
            return str(event.id)


@pytest.fixture
def dlv_org(app: Any, client: Any, tmp_path: Any) -> DlvOrg:
    from tests.factories import load_example

    example = load_example(app, tmp_path)
    return DlvOrg(app, client, example.admin, example.organisation_id, example.sub_goal_id)
