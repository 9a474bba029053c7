"""Admin API: an organisation's sign-in settings and people's role grants."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Org

PEOPLE = {
    "aino": ("Aino", "aino@acme.example", "A-1", True),
    "hanna": ("Hanna", "hanna@acme.example", "A-2", True),
}
SETTINGS = {
    "issuer": "https://login.acme.example/realms/staff",
    "clientId": "badges",
    "clientSecret": "s3cret",
    "match": "employee_number",
    "claim": "employeeId",
}


def _json(client: Any, method: str, url: str, org: Org, body: Any = None) -> Any:
    answer = client.open(url, method=method, json=body, headers=org.headers)
    return answer.status_code, answer.get_json(silent=True)


def test_sign_in_settings_round_trip_without_ever_showing_the_secret(
    browser: Any, make_org: Any
) -> None:
    acme: Org = make_org("acme", PEOPLE)
    url = f"/api/v1/organisations/{acme.id}/sign-in"
    assert _json(browser, "GET", url, acme)[0] == 404
    status, body = _json(browser, "PUT", url, acme, SETTINGS)
    assert status == 201
    assert body == {
        "issuer": "https://login.acme.example/realms/staff",
        "clientId": "badges",
        "clientSecretSet": True,
        "match": "employee_number",
        "claim": "employeeId",
        "redirectUri": "http://127.0.0.1:5999/o/acme/sign-in/callback",
        "source": "api",
        "updatedAt": body["updatedAt"],
    }
    # Leaving the secret out keeps it; null makes a public client.
    keep = {k: v for k, v in SETTINGS.items() if k != "clientSecret"}
    assert _json(browser, "PUT", url, acme, keep)[1]["clientSecretSet"] is True
    assert (
        _json(browser, "PUT", url, acme, {**keep, "clientSecret": None})[1]["clientSecretSet"]
        is False
    )
    assert _json(browser, "GET", url, acme)[1]["clientSecretSet"] is False
    assert _json(browser, "DELETE", url, acme)[0] == 204
    assert _json(browser, "GET", url, acme)[0] == 404


def test_bad_sign_in_settings_are_refused_precisely(browser: Any, make_org: Any) -> None:
    acme: Org = make_org("acme", PEOPLE)
    url = f"/api/v1/organisations/{acme.id}/sign-in"
    cases = [
        ({**SETTINGS, "issuer": "http://login.acme.example"}, "use https"),
        ({**SETTINGS, "issuer": "ftp://x"}, "not an http(s) URL"),
        ({**SETTINGS, "issuer": "https://login.acme.example/?a=b"}, "no query"),
        ({**SETTINGS, "match": "name"}, "match"),
        ({**SETTINGS, "claim": "has space"}, "not a claim name"),
        ({**SETTINGS, "extra": 1}, "extra"),
        ({k: v for k, v in SETTINGS.items() if k != "clientId"}, "clientId"),
    ]
    for body, words in cases:
        status, problem = _json(browser, "PUT", url, acme, body)
        assert status == 400, body
        assert words in problem["detail"], (words, problem)
    # http is fine for an IdP on this machine (development and tests).
    local = {**SETTINGS, "issuer": "http://127.0.0.1:8080/realms/x"}
    assert _json(browser, "PUT", url, acme, local)[0] == 201


def test_another_organisations_settings_do_not_exist_for_a_token(
    browser: Any, make_org: Any
) -> None:
    acme: Org = make_org("acme", PEOPLE)
    globex: Org = make_org("globex", {})
    url = f"/api/v1/organisations/{globex.id}/sign-in"
    assert _json(browser, "PUT", url, acme, SETTINGS)[0] == 404


def test_role_grants(browser: Any, make_org: Any) -> None:
    acme: Org = make_org("acme", PEOPLE, supervises={"aino": "Trainers"})
    aino = f"/api/v1/people/{acme.people['aino']}/roles"
    status, body = _json(browser, "GET", aino, acme)
    assert status == 200
    assert body["roles"] == ["learner", "supervisor"] and body["grants"] == []
    assert len(body["supervisedTeams"]) == 1

    status, body = _json(browser, "PUT", f"{aino}/hr", acme)
    assert status == 201 and body["roles"] == ["learner", "supervisor", "hr"]
    assert body["grants"][0]["role"] == "hr" and body["grants"][0]["source"] == "api"
    assert _json(browser, "PUT", f"{aino}/hr", acme)[0] == 200  # idempotent
    assert _json(browser, "PUT", f"{aino}/admin", acme)[0] == 201

    status, listed = _json(browser, "GET", "/api/v1/role-grants?role=hr", acme)
    assert status == 200 and [g["person"] for g in listed["items"]] == [str(acme.people["aino"])]
    assert len(_json(browser, "GET", "/api/v1/role-grants", acme)[1]["items"]) == 2

    status, problem = _json(browser, "PUT", f"{aino}/supervisor", acme)
    assert status == 400 and "cannot be granted" in problem["detail"]
    assert _json(browser, "PUT", f"{aino}/wizard", acme)[0] == 400
    assert _json(browser, "GET", "/api/v1/role-grants?role=wizard", acme)[0] == 400

    status, body = _json(browser, "DELETE", f"{aino}/hr", acme)
    assert status == 200 and body["roles"] == ["learner", "supervisor", "admin"]
    assert _json(browser, "DELETE", f"{aino}/hr", acme)[0] == 404

    globex: Org = make_org("globex", {})
    assert _json(browser, "PUT", f"{aino}/hr", globex)[0] == 404  # another tenant's person


def test_a_deactivated_person_holds_no_roles(browser: Any, make_org: Any) -> None:
    acme: Org = make_org(
        "acme", {"olli": ("Olli", "o@acme.example", "A-9", False)}, grants={"olli": ["admin"]}
    )
    body = _json(browser, "GET", f"/api/v1/people/{acme.people['olli']}/roles", acme)[1]
    assert body["roles"] == [] and body["grants"][0]["role"] == "admin"
