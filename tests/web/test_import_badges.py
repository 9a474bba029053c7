"""Importing a badge from another issuer on "my badges": a baked PNG or SVG made by the
reference JavaScript stack (did:key issuer), a VC-JWT of a did:web issuer whose keys and
status list are fetched from a loopback server (only where the operator allowed loopback),
verified, kept and listed as from another issuer; a tampered one refused with the reason."""

from __future__ import annotations

import copy
import io
import json
import os
from typing import Any

import pytest

from badgeservice.credentials import baking
from badgeservice.credentials.did import did_web_document
from badgeservice.credentials.jose import generate_jose_key, sign_vc_jwt
from badgeservice.credentials.multikey import KeyPair
from tests.conftest import load_vector
from tests.credentials.loopback import Route, serve
from tests.credentials.test_fetch import Issuer
from tests.interop.conftest import REQUIRE_ENV, js, unavailable_reason
from tests.web.conftest import Org, form_token, signed_in
from tests.web.test_public_pages import Example, award

MINE = "/o/acme/badges"


def _upload(client: Any, data: bytes, name: str) -> Any:
    page = client.get(MINE).get_data(as_text=True)
    return client.post(
        f"{MINE}/import",
        data={"csrf_token": form_token(page), "badge": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _reference_stack_badge() -> dict[str, Any]:
    """An OB 3.0 credential signed by the JavaScript stack for a did:key issuer."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"interop harness required but {reason}")
        pytest.skip(reason)
    key = KeyPair.generate()
    credential = copy.deepcopy(load_vector("ob-v3p0/unsigned.json"))
    credential["issuer"] = {"id": key.did_key, "type": ["Profile"], "name": "Naapuriopisto"}
    credential["validFrom"] = "2026-11-28T08:00:00Z"
    answer = js(
        {
            "op": "sign",
            "credential": credential,
            "key": key.to_json(),
            "verificationMethod": key.did_key_verification_method,
            "controller": key.did_key,
            "created": "2026-11-28T08:00:00Z",
        }
    )
    signed: dict[str, Any] = answer["credential"]
    return signed


def test_a_baked_badge_of_another_issuer_is_verified_kept_and_listed(
    web_app: Any, acme: Org, provider: Any
) -> None:
    client = signed_in(web_app, acme, provider)
    theirs = _reference_stack_badge()
    mine = award(client, Example(acme.token, acme.token), "data-protection", "E1003")
    png = client.get(f"{MINE}/{mine['id']}/badge.png").data
    baked = baking.bake(png, theirs)
    answer = _upload(client, baked, "theirs.png")
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    assert answer.headers["Location"].endswith("imported=new#other-badges")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Badges from other issuers" in page and "The badge was verified and added." in page
    assert "from Naapuriopisto, another issuer" in page
    again = _upload(client, baked, "theirs.png")
    assert again.headers["Location"].endswith("imported=again#other-badges")
    svg = baking.bake(b'<svg xmlns="http://www.w3.org/2000/svg"/>', theirs)
    assert (
        _upload(client, svg, "theirs.svg")
        .headers["Location"]
        .endswith("imported=again#other-badges")
    )

    forged = copy.deepcopy(theirs)
    forged["name"] = "A badge nobody issued"
    refused = _upload(client, baking.bake(png, forged), "forged.png")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "The badge was not imported" in text and "signature does not match" in text
    assert _upload(client, b"hello", "hello.json").status_code == 400
    other = signed_in(web_app, acme, provider, "helena")
    assert "Naapuriopisto" not in other.get(MINE).get_data(as_text=True)


def test_a_vc_jwt_of_a_did_web_issuer_is_fetched_only_where_loopback_is_allowed(
    web_app: Any, acme: Org, provider: Any
) -> None:
    client = signed_in(web_app, acme, provider)
    with serve() as server:
        issuer = Issuer(server)
        pair = generate_jose_key("ES256")
        document = did_web_document(
            issuer.did,
            [("key-1", issuer.key.public_key_multibase)],
            jwks=[("jwk-1", pair.public_jwk)],
        )
        server.routes["/issuers/acme/did.json"] = Route(
            content_type="application/did+json", body=json.dumps(document).encode()
        )
        credential = issuer.credential(3)
        credential["issuer"]["name"] = "Loopback Academy"
        token = sign_vc_jwt(credential, "ES256", pair.private_der, kid=f"{issuer.did}#jwk-1")

        web_app.config["OUTBOUND_ALLOW"] = ""
        refused = _upload(client, token.encode(), "theirs.jws")
        assert refused.status_code == 400
        assert server.hits == []  # the service did not reach inside without leave

        web_app.config["OUTBOUND_ALLOW"] = "127.0.0.0/8"
        answer = _upload(client, token.encode(), "theirs.jws")
        assert answer.status_code == 303, answer.get_data(as_text=True)[:800]
        assert {"/issuers/acme/did.json", "/issuers/acme/status/1"} <= set(server.hits)
        page = client.get(MINE).get_data(as_text=True)
        assert "from Loopback Academy, another issuer" in page and "VC-JWT" in page

        issuer.bits.set(3, 1)
        issuer.publish()
        revoked = _upload(client, token.encode(), "theirs.jws")
        assert revoked.status_code == 400
        assert "revocation: revoked" in revoked.get_data(as_text=True)
