"""Export round trip: the admin's download (API) is a zip whose export.json validates
against the JSON Schema the service publishes (and names in ``$schema``), every file it
lists is there with its SHA-256, the baked images unbake to the signed credentials, and
what the person is known by is all in it; recorded in the audit trail."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from badgeservice.credentials.baking import unbake
from tests.conftest import PUBLIC_URL, ROOT
from tests.factories import problem
from tests.hr.fake_receiver import FakeReceiver
from tests.privacy.world import ACCOUNT, EMAIL, FAMILY, NUMBER, World, build

SCHEMA_URL = "/schemas/privacy/personal-data-export.schema.json"


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver()
    yield fake
    fake.close()


@pytest.fixture
def world(app: Any, client: Any, tmp_path: Any, receiver: FakeReceiver) -> World:
    return build(app, client, tmp_path, receiver)


def validate_export(
    client: Any, data: bytes, public_url: str = PUBLIC_URL
) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """export.json of the zip, checked against the published schema; every listed file
    present with its size and SHA-256. Shared with the page tests."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    document = json.loads(archive.read("export.json"))
    published = client.get(SCHEMA_URL)
    assert published.status_code == 200
    assert published.mimetype == "application/schema+json"
    schema = published.get_json(force=True)
    assert schema == json.loads(
        (ROOT / "schemas/privacy/personal-data-export.schema.json").read_text(encoding="utf-8")
    )
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    assert document["$schema"] == public_url + SCHEMA_URL
    listed = {entry["path"]: entry for entry in document["files"]}
    assert set(archive.namelist()) == {"export.json", *listed}
    for path, entry in listed.items():
        content = archive.read(path)
        assert len(content) == entry["size"]
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
    return document, archive


def test_the_export_round_trip(world: World) -> None:
    answer = world.client.post(f"/api/v1/people/{NUMBER}/export", headers=world.headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "application/zip"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    document, archive = validate_export(world.client, answer.data)

    person = document["person"]
    assert (person["employee_number"], person["email"], person["family_name"]) == (
        NUMBER,
        EMAIL,
        FAMILY,
    )
    sections = document["sections"]
    assert [row["account"] for row in sections["lmsAccounts"]] == [ACCOUNT]
    assert {row["id"] for row in sections["credentials"]} == set(world.credentials)
    for row in sections["credentials"]:
        signed = json.loads(archive.read(row["documentFile"]))
        public = world.client.get(
            f"/credentials/{row['id']}", headers={"Accept": "application/json"}
        ).get_json()
        assert signed == public
        assert row["imageFile"], row
        baked = unbake(archive.read(row["imageFile"]))
        assert baked.credential == signed
    assert len(sections["evidenceClaims"]) == 1
    (evidence,) = sections["evidenceFiles"]
    assert archive.read(evidence["file"]).decode() == f"CV of Zebulon {FAMILY}"
    # The completion that matched them, and the one naming them by e-mail.
    assert {row["external_id"] for row in sections["inboxEvents"]} == {"evt-zq-1", "evt-zq-2"}
    assert sections["recognitions"] and sections["competenceEvents"] and sections["deliveries"]
    assert {row["role"] for row in sections["roleGrants"]} == {"assessor"}
    assert document["progress"] and all(path["steps"] for path in document["progress"])
    assert any(step["achieved"] for path in document["progress"] for step in path["steps"])

    audit = world.client.get("/api/v1/audit", headers=world.headers).get_json()
    assert any(entry["action"] == "person.exported" for entry in audit["items"])


def test_an_erased_person_exports_as_a_tombstone(world: World) -> None:
    erase = world.client.post(
        f"/api/v1/people/{world.person_id}/erase", json={"confirm": NUMBER}, headers=world.headers
    )
    assert erase.status_code == 200
    answer = world.client.post(f"/api/v1/people/{world.person_id}/export", headers=world.headers)
    document, _ = validate_export(world.client, answer.data)
    assert document["person"]["employee_number"] is None
    assert document["person"]["erased_at"]
    assert document["sections"]["lmsAccounts"] == []
    assert len(document["sections"]["credentials"]) == 2
    assert NUMBER.lower() not in json.dumps(document, ensure_ascii=False).lower()


def test_unknown_people_and_other_organisations_are_not_found(
    world: World, make_tenant: Any
) -> None:
    problem(world.client.post("/api/v1/people/E-NOBODY/export", headers=world.headers), 404)
    other = make_tenant("other-org")
    problem(
        world.client.post(f"/api/v1/people/{world.person_id}/export", headers=other.headers), 404
    )
