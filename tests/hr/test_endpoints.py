"""HR endpoints: the API (secret shown once, validation, deactivation, rotation, tenant
isolation) and endpoints declared in an organisation's files with the operator commands."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from badgeservice.cli import cli
from badgeservice.commands import register
from badgeservice.hr.models import Delivery, HrEndpoint
from tests.conftest import ROOT
from tests.hr.conftest import DlvOrg

register(cli)

URL = "https://hr.example.org/webhooks/competences"


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert body["status"] == status and body["detail"]
    return dict(body)


def test_create_shows_the_secret_once_and_stores_it_wrapped(dlv_org: DlvOrg) -> None:
    created = dlv_org.add_endpoint(URL, name="hr-register", description="Sympa")
    assert created["name"] == "hr-register" and created["url"] == URL and created["active"]
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    client, headers = dlv_org.client, dlv_org.headers
    listed = client.get("/api/v1/hr/endpoints", headers=headers).get_json()["items"]
    one = client.get(f"/api/v1/hr/endpoints/{created['id']}", headers=headers).get_json()
    assert [e["id"] for e in listed] == [created["id"]]
    for shown in (listed[0], one):
        assert "secret" not in shown and secret not in str(shown)
    with dlv_org.db() as session:
        row = session.get(HrEndpoint, uuid.UUID(created["id"]))
        assert row is not None
        assert secret.encode() not in row.secret_ciphertext
        assert secret[6:].encode() not in row.secret_ciphertext
    # a generated name when none is given; a taken name is a conflict
    other = dlv_org.add_endpoint("http://127.0.0.1:9/x")
    assert other["name"].startswith("hr-") and other["secret"] != secret
    again = client.post(
        "/api/v1/hr/endpoints", json={"url": URL, "name": "hr-register"}, headers=headers
    )
    assert "hr-register" in problem(again, 409)["detail"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"url": "ftp://hr.example.org/x"}, "http"),
        ({"url": "https://user:pw@hr.example.org/x"}, "credentials"),
        ({"url": "https://:pw@hr.example.org/x"}, "credentials"),
        ({"url": "https:///nohost"}, "host"),
        ({"url": "https://hr.example.org/x#frag"}, "fragment"),
        ({"url": "https://hr.example.org/a b"}, "spaces"),
        ({"url": "https://hr.example.org:99999/x"}, "URL"),
        ({"url": "https://hr.example.org/" + "x" * 2000}, "2000"),
        ({"url": ""}, "http"),
        ({"url": 42}, "string"),
        ({}, "url"),
        ({"url": URL, "name": "Not A Slug"}, "slug"),
        ({"url": URL, "secret": "whsec_mine"}, "secret"),
        ({"url": URL, "description": "   "}, "blank"),
    ],
)
def test_bad_endpoint_input_is_a_precise_400(dlv_org: DlvOrg, body: Any, says: str) -> None:
    answer = dlv_org.client.post("/api/v1/hr/endpoints", json=body, headers=dlv_org.headers)
    assert says.lower() in problem(answer, 400)["detail"].lower()


def test_patch_delete_and_rotate(dlv_org: DlvOrg) -> None:
    client, headers = dlv_org.client, dlv_org.headers
    dlv_org.person("D001")  # issued before the endpoint: only published events are queued
    created = dlv_org.add_endpoint(URL, name="hr")
    path = f"/api/v1/hr/endpoints/{created['id']}"
    changed = client.patch(
        path, json={"url": "http://127.0.0.1:9/hr", "description": "middleware"}, headers=headers
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["url"] == "http://127.0.0.1:9/hr"
    assert changed.get_json()["description"] == "middleware"
    problem(client.patch(path, json={"url": "mailto:hr@example.org"}, headers=headers), 400)
    problem(client.patch(path, json={"active": "no"}, headers=headers), 400)
    problem(client.patch(path, json={"name": "renamed"}, headers=headers), 400)
    problem(client.patch(path, data="{", headers=headers, content_type="application/json"), 400)

    rotated = client.post(f"{path}/secret", headers=headers)
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    assert rotated.get_json()["id"] == created["id"]
    assert rotated.get_json()["secret"].startswith("whsec_")
    assert rotated.get_json()["secret"] != created["secret"]

    # removing deactivates: pending deliveries are dead-lettered with the reason, not lost
    first = dlv_org.publish("D001")
    removed = client.delete(path, headers=headers)
    assert removed.status_code == 200 and removed.get_json()["active"] is False
    with dlv_org.db() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
        assert str(delivery.event_id) == first
        assert delivery.state == "dead" and "deactivated" in (delivery.last_error or "")
    dlv_org.publish("D001", "competence.revoked")  # an inactive endpoint gets nothing new
    with dlv_org.db() as session:
        assert len(session.scalars(select(Delivery)).all()) == 1
    assert client.get(path, headers=headers).get_json()["active"] is False
    listed = client.get("/api/v1/hr/endpoints?active=true", headers=headers).get_json()
    assert listed["items"] == []
    redeliver = client.post(f"/api/v1/hr/deliveries/{delivery.id}/redeliver", headers=headers)
    assert "inactive" in problem(redeliver, 409)["detail"]
    back = client.patch(path, json={"active": True}, headers=headers)
    assert back.get_json()["active"] is True
    assert client.post(f"/api/v1/hr/deliveries/{delivery.id}/redeliver", headers=headers).json[
        "state"
    ] == ("pending")


def test_organisations_are_isolated_and_scopes_enforced(dlv_org: DlvOrg, make_tenant: Any) -> None:
    client = dlv_org.client
    dlv_org.person("I001")
    mine = dlv_org.add_endpoint(URL, name="hr")
    dlv_org.publish("I001")
    with dlv_org.db() as session:
        delivery = session.scalars(select(Delivery)).one()
    other = make_tenant("other-org")
    path = f"/api/v1/hr/endpoints/{mine['id']}"
    for method, url, body in [
        ("get", path, None),
        ("patch", path, {"active": False}),
        ("delete", path, None),
        ("post", f"{path}/secret", None),
        ("get", f"/api/v1/hr/deliveries/{delivery.id}", None),
        ("post", f"/api/v1/hr/deliveries/{delivery.id}/redeliver", None),
    ]:
        answer = getattr(client, method)(url, json=body, headers=other.headers)
        problem(answer, 404)
    assert client.get("/api/v1/hr/endpoints", headers=other.headers).json["items"] == []
    assert client.get("/api/v1/hr/deliveries", headers=other.headers).json["items"] == []
    with dlv_org.db() as session:
        row = session.get(HrEndpoint, uuid.UUID(mine["id"]))
        assert row is not None and row.active
    # scopes: hr:read may read the delivery log, not manage endpoints; no token is a 401
    reader = make_tenant("other-org", scopes=("hr:read",))
    problem(client.post("/api/v1/hr/endpoints", json={"url": URL}, headers=reader.headers), 403)
    problem(client.get("/api/v1/hr/endpoints", headers=reader.headers), 403)
    assert client.get("/api/v1/hr/deliveries", headers=reader.headers).status_code == 200
    problem(client.get("/api/v1/hr/endpoints"), 401)
    problem(client.get(f"{path}-nope", headers=dlv_org.headers), 404)


def _cli(app: Any, *args: str) -> Any:
    env = {
        "BADGESERVICE_DATABASE_URL": app.config["DATABASE_URL"],
        "BADGESERVICE_SECRET_KEY": app.config["SECRET_KEY"],
        "BADGESERVICE_PUBLIC_URL": app.config["PUBLIC_URL"],
        "BADGESERVICE_INSTANCE_PATH": app.config["INSTANCE_PATH"],
    }
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_endpoints_declared_in_the_organisation_files(app: Any, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "issuers"
    shutil.copytree(ROOT / "issuers", folder)
    toml = folder / "esimerkkiopisto" / "connections.toml"
    toml.write_text(
        toml.read_text()
        + '\n[[hr_endpoints]]\nname = "hr-register"\nurl = "https://hr.example.org/in"\n'
    )
    loaded = _cli(app, "issuers", "load", str(folder))
    assert loaded.exit_code == 0, loaded.output
    assert "1 HR endpoints created" in loaded.output
    listed = _cli(app, "hr", "endpoints", "list", "esimerkkiopisto")
    assert "hr-register  active  https://hr.example.org/in" in listed.output
    secret = _cli(app, "hr", "endpoints", "secret", "esimerkkiopisto", "hr-register")
    assert secret.exit_code == 0 and secret.output.startswith("whsec_")
    assert (
        secret.output
        == _cli(app, "hr", "endpoints", "secret", "esimerkkiopisto", "hr-register").output
    )
    rotated = _cli(app, "hr", "endpoints", "secret", "--rotate", "esimerkkiopisto", "hr-register")
    assert rotated.output.startswith("whsec_") and rotated.output != secret.output

    again = _cli(app, "issuers", "load", str(folder))
    assert "HR endpoints" not in again.output  # unchanged
    toml.write_text(toml.read_text().replace("hr.example.org/in", "hr.example.org/v2"))
    assert "1 HR endpoints updated" in _cli(app, "issuers", "load", str(folder)).output
    # the secret survives an update from the files
    kept = _cli(app, "hr", "endpoints", "secret", "esimerkkiopisto", "hr-register")
    assert kept.output == rotated.output

    declared = toml.read_text()
    toml.write_text(
        declared + '\n[[hr_endpoints]]\nname = "b"\nurl = "https://u:p@hr.example.org/"\n'
    )
    bad = _cli(app, "issuers", "load", str(folder))
    assert bad.exit_code == 2
    assert "hr_endpoints[1].url" in bad.output and "user:password" in bad.output
    toml.write_text(declared + '\n[[hr_endpoints]]\nname = "hr-register"\nurl = "http://a/"\n')
    twice = _cli(app, "issuers", "load", str(folder))
    assert twice.exit_code == 2 and "hr_endpoints[1].name: duplicate" in twice.output

    missing = _cli(app, "hr", "endpoints", "secret", "esimerkkiopisto", "nope")
    assert missing.exit_code == 2 and "no HR endpoint named 'nope'" in missing.output
