"""The audit trail through the API: who, when, what and from where is recorded where the
state changes (an award, a revocation, a settings change), filtered, paged and downloaded
as CSV or JSON Lines; each organisation sees only its own."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from badgeservice.audit.context import OPERATOR, WORKER, acting
from badgeservice.audit.models import AuditEvent
from badgeservice.audit.services import record
from badgeservice.db import database, session_scope
from badgeservice.errors import BadRequest
from tests.factories import Example, load_example

AUDIT = "/api/v1/audit"
WHERE = {"REMOTE_ADDR": "192.0.2.7"}


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path)


def _headers(example: Example, **more: str) -> dict[str, str]:
    return {**example.admin_headers, "User-Agent": "audit-test/1.0 " + "x" * 300, **more}


def _award_and_revoke(client: Any, example: Example) -> str:
    awarded = client.post(
        "/api/v1/awards",
        json={"subGoal": str(example.sub_goal_id), "person": "E1001"},
        headers=_headers(example),
        environ_base=WHERE,
    )
    assert awarded.status_code == 201, awarded.get_json()
    credential_id: str = awarded.get_json()["id"]
    revoked = client.post(
        f"/api/v1/credentials/{credential_id}/revoke",
        json={"reason": "awarded by mistake"},
        headers=_headers(example),
        environ_base=WHERE,
    )
    assert revoked.status_code == 200, revoked.get_json()
    return credential_id


def test_a_credential_change_says_who_when_what_and_from_where(
    client: Any, example: Example
) -> None:
    credential_id = _award_and_revoke(client, example)
    answer = client.get(f"{AUDIT}?action=credential.", headers=example.admin_headers)
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [item["action"] for item in items] == ["credential.revoked", "credential.issued"]
    revoked, issued = items
    for item in items:
        assert item["target"] == f"credential {credential_id}"
        assert item["actorKind"] == "client"
        assert item["actorId"] == _admin_id(client, example)
        assert item["actor"].endswith("(admin)")
        assert item["channel"] == "api"
        assert item["ip"] == "192.0.2.7"
        assert item["userAgent"].startswith("audit-test/1.0 ")
        assert len(item["userAgent"]) == 200  # truncated
    assert revoked["details"]["reason"] == "awarded by mistake"
    assert issued["details"]["occurrence"] == "achieved"
    assert revoked["at"] >= issued["at"]
    # Nothing secret: no token or secret appears anywhere in the trail.
    assert example.admin not in answer.get_data(as_text=True)
    assert "whsec_" not in answer.get_data(as_text=True)


def _admin_id(client: Any, example: Example) -> str:
    clients = client.get("/api/v1/clients", headers=example.admin_headers).get_json()["items"]
    return next(str(item["id"]) for item in clients if item["name"] == "admin")


def test_filters_narrow_the_trail_and_bad_ones_are_refused(client: Any, example: Example) -> None:
    credential_id = _award_and_revoke(client, example)

    def actions(query: str) -> list[str]:
        answer = client.get(f"{AUDIT}?{query}", headers=example.admin_headers)
        assert answer.status_code == 200, answer.get_json()
        return [item["action"] for item in answer.get_json()["items"]]

    everything = actions("limit=1000")
    assert "client.created" in everything and "definitions.loaded" in everything
    assert actions(f"target={credential_id.upper()}") == [
        "credential.revoked",
        "credential.issued",
    ]
    assert actions("action=credential.revoked") == ["credential.revoked"]
    assert actions("actor=ADMIN&action=credential") == ["credential.revoked", "credential.issued"]
    assert actions("actor=nobody-of-that-name") == []
    # "%" and "_" are matched as themselves, not as wildcards.
    assert actions("target=%25") == [] and actions("action=_") == []
    newest = client.get(f"{AUDIT}?limit=1", headers=example.admin_headers).get_json()["items"]
    at = newest[0]["at"].replace("+00:00", "Z")
    assert actions(f"from={at}&action=credential.") == ["credential.revoked"]
    assert "credential.revoked" not in actions(f"to={at}&limit=1000")
    assert actions("limit=2&offset=1") == everything[1:3]
    for bad in ("from=yesterday", "to=2026-12-01T10:00:00", "limit=0", "format=xml", "who=me"):
        answer = client.get(f"{AUDIT}?{bad}", headers=example.admin_headers)
        assert answer.status_code == 400, bad
        assert answer.content_type == "application/problem+json"


def test_the_trail_downloads_as_csv_and_json_lines(client: Any, example: Example) -> None:
    _award_and_revoke(client, example)
    pages = client.get(f"{AUDIT}?limit=1000", headers=example.admin_headers).get_json()["items"]

    as_csv = client.get(AUDIT, headers={**example.admin_headers, "Accept": "text/csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert as_csv.headers["Content-Disposition"] == 'attachment; filename="audit.csv"'
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert [row["id"] for row in rows] == [item["id"] for item in pages]
    revoked = next(row for row in rows if row["action"] == "credential.revoked")
    assert json.loads(revoked["details"])["reason"] == "awarded by mistake"
    assert revoked["ip"] == "192.0.2.7" and revoked["channel"] == "api"

    lines = client.get(f"{AUDIT}?format=jsonl&action=credential.", headers=example.admin_headers)
    assert lines.headers["Content-Type"].startswith("application/jsonl")
    entries = [json.loads(line) for line in lines.get_data(as_text=True).splitlines()]
    assert [entry["action"] for entry in entries] == ["credential.revoked", "credential.issued"]
    limited = client.get(f"{AUDIT}?format=jsonl&limit=1", headers=example.admin_headers)
    assert len(limited.get_data(as_text=True).splitlines()) == 1


def test_a_cell_a_spreadsheet_would_run_is_defused(app: Any, client: Any, example: Example) -> None:
    with app.app_context(), session_scope(database()) as session:
        record(session, example.organisation_id, "test.formula", "=HYPERLINK(1)", {})
    text = client.get(f"{AUDIT}?format=csv&action=test.", headers=example.admin_headers)
    row = next(csv.DictReader(io.StringIO(text.get_data(as_text=True))))
    assert row["target"] == "'=HYPERLINK(1)"


def test_only_admins_read_it_and_only_their_own(
    client: Any, example: Example, make_tenant: Any
) -> None:
    _award_and_revoke(client, example)
    other = make_tenant("other-org")
    theirs = client.get(f"{AUDIT}?limit=1000", headers=other.headers).get_json()["items"]
    assert all("credential" not in item["action"] for item in theirs)
    lms = {"Authorization": f"Bearer {example.token}"}
    assert client.get(AUDIT, headers=lms).status_code == 403
    assert client.get(AUDIT).status_code == 401


def test_retention_settings_change_through_the_api_and_are_audited(
    client: Any, example: Example
) -> None:
    url = f"/api/v1/organisations/{example.organisation_id}"
    before = client.get(url, headers=example.admin_headers).get_json()
    assert before["retention"] == {"inboxDays": 90, "deliveriesDays": 180, "auditDays": 730}
    changed = client.patch(
        url, json={"retention": {"inboxDays": 30, "auditDays": 365}}, headers=example.admin_headers
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["retention"] == {
        "inboxDays": 30,
        "deliveriesDays": 180,
        "auditDays": 365,
    }
    entry = client.get(
        f"{AUDIT}?action=organisation.retention", headers=example.admin_headers
    ).get_json()["items"]
    assert len(entry) == 1 and entry[0]["details"] == {"inbox": [90, 30], "audit": [730, 365]}
    for body in (
        {"retention": {"auditDays": 89}},
        {"retention": {"inboxDays": 6}},
        {"retention": {"inboxDays": "soon"}},
        {"retention": {"forever": 1}},
        {"name": "renamed"},
    ):
        refused = client.patch(url, json=body, headers=example.admin_headers)
        assert refused.status_code == 400, body
    assert (
        client.patch(
            f"/api/v1/organisations/{uuid.uuid4()}",
            json={"retention": {}},
            headers=example.admin_headers,
        ).status_code
        == 404
    )
    lms = {"Authorization": f"Bearer {example.token}"}
    assert client.patch(url, json={"retention": {"inboxDays": 30}}, headers=lms).status_code == 403


def test_the_command_line_and_the_worker_name_themselves(app: Any, example: Example) -> None:
    with app.app_context(), session_scope(database()) as session:
        with acting(OPERATOR, "cli"):
            by_operator = record(session, example.organisation_id, "test.cli", "x")
        with acting(WORKER, "worker"):
            by_worker = record(session, example.organisation_id, "test.worker", "x")
        by_system = record(session, example.organisation_id, "test.system", "x")
    assert (by_operator.actor_kind, by_operator.channel) == ("operator", "cli")
    assert by_operator.actor == "operator (command line)" and by_operator.ip is None
    assert (by_worker.actor_kind, by_worker.channel) == ("worker", "worker")
    assert (by_system.actor_kind, by_system.channel, by_system.actor) == (
        "system",
        "system",
        "system",
    )
    assert isinstance(by_system, AuditEvent)


def test_retention_declared_in_the_files_is_applied_and_audited(
    app: Any, client: Any, tmp_path: Path
) -> None:
    from badgeservice.definitions.loader import load_definitions

    example = load_example(app, tmp_path)
    toml = tmp_path / "issuers" / "esimerkkiopisto" / "organisation.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + "\n[retention]\ninbox_days = 30\naudit_days = 400\n",
        encoding="utf-8",
    )

    def load() -> None:
        with app.test_request_context(), session_scope(database()) as session:
            list(load_definitions(session, tmp_path / "issuers", app))

    load()
    shown = client.get(
        f"/api/v1/organisations/{example.organisation_id}", headers=example.admin_headers
    ).get_json()
    assert shown["retention"] == {"inboxDays": 30, "deliveriesDays": 180, "auditDays": 400}
    load()  # a second load changes nothing and records nothing
    entries = client.get(
        f"{AUDIT}?action=organisation.retention", headers=example.admin_headers
    ).get_json()["items"]
    assert len(entries) == 1 and entries[0]["channel"] == "system"
    assert entries[0]["details"] == {"inbox": [90, 30], "audit": [730, 400]}
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("audit_days = 400", "audit_days = 10"),
        encoding="utf-8",
    )
    with pytest.raises(BadRequest, match="90 to 36500"):
        load()
