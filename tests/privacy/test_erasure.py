"""Erasure: after it, no value of any table names the person (every text, JSON and binary
column of the whole schema scanned); their credentials still verify and can be revoked; HR
receives person.erased (on a real receiver on loopback) after the anonymised events still
waiting; the report says what was removed and kept; confirmation, tenants and repeats."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import problem
from tests.hr.conftest import rec_validate
from tests.hr.fake_receiver import FakeReceiver
from tests.privacy.world import EMAIL, FAMILY, GIVEN, NUMBER, World, build, values_naming


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver()
    yield fake
    fake.close()


@pytest.fixture
def world(app: Any, client: Any, tmp_path: Any, receiver: FakeReceiver) -> World:
    return build(app, client, tmp_path, receiver)


def _erase(world: World, confirm: str) -> Any:
    return world.client.post(
        f"/api/v1/people/{world.person_id}/erase", json={"confirm": confirm}, headers=world.headers
    )


def _verify(world: World, credential_id: str) -> dict[str, Any]:
    document = world.client.get(
        f"/credentials/{credential_id}", headers={"Accept": "application/json"}
    ).get_json()
    answer = world.client.post("/api/v1/verify", json=document)
    assert answer.status_code == 200, answer.get_json()
    report: dict[str, Any] = answer.get_json()
    return report


def test_after_erasure_no_table_names_the_person(world: World) -> None:
    before = values_naming(world.app)
    # The scan sees the person where they were: it can fail.
    for place in ("people.email", "inbound_events.raw", "evidence_files.data", "audit_events"):
        assert any(hit.startswith(place) for hit in before), (place, before)
    # The signed credentials never named them: only salted hashes of the e-mail and number.
    assert not any(hit.startswith("credentials.") for hit in before), before
    documents = {
        c: world.client.get(f"/credentials/{c}", headers={"Accept": "application/json"}).get_json()
        for c in world.credentials
    }

    answer = _erase(world, f"  {GIVEN.lower()}  {FAMILY.upper()} ")
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert values_naming(world.app) == []
    assert report["personId"] == world.person_id
    removed, kept = report["removed"], report["kept"]
    assert removed["evidence files"] == 1
    assert removed["lms accounts"] == 1
    assert removed["web sessions"] == 1
    assert removed["inbox payloads"] == 2  # the processed event and the parked one
    assert removed["undelivered HR deliveries rewritten"] >= 1
    assert "credentials" in kept and "salted hashes" in kept["credentials"]

    # The signed documents are untouched and still verify.
    for credential_id, document in documents.items():
        again = world.client.get(
            f"/credentials/{credential_id}", headers={"Accept": "application/json"}
        ).get_json()
        assert again == document
        verdict = _verify(world, credential_id)
        assert verdict["verified"], verdict
    person = world.client.get(f"/api/v1/people/{world.person_id}", headers=world.headers)
    body = person.get_json()
    assert body["active"] is False
    assert body["email"] is None and body["employeeNumber"] is None
    assert body["givenName"] is None and body["lmsAccounts"] == []
    assert body["erasedAt"]
    # A tombstone is not filled in again.
    refilled = world.client.patch(
        f"/api/v1/people/{world.person_id}", json={"email": EMAIL}, headers=world.headers
    )
    problem(refilled, 409)


def test_revocation_still_works_and_hr_hears_person_erased_last(
    world: World, receiver: FakeReceiver
) -> None:
    delivered_before = len(receiver.accepted())
    assert _erase(world, NUMBER).status_code == 200
    revoked = world.client.post(
        f"/api/v1/credentials/{world.credentials[0]}/revoke",
        json={"reason": "issued in error"},
        headers=world.headers,
    )
    assert revoked.status_code == 200, revoked.get_json()
    verdict = _verify(world, world.credentials[0])
    assert verdict["verified"] is False
    assert _verify(world, world.credentials[1])["verified"] is True

    world.deliver()
    payloads = [rec_validate(receipt.payload) for receipt in receiver.accepted()[delivered_before:]]
    types = [payload["type"] for payload in payloads]
    assert "person.erased" in types, types
    erased = next(p for p in payloads if p["type"] == "person.erased")
    assert erased["data"]["person"] == {
        "employee_number": None,
        "scim_id": world.person_id,
        "external_id": None,
        "email": None,
        "erased": True,
    }
    # What was still waiting went out anonymised, before person.erased; the revocation
    # after it names nobody either.
    assert types.index("person.erased") > 0
    assert types[-1] == "competence.revoked"
    for payload in payloads:
        assert payload["data"]["person"]["employee_number"] is None
        assert payload["data"]["person"]["erased"] is True
    # The feed serves the same anonymised events.
    feed = world.client.get("/api/v1/hr/competences?limit=100", headers=world.headers).get_json()
    text = str(feed).lower()
    assert NUMBER.lower() not in text and EMAIL.lower() not in text


def test_confirmation_tenants_scopes_and_repeats(world: World, make_tenant: Any) -> None:
    wrong = _erase(world, "someone else")
    assert problem(wrong, 400)["errors"] == {
        "confirm": ["does not match the person's employee number or full name"]
    }
    assert problem(
        world.client.post(
            f"/api/v1/people/{world.person_id}/erase", json={}, headers=world.headers
        ),
        400,
    )
    assert problem(
        world.client.post(
            f"/api/v1/people/{world.person_id}/erase",
            json={"confirm": NUMBER, "also": 1},
            headers=world.headers,
        ),
        400,
    )
    other = make_tenant("other-org")
    for path in ("erase", "export"):
        answer = world.client.post(
            f"/api/v1/people/{world.person_id}/{path}",
            json={"confirm": NUMBER},
            headers=other.headers,
        )
        problem(answer, 404)
    # A token of the same organisation without the admin scope may do neither.
    hr_only = make_tenant("esimerkkiopisto", ("hr:read",))
    for path in ("erase", "export"):
        answer = world.client.post(
            f"/api/v1/people/{world.person_id}/{path}",
            json={"confirm": NUMBER},
            headers=hr_only.headers,
        )
        problem(answer, 403)
    assert values_naming(world.app) != []  # nothing was erased by any of these
    assert _erase(world, NUMBER).status_code == 200
    problem(_erase(world, NUMBER), 409)
