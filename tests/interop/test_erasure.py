"""After a person is erased, every credential of theirs still verifies in the reference
JavaScript stack (resolving the issuer's did:web document and the status list from a real
server on loopback), and revoking one still works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import fresh_database
from tests.interop.conftest import JsStack
from tests.live import http as _http
from tests.live import serve_example


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with fresh_database(tmp_path_factory) as database_url:
        yield from serve_example(tmp_path_factory, database_url)


def test_an_erased_persons_credentials_verify_in_the_reference_stack_and_revoke(
    server: dict[str, Any], jsstack: JsStack
) -> None:
    base, token = server["base"], server["token"]
    status, paths = _http("GET", f"{base}/api/v1/paths?kind=organisation", token=token)
    assert status == 200, paths
    goals = paths["items"][0]["subGoals"][:2]
    awards = []
    for goal in goals:
        status, award = _http(
            "POST",
            f"{base}/api/v1/awards",
            {"subGoal": goal["id"], "person": {"employeeNumber": "E1003"}},
            token,
        )
        assert status == 201, award
        awards.append(award)
    status, person = _http("GET", f"{base}/api/v1/people/E1003", token=token)
    assert status == 200
    status, report = _http(
        "POST", f"{base}/api/v1/people/{person['id']}/erase", {"confirm": "E1003"}, token
    )
    assert status == 200, report
    status, gone = _http("GET", f"{base}/api/v1/people/E1003", token=token)
    assert status == 404, gone  # nobody is known by that number any more

    credentials = [_http("GET", award["url"])[1] for award in awards]
    assert credentials == [award["credential"] for award in awards]
    answer = jsstack({"op": "verify", "credentials": credentials, "resolveLoopback": True})
    for result in answer["results"]:
        assert result["verified"], result
        assert [s["status"] for s in result["statuses"]] == [False]

    status, revoked = _http(
        "POST", f"{base}/api/v1/credentials/{awards[0]['id']}/revoke", {"reason": "error"}, token
    )
    assert status == 200, revoked
    answer = jsstack({"op": "verify", "credentials": credentials, "resolveLoopback": True})
    statuses = [[s["status"] for s in result["statuses"]] for result in answer["results"]]
    assert statuses == [[True], [False]]
