"""The documents match the service and the repository: the README and docs/ point only at
files a clone has, docs/architecture.md names the parts that exist, and every inbound format
in docs/inbound.md has a complete example that the service accepts as it is."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from badgeservice.db import database, session_scope
from badgeservice.organisations.services import create_client, organisation_by_slug
from tests.conftest import ROOT
from tests.factories import load_example, signed_headers

DOCS = ROOT / "docs"


def _examples() -> dict[str, Any]:
    text = (DOCS / "inbound.md").read_text(encoding="utf-8")
    found = re.findall(r"<!-- example: (\w+) -->\n```json\n(.*?)\n```", text, flags=re.S)
    return {name: json.loads(body) for name, body in found}


def test_readme_and_docs_refer_only_to_files_in_the_repository() -> None:
    for document in (ROOT / "README.md", *DOCS.glob("*.md")):
        text = document.read_text(encoding="utf-8")
        assert "../" not in text, f"{document.name} points outside the repository"
        for target in re.findall(r"\]\(((?!https?:|#|mailto:)[^)\s]+)\)", text):
            assert (document.parent / target.split("#")[0]).exists(), (document.name, target)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/architecture.md" in readme
    assert "docs/inbound.md" in readme


def test_the_architecture_document_names_the_parts_that_exist() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    for heading in ("## Words", "## The flow", "## The parts"):
        assert heading in text
    folders = set(re.findall(r"`(?:badgeservice/)?(\w+)/`", text))
    assert {"credentials", "paths", "issuing", "awards", "hr", "ingest", "scim"} <= folders
    for folder in folders - {"instance"}:  # made at run time
        package = ROOT / "badgeservice" / folder / "__init__.py"
        assert package.is_file() or (ROOT / folder).is_dir(), folder
    modules = re.findall(r"`(?:\w+/)?(\w+\.py)`", text)
    assert {"app.py", "db.py", "awarding.py", "matching.py"} <= set(modules)
    for module in modules:
        assert list((ROOT / "badgeservice").rglob(module)), module


def test_every_inbound_format_has_an_example_the_service_accepts(
    app: Any, client: Any, tmp_path: Path
) -> None:
    examples = _examples()
    assert set(examples) == {"webhook", "moodle", "xapi"}
    moodle = load_example(app, tmp_path)  # events:write client bound to "moodle"
    admin = moodle.admin_headers
    with app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        xapi = create_client(
            session,
            org,
            name="lrs",
            scopes=["events:write"],
            keystore=app.extensions["badgeservice.keystore"],
            connection="xapi-lrs",
        )
        xapi_id, xapi_secret = str(xapi.client.id), xapi.secret

    body = json.dumps(examples["webhook"]).encode()
    answer = client.post(
        f"/api/v1/events?client={moodle.client_id}",
        data=body,
        headers=signed_headers(moodle, body, message_id="msg-0001"),
    )
    assert answer.status_code == 202, answer.get_json()
    assert answer.get_json()["event"]["state"] == "processed", answer.get_json()
    assert len(answer.get_json()["credentials"]) == 1

    event = dict(examples["moodle"], token=moodle.token)
    answer = client.post("/hooks/moodle/moodle", json=event)
    assert answer.status_code == 202, answer.get_json()
    assert answer.get_json()["event"]["state"] == "processed", answer.get_json()
    assert len(answer.get_json()["credentials"]) == 1

    basic = base64.b64encode(f"{xapi_id}:{xapi_secret}".encode()).decode()
    answer = client.post(
        "/xapi/statements",
        json=examples["xapi"],
        headers={"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == [examples["xapi"]["id"]]
    events = client.get("/api/v1/events?limit=10", headers=admin).get_json()["items"]
    statement = next(e for e in events if e["channel"] == "xapi")
    assert statement["state"] == "processed", statement
    assert len(statement["credentials"]) == 1
    # Three channels, three credentials for the same person.
    people = {e["person"] for e in events}
    assert len(people) == 1
