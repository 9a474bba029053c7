"""Input that is valid JSON or a valid URL but no database can take: a 400, never a 500."""

from __future__ import annotations

from typing import Any


def test_nul_characters_are_refused_at_the_edge(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    response = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={
            "achievement": "00000000-0000-0000-0000-000000000000",
            "person": {"employeeNumber": "E\u0000"},
        },
    )
    assert response.status_code == 400
    assert "person.employeeNumber" in response.get_json()["detail"]
    assert "NUL" in response.get_json()["detail"]
    query = client.get("/api/v1/people?email=a%00b", headers=tenant.headers)
    assert query.status_code == 400


def test_nul_in_a_path_segment_is_not_a_server_error(client: Any, make_tenant: Any) -> None:
    make_tenant("acme")
    for url in (
        "/issuers/acme/aca%00demy/did.json",
        "/achievements/ac%00me/x",
        "/issuers/acme/academy%00",
    ):
        response = client.get(url)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert response.mimetype == "application/problem+json"
