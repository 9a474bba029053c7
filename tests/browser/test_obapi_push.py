"""The write client pushes a credential to our own Host, the served site in its own
process: discovery, registration, the learner signing in at the OpenID Provider and
consenting in Chromium, the code arriving at the client's loopback redirect URI, the token,
upsertCredential (201, then 200) — and the credential read back from the Host is the one
sent, to the byte."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from badgeservice.egress import EgressPolicy
from badgeservice.obapi.client import WriteClient
from tests.browser.conftest import Site
from tests.browser.test_obapi_flow import _sign_in_on_the_way, client_site  # noqa: F401
from tests.live import http
from tests.obapi_client import SCOPE_BASE

pytestmark = pytest.mark.browser


def test_the_write_client_pushes_to_our_own_host(
    site: Site,
    new_context: Any,
    client_site: tuple[str, list[str]],  # noqa: F811
) -> None:
    status, awarded = http(
        "POST",
        f"{site.base}/api/v1/awards",
        {"achievement": "accessible-materials", "person": "E1008"},
        site.token,
    )
    assert status in (200, 201)
    credential = awarded["credential"]

    client = WriteClient(
        EgressPolicy.from_config({"OUTBOUND_ALLOW": "127.0.0.0/8"}),
        client_name="Write Client",
        client_uri="https://badges.example/",
    )
    host = client.discover(site.base)
    redirect_uri, arrived = client_site
    registration = client.register(
        host, redirect_uri, extra_scopes=(SCOPE_BASE + "credential.readonly",)
    )
    authorization = client.authorization(host, registration)

    page = new_context("en").new_page()
    page.goto(authorization.url)
    _sign_in_on_the_way(page, site)
    assert "Write Client" in page.locator("h1").inner_text()
    page.locator("button[value=allow]").click()
    page.wait_for_url(f"{redirect_uri}?**")
    callback = redirect_uri.removesuffix("/callback") + arrived[-1]
    tokens = client.exchange(host, registration, authorization, callback)

    first = client.upsert_credential(host, registration, tokens, credential)
    assert first.status == 201, first.body
    again = client.upsert_credential(host, registration, first.tokens, credential)
    assert again.status == 200

    bearer = {"Authorization": f"Bearer {again.tokens.access_token}"}
    listed = requests.get(f"{host.api_url}/credentials?limit=1000", headers=bearer, timeout=30)
    assert listed.status_code == 200, listed.text
    assert credential in listed.json()["credential"]
    assert json.dumps(credential) in listed.text  # the exact text sent
