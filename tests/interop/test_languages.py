"""Acceptance of badges in the learner's language, against a real server process and the
reference JavaScript stack: a Swedish-speaking person gets the example organisation's
badge in Swedish, a Finnish-speaking colleague the same badge in Finnish, and a person who
reads Arabic a badge from a definition written in Arabic; each validates against the
1EdTech schema (the service refuses to issue one that does not), verifies in the
JavaScript stack (keys and status lists resolved over loopback HTTP) and in ours."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from badgeservice.credentials.did import default_resolver, did_web_to_url
from badgeservice.credentials.ob3 import validate_credential
from badgeservice.credentials.verify import verify_credential
from tests.conftest import fresh_database
from tests.factories import write_language_school
from tests.interop.conftest import JsStack
from tests.live import http, serve_example


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with fresh_database(tmp_path_factory) as database_url:
        yield from serve_example(tmp_path_factory, database_url, write_language_school)


def _get(url: str, language: str) -> tuple[dict[str, str], Any]:
    request = urllib.request.Request(
        url, headers={"Accept": "application/ld+json", "Accept-Language": language}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(response.headers), json.loads(response.read())


def _award(base: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    status, award = http("POST", f"{base}/api/v1/awards", body, token)
    assert status == 201, award
    credential: dict[str, Any] = award["credential"]
    return credential


def _verified_everywhere(credential: dict[str, Any], jsstack: JsStack) -> None:
    validate_credential({key: value for key, value in credential.items() if key != "proof"})
    answer = jsstack({"op": "verify", "credentials": [credential], "resolveLoopback": True})
    result = answer["results"][0]
    assert result["verified"], result
    assert [status["status"] for status in result["statuses"]] == [False]
    did_document = http("GET", did_web_to_url(credential["issuer"]["id"]))[1]
    list_url = credential["credentialStatus"]["statusListCredential"]
    report = verify_credential(
        credential,
        resolver=default_resolver([did_document]),
        status_lists={list_url: http("GET", list_url)[1]},
    )
    assert report.verified, report.errors


def test_a_swedish_and_a_finnish_speaker_get_the_same_badge_each_in_their_language(
    server: dict[str, Any], jsstack: JsStack
) -> None:
    base, token = server["base"], server["token"]
    status, paths = http("GET", f"{base}/api/v1/paths?kind=organisation", token=token)
    assert status == 200, paths
    goal = paths["items"][0]["subGoals"][0]
    status, achievement = http(
        "GET", f"{base}/api/v1/achievements/{goal['achievement']}", token=token
    )
    assert status == 200, achievement
    names = achievement["current"]["translations"]["name"]
    assert {"fi", "sv", "en"} <= set(names) and names["sv"] != names["fi"]

    for number, language in (("E1001", "sv"), ("E1002", "fi")):
        status, person = http(
            "PATCH", f"{base}/api/v1/people/{number}", {"preferredLanguage": language}, token
        )
        assert status == 200, person
        credential = _award(base, token, {"subGoal": goal["id"], "person": number})
        badge = credential["credentialSubject"]["achievement"]
        assert badge["inLanguage"] == language
        assert credential["name"] == badge["name"] == names[language]
        _verified_everywhere(credential, jsstack)

    headers, swedish = _get(badge["id"], "sv")
    assert headers["Content-Language"] == "sv"
    assert swedish["name"] == names["sv"]


def test_a_badge_defined_in_arabic_loads_issues_and_verifies(
    server: dict[str, Any], jsstack: JsStack
) -> None:
    base = server["base"]
    client = json.loads(
        server["cli"](
            "clients", "create", "--organisation", "kielitalo", "--scopes", "admin", "--json"
        )
    )
    credential = _award(
        base,
        client["token"],
        {"achievement": "verkkoetiketti", "person": {"employeeNumber": "K1"}},
    )
    badge = credential["credentialSubject"]["achievement"]
    assert badge["inLanguage"] == "ar"
    assert credential["name"] == badge["name"] == "آداب التواصل عبر الإنترنت"
    assert credential["issuer"]["name"] == "أكاديمية بيت اللغات"
    _verified_everywhere(credential, jsstack)
    headers, document = _get(badge["id"], "ar")
    assert headers["Content-Language"] == "ar"
    assert document["name"] == badge["name"]
