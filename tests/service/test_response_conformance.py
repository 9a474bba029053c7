"""Every answer has the shape the OpenAPI document gives it.

Two walks against a real server with the example organisation: a deterministic one that
reaches every GET operation (and the writes that make data) with real identifiers and
checks each answer — status code, media type, headers and body — against the document;
and schemathesis generating requests for every operation (fixed seed) with the same
response-conformance checks plus "never a server error"."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from tests.conftest import fresh_database
from tests.live import http, serve_example

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with fresh_database(tmp_path_factory) as database_url:
        yield from serve_example(tmp_path_factory, database_url)


def _seed(base: str, token: str) -> tuple[dict[str, str], list[tuple[str, str, Any, Any]]]:
    """Data for every kind of identifier, made through the API; returns the values of the
    path parameters and the writes made (method, path, query, body) to replay checked."""
    api = f"{base}/api/v1"
    writes: list[tuple[str, str, Any, Any]] = []

    def get(path: str) -> Any:
        status, body = http("GET", f"{api}{path}", token=token)
        assert status == 200, (path, body)
        return body

    endpoint = http("POST", f"{api}/hr/endpoints", {"url": "http://127.0.0.1:9/hr"}, token)[1]
    # A team path with a badge and a member of its team: awarding its required sub-goals
    # completes it, and the last award's answer carries the path credential.
    team_path = next(
        p for p in get("/paths?limit=100")["items"] if p["kind"] == "team" and p["achievement"]
    )
    member = get(f"/teams/{team_path['team']}")["members"][0]
    person = get(f"/people/{member['person']}")
    goals = [g for g in team_path["subGoals"] if g["required"]]
    for goal in goals[:-1]:
        body = {"subGoal": goal["id"], "person": person["id"]}
        assert http("POST", f"{api}/awards", body, token)[0] == 201
    last = {"subGoal": goals[-1]["id"], "person": person["id"]}
    writes.append(("POST", "/api/v1/awards", None, last))
    event = {
        "id": "conformance-1",
        "time": "2026-11-20T10:00:00+00:00",
        "source": {"connection": "moodle"},
        "person": {"employeeNumber": person["employeeNumber"]},
        "activity": {"id": "course:unknown", "name": "Unknown"},
        "result": {"completion": True},
    }
    writes.append(("POST", "/api/v1/events", None, event))
    user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "conformance.user@example.org",
        "externalId": "conformance-user",
        "emails": [{"value": "conformance.user@example.org", "primary": True}],
    }
    status, created = http("POST", f"{base}/scim/v2/Users", user, token)
    assert status == 201, created
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Conf"}
    status, team = http("POST", f"{base}/scim/v2/Groups", group, token)
    assert status == 201, team
    issuer = get("/issuers")["items"][0]
    organisation = get("/organisations")["items"][0]
    sign_in = {
        "issuer": "https://login.example.org/realms/staff",
        "clientId": "badgeservice",
        "clientSecret": "conformance secret",
        "match": "employee_number",
    }
    status, answer = http(
        "PUT", f"{api}/organisations/{organisation['id']}/sign-in", sign_in, token
    )
    assert status in (200, 201), answer
    achievement = get("/achievements?limit=100")["items"][0]
    framework = get("/frameworks")["items"][0]
    values = {
        "organisation_id": organisation["id"],
        "issuer_id": issuer["id"],
        "achievement_id": achievement["id"],
        "framework_id": framework["id"],
        "code": "4.2",
        "person_id": person["id"],
        "path_id": team_path["id"],
        "team_id": get("/teams")["items"][0]["id"],
        "endpoint_id": endpoint["id"],
        "user_id": created["id"],
        "group_id": team["id"],
        "org": organisation["slug"],
        "issuer_slug": issuer["slug"],
        "slug": achievement["slug"],
        "number": "1",
        "name": "User",
        "urn": "urn:ietf:params:scim:schemas:core:2.0:User",
        "filename": "swagger-ui.css",
    }
    return values, writes


def test_every_operation_answers_as_documented(live: dict[str, Any]) -> None:
    base, token = live["base"], live["token"]
    values, writes = _seed(base, token)
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    checked: set[tuple[str, str]] = set()

    # /metrics takes the operator's token, not an organisation's.
    metrics = {"Authorization": f"Bearer {live['metrics']}"}

    def check(method: str, path: str, **parts: Any) -> Any:
        case = schema[path][method].Case(
            headers=metrics if path == "/metrics" else headers, **parts
        )
        response = case.call()
        case.validate_response(response)
        assert 200 <= response.status_code < 300, (method, path, response.text[:500])
        checked.add((method, path))
        return response

    for method, path, query, body in writes:
        answer = check(method, path, query=query, body=body).json()
        if path == "/api/v1/awards":
            # A path credential has the shape of any credential, ISO 8601 dates included.
            (badge,) = answer["pathCredentials"]
            assert re.match(r"\d{4}-\d\d-\d\dT", badge["issuedAt"]), badge
            values["credential_id"] = answer["id"]
            status_url = answer["credential"]["credentialStatus"]["statusListCredential"]
            values["status_number"] = status_url.rsplit("/", 1)[1]
        if path == "/api/v1/events":
            values["event_id"] = answer["event"]["id"]
    deliveries = http("GET", f"{base}/api/v1/hr/deliveries", token=token)[1]["items"]
    values["delivery_id"] = deliveries[0]["id"]
    competence = http(
        "GET", f"{base}/api/v1/frameworks/{values['framework_id']}/competences/4.2", token=token
    )[1]
    queries = {"/api/v1/hr/holders": {"competence": competence["id"]}}
    skipped = {"/xapi/about"}  # needs the xAPI version header and Basic credentials
    for path, item in schema.raw_schema["paths"].items():
        if "get" not in item or path in skipped:
            continue
        names = re.findall(r"{(\w+)}", path)
        # Two names mean something else under /issuers/: the issuer's slug, a list number.
        issuers = {"slug": "issuer_slug", "number": "status_number"}
        parameters = {
            n: values[issuers.get(n, n) if path.startswith("/issuers/") else n] for n in names
        }
        check("GET", path, path_parameters=parameters or None, query=queries.get(path))
    every_get = {("GET", p) for p, item in schema.raw_schema["paths"].items() if "get" in item} - {
        ("GET", p) for p in skipped
    }
    assert every_get <= checked, every_get - checked


@pytest.mark.fuzz
def test_generated_requests_never_fail_and_answer_as_documented(
    live: dict[str, Any], tmp_path: Path
) -> None:
    runner = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert runner, "schemathesis is a test dependency"
    result = subprocess.run(
        [
            runner,
            "run",
            f"{live['base']}/api/v1/openapi.json",
            "-H",
            f"Authorization: Bearer {live['token']}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "25",
            "--seed",
            "20261128",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert "generated" in result.stdout
