"""A credential's sharing: private and nameless by default, set by the service or over the
API, never reachable from another organisation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from badgeservice.db import database, session_scope
from badgeservice.errors import BadRequest
from badgeservice.issuing.models import Credential
from badgeservice.sharing import Sharing, Visibility, get_sharing, set_sharing
from tests.conftest import Tenant
from tests.service.test_awards import _seed


@pytest.fixture
def issued(app: Any, client: Any, make_tenant: Callable[..., Tenant]) -> dict[str, Any]:
    tenant = make_tenant("acme")
    _person, achievement_id = _seed(app, tenant)
    response = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={"achievement": achievement_id, "person": {"employeeNumber": "E1"}},
    )
    assert response.status_code == 201, response.get_json()
    return {"tenant": tenant, "id": response.get_json()["id"], "url": response.get_json()["url"]}


def test_the_service_defaults_to_private_and_keeps_what_was_set(
    app: Any, issued: dict[str, Any]
) -> None:
    with app.app_context(), session_scope(database()) as session:
        credential = session.get(Credential, uuid.UUID(issued["id"]))
        assert credential is not None
        assert get_sharing(session, credential) == Sharing(Visibility.PRIVATE, False, None)
        chosen = set_sharing(session, credential, visibility="public", show_name=True)
        assert (chosen.visibility, chosen.show_name, chosen.public) == ("public", True, True)
        assert chosen.updated_at is not None
    with app.app_context(), session_scope(database()) as session:
        credential = session.get(Credential, uuid.UUID(issued["id"]))
        assert credential is not None
        assert get_sharing(session, credential) == chosen
        # Private again: the name choice is kept for the next time it is made public.
        again = set_sharing(session, credential, visibility="private", show_name=True)
        assert (again.public, again.show_name) == (False, True)
        with pytest.raises(BadRequest, match="visibility must be"):
            set_sharing(session, credential, visibility="friends", show_name=False)


def test_sharing_over_the_api(client: Any, issued: dict[str, Any]) -> None:
    tenant: Tenant = issued["tenant"]
    url = f"/api/v1/credentials/{issued['id']}/sharing"
    first = client.get(url, headers=tenant.headers)
    assert first.status_code == 200
    assert first.get_json() == {
        "credential": issued["id"],
        "visibility": "private",
        "showName": False,
        "page": issued["url"],
        "updatedAt": None,
    }
    put = client.put(url, headers=tenant.headers, json={"visibility": "public", "showName": True})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["visibility"] == "public"
    assert put.get_json()["showName"] is True
    assert put.get_json()["updatedAt"]
    assert client.get(url, headers=tenant.headers).get_json() == put.get_json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visibility": "everyone", "showName": False}, "visibility"),
        ({"visibility": "public"}, "showName"),
        ({"visibility": "public", "showName": "yes please"}, "showName"),
        ({"visibility": "public", "showName": True, "expires": "never"}, "expires"),
    ],
)
def test_bad_sharing_is_refused_precisely(
    client: Any, issued: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    answer = client.put(
        f"/api/v1/credentials/{issued['id']}/sharing",
        headers=issued["tenant"].headers,
        json=body,
    )
    assert answer.status_code == 400
    assert answer.content_type == "application/problem+json"
    assert field in answer.get_json()["errors"]


def test_another_organisation_and_read_only_clients(
    client: Any, issued: dict[str, Any], make_tenant: Callable[..., Tenant]
) -> None:
    url = f"/api/v1/credentials/{issued['id']}/sharing"
    other = make_tenant("globex")
    assert client.get(url, headers=other.headers).status_code == 404
    answer = client.put(url, headers=other.headers, json={"visibility": "public", "showName": True})
    assert answer.status_code == 404
    assert (
        client.get(url.replace(issued["id"], "nonsense"), headers=other.headers).status_code == 404
    )
    reader = make_tenant("acme", scopes=("hr:read",))
    assert client.get(url, headers=reader.headers).status_code == 200
    refused = client.put(
        url, headers=reader.headers, json={"visibility": "public", "showName": True}
    )
    assert refused.status_code == 403
    assert client.get(url, headers=issued["tenant"].headers).get_json()["visibility"] == "private"
    assert client.get(url).status_code == 401
