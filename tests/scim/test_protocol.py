"""Discovery, media types, tokens and bad input: every answer under /scim/v2 is SCIM."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scim.support import ENTERPRISE, GROUP, MEDIA, PATCH, SCIM, USER, Idp, scim_error


def test_discovery_documents_describe_what_is_supported(client: Any) -> None:
    config = client.get(f"{SCIM}/ServiceProviderConfig")
    assert config.status_code == 200
    assert config.mimetype == MEDIA
    body = config.get_json()
    assert body["patch"]["supported"] is True
    assert body["bulk"]["supported"] is False
    assert body["filter"] == {"supported": True, "maxResults": 200}
    assert body["etag"]["supported"] is True
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"

    types = client.get(f"{SCIM}/ResourceTypes").get_json()
    assert {r["id"]: r["endpoint"] for r in types["Resources"]} == {
        "User": "/Users",
        "Group": "/Groups",
    }
    assert client.get(f"{SCIM}/ResourceTypes/User").get_json()["schemaExtensions"] == [
        {"schema": ENTERPRISE, "required": False}
    ]
    schemas = {s["id"]: s for s in client.get(f"{SCIM}/Schemas").get_json()["Resources"]}
    assert set(schemas) == {USER, ENTERPRISE, GROUP}
    user_attributes = {a["name"]: a for a in schemas[USER]["attributes"]}
    assert user_attributes["userName"]["uniqueness"] == "server"
    assert user_attributes["userName"]["required"] is True
    assert {a["name"] for a in schemas[ENTERPRISE]["attributes"]} == {
        "employeeNumber",
        "department",
        "manager",
    }
    assert client.get(f"{SCIM}/Schemas/{GROUP}").get_json()["id"] == GROUP
    scim_error(client.get(f"{SCIM}/Schemas/urn:nope"), 404)
    scim_error(client.get(f"{SCIM}/ResourceTypes/Nope"), 404)


def test_tokens_and_scopes(client: Any, make_tenant: Any) -> None:
    scim_error(client.get(f"{SCIM}/Users"), 401)
    assert client.get(f"{SCIM}/Users").headers["WWW-Authenticate"].startswith("Bearer")
    scim_error(client.get(f"{SCIM}/Users", headers={"Authorization": "Bearer bst_nope"}), 401)
    hr = make_tenant("acme", scopes=("hr:read",))
    scim_error(client.get(f"{SCIM}/Groups", headers=hr.headers), 403)
    admin = make_tenant("acme", scopes=("admin",))
    assert client.get(f"{SCIM}/Groups", headers=admin.headers).status_code == 200


def test_bad_bodies_and_routes_answer_scim_errors(client: Any, make_tenant: Any) -> None:
    idp = Idp(client, make_tenant("acme", scopes=("scim",)).token)
    headers = {**idp.headers, "Content-Type": MEDIA}
    scim_error(
        client.post(f"{SCIM}/Users", data="{not json", headers=headers), 400, "invalidSyntax"
    )
    scim_error(client.post(f"{SCIM}/Users", data="[1, 2]", headers=headers), 400, "invalidSyntax")
    scim_error(
        client.post(f"{SCIM}/Users", data="[" * 100_000, headers=headers), 400, "invalidSyntax"
    )
    nul = json.dumps({"schemas": [USER], "userName": "a\u0000b"})
    scim_error(client.post(f"{SCIM}/Users", data=nul, headers=headers), 400, "invalidValue")
    plain = {**idp.headers, "Content-Type": "text/plain"}
    scim_error(client.post(f"{SCIM}/Users", data="{}", headers=plain), 415)
    as_json = {**idp.headers, "Content-Type": "application/json"}
    body = json.dumps({"schemas": [USER], "userName": "json@x.org"})
    assert client.post(f"{SCIM}/Users", data=body, headers=as_json).status_code == 201
    big = json.dumps({"schemas": [USER], "userName": "x" * (1024 * 1024)})
    scim_error(client.post(f"{SCIM}/Users", data=big, headers=headers), 413)
    scim_error(client.get(f"{SCIM}/Nothing", headers=idp.headers), 404)
    scim_error(client.delete(f"{SCIM}/Users", headers=idp.headers), 405)
    scim_error(client.get(f"{SCIM}/Users/not-a-uuid", headers=idp.headers), 404)
    scim_error(client.get(f"{SCIM}/Groups/{'0' * 32}", headers=idp.headers), 404)
    too_many = {
        "schemas": [PATCH],
        "Operations": [{"op": "add", "path": "title", "value": "t"}] * 1001,
    }
    created = idp.create_user("t@x.org")
    scim_error(idp.call("PATCH", f"/Users/{created['id']}", too_many), 400, "tooMany")
    # The REST API keeps answering problem+json.
    assert client.get("/api/v1/people").mimetype == "application/problem+json"


# -- no server errors for arbitrary JSON -----------------------------------------------------

_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
)
_keys = st.sampled_from(
    [
        "schemas",
        "userName",
        "externalId",
        "name",
        "givenName",
        "emails",
        "value",
        "type",
        "primary",
        "active",
        "displayName",
        "members",
        "Operations",
        "op",
        "path",
        "title",
        ENTERPRISE,
        "manager",
        "employeeNumber",
        "id",
        "meta",
    ]
) | st.text(max_size=8)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=20,
)
_paths = st.sampled_from(
    [
        "active",
        "name.givenName",
        'emails[type eq "work"].value',
        f"{ENTERPRISE}:manager",
        "members",
        'members[value eq "x"]',
        "displayName",
        "title",
        "userName",
        "emails",
    ]
) | st.text(max_size=20)
_operation = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "replace", "remove", "Replace", "x"]),
        "path": _paths,
        "value": _json,
    }
)
_patch = st.fixed_dictionaries(
    {"schemas": st.just([PATCH]), "Operations": st.lists(_operation, max_size=3)}
)
_user = st.fixed_dictionaries(
    {"schemas": st.just([USER, ENTERPRISE]), "userName": _scalars},
    optional={
        "emails": _json,
        "name": _json,
        "active": _json,
        ENTERPRISE: _json,
        "externalId": _scalars,
    },
)
_group = st.fixed_dictionaries(
    {"schemas": st.just([GROUP]), "displayName": _scalars}, optional={"members": _json}
)
_filter = st.text(max_size=30) | st.builds(
    lambda a, op, v: f"{a} {op} {v}",
    st.sampled_from(
        [
            "userName",
            "emails.value",
            "active",
            "displayName",
            "members.value",
            "meta.lastModified",
            "x",
        ]
    ),
    st.sampled_from(["eq", "co", "sw", "gt", "pr", "le", "and"]),
    st.sampled_from(['"a"', "true", "1", "null", '"2024-01-01T00:00:00Z"', "(", ""]),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["Users", "Groups"]),
    method=st.sampled_from(["POST", "PUT", "PATCH", "LIST"]),
    body=_json | _user | _group | _patch,
    where=_filter,
)
def test_random_input_never_breaks_the_server(
    client: Any, make_tenant: Any, kind: str, method: str, body: Any, where: str
) -> None:
    tenant = make_tenant("fuzz", scopes=("scim",))
    idp = Idp(client, tenant.token)
    existing = idp.ok("GET", f"/{kind}?count=1")["Resources"]
    if existing:
        target = existing[0]["id"]
    else:
        seed = (
            {"schemas": [USER], "userName": "seed@x.org"}
            if kind == "Users"
            else {"schemas": [GROUP], "displayName": "Seed"}
        )
        target = idp.ok("POST", f"/{kind}", seed, 201)["id"]
    if method == "LIST":
        response = client.get(
            f"{SCIM}/{kind}", query_string={"filter": where, "count": "3"}, headers=idp.headers
        )
    elif method == "POST":
        response = idp.call("POST", f"/{kind}", body)
    else:
        response = idp.call(method, f"/{kind}/{target}", body)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == MEDIA
    if response.status_code >= 400:
        scim_error(response, response.status_code)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_unknown_ids_are_404_for_every_method(client: Any, make_tenant: Any, method: str) -> None:
    idp = Idp(client, make_tenant("acme", scopes=("scim",)).token)
    body = None if method in ("GET", "DELETE") else {"schemas": [USER], "userName": "x"}
    for kind in ("Users", "Groups"):
        scim_error(idp.call(method, f"/{kind}/00000000-0000-4000-8000-000000000000", body), 404)
