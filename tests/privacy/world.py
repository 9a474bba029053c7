"""A person the service holds a lot about: the example organisation, an HR endpoint on a
fake receiver on loopback, a completion through the signed webhook (a credential, its
recognitions, HR deliveries, an e-mail notice), an awarded achievement, a parked event
naming them by e-mail, evidence with a file, a role, a page session, a sign-in link, a
bulk award line and audit entries naming them."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import LargeBinary, MetaData, String, Text, select
from sqlalchemy.types import JSON

from badgeservice.access.models import SignInIdentity
from badgeservice.access.sessions import start_session
from badgeservice.bulkawards.models import BulkAward, BulkRow
from badgeservice.db import database, session_scope
from badgeservice.evidence.models import EvidenceClaim, EvidenceFile
from badgeservice.hr.delivery.policy import RetryPolicy
from badgeservice.hr.delivery.sending import deliver_due
from badgeservice.organisations.services import record_event
from badgeservice.people.models import Person
from tests.factories import Example, completion, load_example, post_signed
from tests.hr.fake_receiver import FakeReceiver

FAST = RetryPolicy((0.05, 0.1, 0.2), max_age=60, timeout=2.0, breaker_threshold=10_000)

NUMBER = "QX-77812"
EMAIL = "Zebulon.Quixwater@example.org"
GIVEN, FAMILY = "Zebulon", "Quixwäter"
ACCOUNT = "zq-moodle-991"
EXTERNAL = "idp-zq-5521"
# Everything that names the person; none may remain anywhere after erasure.
NEEDLES = (NUMBER, EMAIL, GIVEN, FAMILY, f"{GIVEN} {FAMILY}", ACCOUNT, EXTERNAL)


@dataclass
class World:
    app: Any
    client: Any
    example: Example
    receiver: FakeReceiver
    person_id: str
    credentials: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return self.example.admin_headers

    def deliver(self) -> None:
        with self.app.app_context():
            for _ in range(20):
                stats = deliver_due(
                    database(),
                    keystore=self.app.extensions["badgeservice.keystore"],
                    policy=FAST,
                    rng=random.Random(1),
                )
                if not stats.attempted:
                    return


def build(app: Any, client: Any, tmp_path: Any, receiver: FakeReceiver) -> World:
    example = load_example(app, tmp_path)
    headers = example.admin_headers
    endpoint = client.post(
        "/api/v1/hr/endpoints", json={"url": receiver.url, "name": "hr"}, headers=headers
    ).get_json()
    receiver.secret = endpoint["secret"]
    person = client.post(
        "/api/v1/people",
        json={
            "employeeNumber": NUMBER,
            "email": EMAIL,
            "givenName": GIVEN,
            "familyName": FAMILY,
            "lmsAccounts": [{"connection": "moodle", "account": ACCOUNT}],
        },
        headers=headers,
    ).get_json()
    world = World(app, client, example, receiver, person["id"])
    answer = post_signed(client, example, completion(example, "evt-zq-1", employeeNumber=NUMBER))
    assert answer.status_code in (200, 202), answer.get_json()
    _fill(world)
    world.deliver()  # the first events reach HR; the award below stays waiting
    award = client.post(
        "/api/v1/awards",
        json={"achievement": str(_other_achievement(world)), "person": NUMBER},
        headers=headers,
    )
    assert award.status_code == 201, award.get_json()
    assert client.put(f"/api/v1/people/{NUMBER}/roles/assessor", headers=headers).status_code in (
        200,
        201,
    )
    with app.app_context(), session_scope(database()) as session:
        world.credentials = [
            str(c) for c in session.scalars(_credential_ids(uuid.UUID(world.person_id)))
        ]
    assert len(world.credentials) == 2
    return world


def _credential_ids(person_id: uuid.UUID) -> Any:
    from badgeservice.issuing.models import Credential

    return select(Credential.id).where(Credential.person_id == person_id)


def _other_achievement(world: World) -> uuid.UUID:
    from badgeservice.achievements.models import Achievement

    with world.app.app_context(), session_scope(database()) as session:
        found = session.scalar(
            select(Achievement.id)
            .where(
                Achievement.organisation_id == world.example.organisation_id,
                Achievement.id != world.example.achievement_id,
            )
            .order_by(Achievement.slug)
        )
        assert found is not None
        return found


def _fill(world: World) -> None:
    """The rows written directly: what pages and other channels would have made."""
    parked = completion(world.example, "evt-zq-2", email=EMAIL.upper())
    parked["activity"]["id"] = "https://lms.example.org/course/unknown-to-every-trigger"
    assert post_signed(world.client, world.example, parked).status_code in (200, 202)
    with world.app.test_request_context(), session_scope(database()) as session:
        person = session.get(Person, uuid.UUID(world.person_id))
        assert person is not None
        person.external_id = EXTERNAL
        organisation_id = person.organisation_id
        claim = EvidenceClaim(
            organisation_id=organisation_id,
            person_id=person.id,
            sub_goal_id=world.example.sub_goal_id,
            narrative=f"{GIVEN} {FAMILY} ran the workshop; see {EMAIL}.",
            url=f"https://portfolio.example.org/{NUMBER}",
            reason=f"Thank you {GIVEN}",
            state="returned",
        )
        claim.files = [
            EvidenceFile(
                position=0,
                filename=f"{FAMILY}-cv.txt",
                media_type="text/plain",
                size=20,
                data=f"CV of {GIVEN} {FAMILY}".encode(),
            )
        ]
        session.add(claim)
        session.add(
            SignInIdentity(
                organisation_id=organisation_id,
                person_id=person.id,
                issuer="https://idp.example.org",
                subject=EXTERNAL,
            )
        )
        start_session(session, person, "oidc")
        bulk = BulkAward(organisation_id=organisation_id, filename="awards.csv", sha256="0" * 64)
        session.add(bulk)
        session.flush()
        session.add(
            BulkRow(
                bulk_id=bulk.id,
                line=2,
                person_ref=EMAIL,
                badge_ref="x",
                person_id=person.id,
                narrative=f"for {GIVEN}",
            )
        )
        record_event(
            session,
            organisation_id,
            f"person {person.id} ({GIVEN} {FAMILY})",
            "test.action",
            f"person {NUMBER}",
            {"email": EMAIL, "names": [GIVEN, FAMILY]},
        )


def values_naming(app: Any, needles: tuple[str, ...] = NEEDLES) -> list[str]:
    """Every text, JSON and binary value of every table of the database (its schema read
    from the database itself, so a table or column added by any migration is scanned too)
    that contains one of ``needles``, case-insensitively: ``table.column: [needles]``."""
    found = []
    lowered = [needle.lower() for needle in needles]
    with app.app_context():
        engine = database().engine
        schema = MetaData()
        schema.reflect(bind=engine)
        assert "people" in schema.tables and len(schema.tables) > 30
        with engine.connect() as connection:
            for table in schema.sorted_tables:
                for column in table.columns:
                    if not isinstance(column.type, String | Text | JSON | LargeBinary):
                        continue
                    for value in connection.scalars(select(column).where(column.is_not(None))):
                        text = _as_text(value).lower()
                        hits = [n for n in lowered if n in text]
                        if hits:
                            found.append(f"{table.name}.{column.name}: {hits}")
    return found


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
