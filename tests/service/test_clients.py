"""API clients can be listed, revoked and rotated (API and command line), each change in the
organisation's audit trail; a revoked or rotated-away token is refused at once, on every
channel it could authenticate."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, fresh_database
from tests.factories import Example, completion, load_example, post_signed


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_lists_creates_rotates_and_revokes_clients(client: Any, example: Example) -> None:
    admin = example.admin_headers
    listed = client.get("/api/v1/clients", headers=admin)
    assert listed.status_code == 200
    names = {item["name"]: item for item in listed.get_json()["items"]}
    assert set(names) == {"lms", "admin"}
    assert names["lms"]["scopes"] == ["events:write"] and names["lms"]["connection"] == "moodle"
    assert "token" not in json.dumps(listed.get_json()) and "whsec_" not in listed.get_data(True)

    created = client.post(
        "/api/v1/clients", json={"name": "reporting", "scopes": ["hr:read"]}, headers=admin
    )
    assert created.status_code == 201, created.get_json()
    reporting = created.get_json()
    assert reporting["token"].startswith("bst_") and reporting["secret"].startswith("whsec_")
    assert created.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/hr/deliveries", headers=_bearer(reporting["token"])).status_code == (
        200
    )
    bad = client.post("/api/v1/clients", json={"name": "x", "scopes": ["root"]}, headers=admin)
    assert bad.status_code == 400

    # Rotate: the old token is refused at once, the new one works.
    rotated = client.post(f"/api/v1/clients/{reporting['id']}/rotate", headers=admin)
    assert rotated.status_code == 200
    fresh = rotated.get_json()
    assert fresh["token"] != reporting["token"] and fresh["secret"] != reporting["secret"]
    assert client.get("/api/v1/hr/deliveries", headers=_bearer(reporting["token"])).status_code == (
        401
    )
    assert client.get("/api/v1/hr/deliveries", headers=_bearer(fresh["token"])).status_code == 200

    # Revoke (by name): refused from the very next request; twice is a conflict.
    revoked = client.post("/api/v1/clients/reporting/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.get_json()["revokedAt"] is not None
    assert client.get("/api/v1/hr/deliveries", headers=_bearer(fresh["token"])).status_code == 401
    again = client.post(f"/api/v1/clients/{reporting['id']}/revoke", headers=admin)
    assert again.status_code == 409
    assert client.post(f"/api/v1/clients/{reporting['id']}/rotate", headers=admin).status_code == (
        409
    )
    active = client.get("/api/v1/clients?revoked=false", headers=admin).get_json()["items"]
    assert {item["name"] for item in active} == {"lms", "admin"}

    # The audit trail: who did what, newest first, never a token.
    trail = client.get("/api/v1/audit", headers=admin)
    assert trail.status_code == 200
    events = trail.get_json()["items"]
    ours = [e for e in events if "reporting" in e["target"]]
    assert [e["action"] for e in ours] == ["client.revoked", "client.rotated", "client.created"]
    assert all(e["actor"].endswith("(admin)") for e in ours)
    assert reporting["token"] not in trail.get_data(True)
    assert fresh["secret"] not in trail.get_data(True)


def test_only_admins_manage_clients_and_only_their_own(
    client: Any, example: Example, make_tenant: Any
) -> None:
    other = make_tenant("other-org")
    lms = _bearer(example.token)
    assert client.get("/api/v1/clients", headers=lms).status_code == 403
    assert client.post("/api/v1/clients/lms/revoke", headers=lms).status_code == 403
    # Another organisation's admin cannot see or touch this one's clients.
    assert client.post("/api/v1/clients/lms/revoke", headers=other.headers).status_code == 404
    lms_id = example.client_id
    assert client.post(f"/api/v1/clients/{lms_id}/rotate", headers=other.headers).status_code == (
        404
    )


def test_a_revoked_client_is_refused_on_every_channel(client: Any, example: Example) -> None:
    assert post_signed(client, example, completion(example, "before")).status_code == 202
    revoked = client.post(
        f"/api/v1/clients/{example.client_id}/revoke", headers=example.admin_headers
    )
    assert revoked.status_code == 200
    # Signed webhook with its secret, bearer token, Moodle token in the body, xAPI Basic.
    assert post_signed(client, example, completion(example, "after")).status_code == 401
    token = client.post(
        "/api/v1/events", json=completion(example, "after-2"), headers=_bearer(example.token)
    )
    assert token.status_code == 401
    moodle = client.post(
        "/hooks/moodle/moodle",
        json={"eventname": "\\core\\event\\course_completed", "token": example.token},
    )
    assert moodle.status_code == 401
    basic = base64.b64encode(f"{example.client_id}:{example.secret}".encode()).decode()
    xapi = client.post(
        "/xapi/statements",
        data="{}",
        headers={
            "Authorization": f"Basic {basic}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    assert xapi.status_code == 401


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with fresh_database(tmp_path_factory) as url:
        folder = tmp_path_factory.mktemp("clients")
        shutil.copytree(ROOT / "issuers", folder / "issuers")
        env = {
            **os.environ,
            "BADGESERVICE_DATABASE_URL": url,
            "BADGESERVICE_SECRET_KEY": "clients test secret",
            "BADGESERVICE_PUBLIC_URL": "https://badges.example.org",
        }
        yield folder, env


def run(workdir: Any, *args: str) -> subprocess.CompletedProcess[str]:
    folder, env = workdir
    return subprocess.run(
        [sys.executable, "-m", "badgeservice", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_lists_rotates_and_revokes(workdir: Any) -> None:
    assert run(workdir, "db", "upgrade").returncode == 0
    assert run(workdir, "issuers", "load").returncode == 0
    org = ("--organisation", "esimerkkiopisto")
    made = run(
        workdir, "clients", "create", *org, "--scopes", "hr:read", "--name", "hris", "--json"
    )
    assert made.returncode == 0, made.stderr
    first = json.loads(made.stdout)

    listed = run(workdir, "clients", "list", *org)
    assert listed.returncode == 0
    (line,) = [row for row in listed.stdout.splitlines() if " hris " in row]
    assert "hr:read" in line and "active" in line and first["token"] not in listed.stdout

    rotated = run(workdir, "clients", "rotate", *org, "hris", "--json")
    assert rotated.returncode == 0, rotated.stderr
    second = json.loads(rotated.stdout)
    assert second["id"] == first["id"] and second["token"] != first["token"]

    revoked = run(workdir, "clients", "revoke", *org, first["id"])
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    twice = run(workdir, "clients", "revoke", *org, "hris")
    assert twice.returncode == 2 and twice.stderr.startswith("error: ")
    assert "already revoked" in twice.stderr
    missing = run(workdir, "clients", "revoke", *org, "nobody")
    assert missing.returncode == 2 and "no API client" in missing.stderr

    as_json = json.loads(run(workdir, "clients", "list", *org, "--json").stdout)
    assert next(c for c in as_json if c["name"] == "hris")["revokedAt"] is not None

    trail = run(workdir, "audit", "list", *org)
    assert trail.returncode == 0
    actions = [row.split("  ")[2] for row in trail.stdout.splitlines() if "(hris)" in row]
    assert actions == ["client.revoked", "client.rotated", "client.created"]
    assert all("operator (command line)" in row for row in trail.stdout.splitlines())
