""" "Send to my backpack at …" on the learner's badge page, against the fake third-party
Host of the write client's tests (real HTTP on loopback): the form sends the browser to the
Host's authorization page, our callback exchanges the code and pushes the badge, the outcome
shows on the badge page; a second push uses the kept tokens without asking again. Bad input
is a 400 with the reason on the page, never a 500."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

import requests

from badgeservice.db import database, new_id, session_scope
from badgeservice.obapi.client import WriteClient
from badgeservice.obapi.models import RemoteHost, RemoteHostTokens
from tests.service.test_obapi_push import LOOPBACK, UPSERT, HostState, host  # noqa: F401
from tests.web.conftest import PUBLIC, Org, form_token, signed_in
from tests.web.test_public_pages import Example, award


def _badge(web_app: Any, acme: Org, provider: Any) -> tuple[Any, str, dict[str, Any]]:
    client = signed_in(web_app, acme, provider)
    credential = award(web_app.test_client(), Example(acme.token, acme.token))
    return client, f"/o/acme/badges/{credential['id']}", credential


def _send(client: Any, badge: str, host_url: str) -> Any:
    html = client.get(badge).get_data(as_text=True)
    return client.post(f"{badge}/backpack", data={"csrf_token": form_token(html), "host": host_url})


def test_a_badge_goes_to_the_backpack_and_again_without_asking(
    web_app: Any,
    acme: Org,
    provider: Any,
    host: tuple[str, HostState],  # noqa: F811
) -> None:
    url, state = host
    web_app.config["OUTBOUND_ALLOW"] = "127.0.0.0/8"
    client, badge, credential = _badge(web_app, acme, provider)
    started = _send(client, badge, url)
    assert started.status_code == 303, started.get_data(as_text=True)[:800]
    at_host = requests.get(started.headers["Location"], allow_redirects=False, timeout=30)
    assert at_host.status_code == 302
    back = at_host.headers["Location"]
    assert back.startswith(f"{PUBLIC}/o/acme/backpack/callback?")
    (registered,) = state.clients.values()
    assert registered["redirect_uris"] == [f"{PUBLIC}/o/acme/backpack/callback"]
    assert registered["client_uri"] == PUBLIC + "/"

    parts = urlsplit(back)
    done = client.get(f"{parts.path}?{parts.query}")
    assert done.status_code == 303, done.get_data(as_text=True)[:800]
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "The badge was sent to 127.0.0.1." in shown
    assert json.loads(state.stored[credential["credential"]["id"]]) == credential["credential"]

    # Kept, and encrypted: nothing of the secret or the tokens in the clear.
    with web_app.app_context(), session_scope(database()) as session:
        (kept,) = session.query(RemoteHost).all()
        (tokens,) = session.query(RemoteHostTokens).all()
        assert registered["client_secret"].encode() not in kept.secret_ciphertext
        assert b"access_token" not in tokens.tokens_ciphertext

    assert "The badge was sent to" not in client.get(badge).get_data(as_text=True)  # once
    again = _send(client, badge, url + "/")
    assert again.status_code == 303
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "The badge was sent to 127.0.0.1 again: it replaced the copy there." in shown
    assert len(state.clients) == 1 and state.upserts == 2

    # The Host forgot the tokens: the kept ones are dropped and the learner asked again.
    state.access.clear()
    state.refresh.clear()
    asked = _send(client, badge, url)
    assert asked.status_code == 303
    assert asked.headers["Location"].startswith(url + "/ims/ob/v3p0/auth/authorize?")
    with web_app.app_context(), session_scope(database()) as session:
        assert session.query(RemoteHostTokens).count() == 0


def test_the_form_refuses_bad_input_on_the_page(
    web_app: Any,
    acme: Org,
    provider: Any,
    host: tuple[str, HostState],  # noqa: F811
) -> None:
    client, badge, _credential = _badge(web_app, acme, provider)
    html = client.get(badge).get_data(as_text=True)
    assert client.post(f"{badge}/backpack", data={"host": "https://a.example"}).status_code == 400

    web_app.config["OUTBOUND_ALLOW"] = ""
    for bad, why in (
        ("http://backpack.example/", "must use https://"),
        ("https://[::1/", "is not a URL"),
        (host[0], "must use https://"),  # loopback without the operator's leave
        ("https://127.0.0.1:9/", "127.0.0.1 is not a public address"),
    ):
        answer = client.post(
            f"{badge}/backpack", data={"csrf_token": form_token(html), "host": bad}
        )
        assert answer.status_code == 400, bad
        page = answer.get_data(as_text=True)
        assert "The badge was not sent:" in page and why in page, (bad, page[:400])
    empty = client.post(f"{badge}/backpack", data={"csrf_token": form_token(html), "host": " "})
    assert empty.status_code == 400
    assert "enter the address of the backpack" in empty.get_data(as_text=True)
    assert state_free(host[1])


def state_free(state: HostState) -> bool:
    """The Host heard nothing of the refused attempts."""
    return not state.clients and not state.codes


def test_a_callback_that_is_not_ours_is_refused(
    web_app: Any,
    acme: Org,
    provider: Any,
    host: tuple[str, HostState],  # noqa: F811
) -> None:
    url, state = host
    web_app.config["OUTBOUND_ALLOW"] = "127.0.0.0/8"
    client, badge, _credential = _badge(web_app, acme, provider)
    nothing = client.get("/o/acme/backpack/callback?code=x&state=y")
    assert nothing.status_code == 400

    started = _send(client, badge, url)
    back = requests.get(started.headers["Location"], allow_redirects=False, timeout=30)
    code = urlsplit(back.headers["Location"]).query.split("code=")[1].split("&")[0]
    forged = client.get(f"/o/acme/backpack/callback?code={code}&state=forged")
    assert forged.status_code == 400
    assert "the state does not match" in forged.get_data(as_text=True)
    assert state.upserts == 0

    started = _send(client, badge, url)
    query = urlsplit(started.headers["Location"]).query
    the_state = query.split("state=")[1].split("&")[0]
    denied = client.get(f"/o/acme/backpack/callback?error=access_denied&state={the_state}")
    assert denied.status_code == 400
    assert "the Host answered access_denied" in denied.get_data(as_text=True)


def test_a_registration_made_meanwhile_by_another_push_is_the_one_used(
    web_app: Any,
    acme: Org,
    provider: Any,
    host: tuple[str, HostState],  # noqa: F811
) -> None:
    url, state = host
    web_app.config["OUTBOUND_ALLOW"] = "127.0.0.0/8"
    client, badge, _credential = _badge(web_app, acme, provider)

    def another_push_registers() -> None:
        state.on_register = None
        keystore = web_app.extensions["badgeservice.keystore"]
        with web_app.app_context(), session_scope(database()) as session:
            row = RemoteHost(
                id=new_id(),
                base_url=url,
                redirect_uri=f"{PUBLIC}/o/acme/backpack/callback",
                endpoints=asdict(WriteClient(LOOPBACK).discover(url)),
                client_id="registered-meanwhile",
                scope=UPSERT,
            )
            row.secret_ciphertext = keystore.wrap(b"s", key_id=f"obapi-remote-host:{row.id}")
            session.add(row)

    state.on_register = another_push_registers
    started = _send(client, badge, url)
    assert started.status_code == 303, started.get_data(as_text=True)[:800]
    assert "client_id=registered-meanwhile" in started.headers["Location"]
    with web_app.app_context(), session_scope(database()) as session:
        assert session.query(RemoteHost).count() == 1
