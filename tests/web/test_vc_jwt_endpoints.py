"""VC-JWTs through the application: the Open Badges API lists the learner's credentials in
both forms and stores a VC-JWT the learner brings (verified, then read back identical);
``/api/v1/verify`` takes a VC-JWT as text, as JSON or baked in an image; the learner's
badge page offers it for download."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from badgeservice.credentials import baking
from badgeservice.credentials.jose import parse_vc_jwt
from tests.obapi_client import minor_code
from tests.web.conftest import Org, signed_in
from tests.web.test_obapi import BASE
from tests.web.test_obapi_stores import _connect
from tests.web.test_public_pages import Example, award


def _tampered(token: str) -> str:
    head, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["name"] = "A badge nobody issued"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


def test_the_host_lists_both_forms_and_stores_a_vc_jwt_read_back_identical(
    web_app: Any, acme: Org, provider: Any
) -> None:
    _browser, api, tokens = _connect(web_app, acme, provider, "aino")
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    example = Example(acme.token, acme.token)
    mine = award(api, example, "data-protection", "E1003")
    others = award(api, example, "data-protection", "E1002")

    listed = api.get(f"{BASE}/credentials", headers=access).get_json()
    assert [c["id"] for c in listed["credential"]] == [mine["credential"]["id"]]
    [token] = listed["compactJwsString"]
    assert parse_vc_jwt(token).credential == mine["credential"]
    # The same token as the credential URL serves, and the same on the next read.
    served = api.get(f"/credentials/{mine['id']}", headers={"Accept": "application/vc+jwt"})
    assert served.get_data(as_text=True) == token
    assert api.get(f"{BASE}/credentials", headers=access).get_json() == listed

    theirs = api.get(f"/credentials/{others['id']}", headers={"Accept": "text/plain"})
    brought = theirs.get_data(as_text=True)
    created = api.post(
        f"{BASE}/credentials", data=brought + "\n", content_type="text/plain", headers=access
    )
    assert created.status_code == 201, created.get_json()
    assert created.mimetype == "text/plain" and created.get_data(as_text=True) == brought
    again = api.post(f"{BASE}/credentials", data=brought, content_type="text/plain", headers=access)
    assert again.status_code == 200
    everything = api.get(f"{BASE}/credentials", headers=access)
    assert everything.headers["X-Total-Count"] == "2"
    assert everything.get_json()["compactJwsString"] == [token, brought]
    assert everything.get_json()["credential"] == [mine["credential"]]
    # The JSON form of the same credential replaces the token (the same id).
    as_json = api.post(f"{BASE}/credentials", json=others["credential"], headers=access)
    assert as_json.status_code == 200
    assert api.get(f"{BASE}/credentials", headers=access).get_json()["compactJwsString"] == [token]

    forged = api.post(
        f"{BASE}/credentials", data=_tampered(brought), content_type="text/plain", headers=access
    )
    assert forged.status_code == 400 and minor_code(forged.get_json()) == "invalid_data"
    assert "signature does not match" in forged.get_json()["imsx_description"]
    latin = api.post(
        f"{BASE}/credentials", data=b"\xff.\xfe.\xfd", content_type="text/plain", headers=access
    )
    assert latin.status_code == 400 and minor_code(latin.get_json()) == "invalid_data"


def test_the_verify_endpoint_takes_a_vc_jwt_as_text_json_or_in_an_image(
    web_app: Any, acme: Org, provider: Any
) -> None:
    client = signed_in(web_app, acme, provider)
    example = Example(acme.token, acme.token)
    credential = award(client, example, "data-protection", "E1003")
    mine = f"/o/acme/badges/{credential['id']}"
    page = client.get(mine).get_data(as_text=True)
    assert f"{mine}/badge.jws" in page and "Signed credential (VC-JWT)" in page
    download = client.get(f"{mine}/badge.jws")
    assert download.status_code == 200 and download.mimetype == "application/vc+jwt"
    assert "attachment" in download.headers["Content-Disposition"]
    token = download.get_data(as_text=True)
    anyone = web_app.test_client()
    assert anyone.get(f"{mine}/badge.jws").status_code in (302, 303, 401, 404)

    as_text = anyone.post("/api/v1/verify", data=token, content_type="text/plain")
    assert as_text.status_code == 200, as_text.get_json()
    report = as_text.get_json()
    assert report["verified"] is True, report["errors"]
    assert [c["name"] for c in report["checks"]] == [
        "type",
        "proof",
        "issuer",
        "claims",
        "validity",
        "status",
        "schema",
    ]
    assert report["checks"][1]["message"].startswith("ES256 VC-JWT signature by did:web:")
    assert {c["name"]: c["outcome"] for c in report["checks"]}["status"] == "passed"
    as_json = anyone.post("/api/v1/verify", json={"jws": token})
    assert as_json.get_json()["verified"] is True

    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        headers=example.headers,
        json={"reason": "given by mistake"},
    )
    assert revoked.status_code == 200, revoked.get_json()
    after = anyone.post("/api/v1/verify", data=token, content_type="text/plain").get_json()
    assert after["verified"] is False
    assert "status: revocation: revoked" in after["errors"]

    forged = anyone.post("/api/v1/verify", data=_tampered(token), content_type="text/plain")
    assert forged.status_code == 200 and forged.get_json()["verified"] is False

    image = client.get(f"{mine}/badge.png").data
    baked = baking.bake(image, token)
    posted = anyone.post(
        "/api/v1/verify",
        data={"image": (io.BytesIO(baked), "badge.png")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 200 and posted.get_json()["credential"] == credential["url"]

    for body, kind in (("not a token", "text/plain"), (json.dumps({"jws": 5}), "application/json")):
        bad = anyone.post("/api/v1/verify", data=body, content_type=kind)
        assert bad.status_code == 400, body
        assert bad.mimetype == "application/problem+json"


def test_the_verify_page_takes_a_vc_jwt_pasted_uploaded_or_baked(
    web_app: Any, acme: Org, provider: Any
) -> None:
    from tests.web.test_public_pages import _verify

    client = signed_in(web_app, acme, provider)
    credential = award(client, Example(acme.token, acme.token), "data-protection", "E1003")
    mine = f"/o/acme/badges/{credential['id']}"
    token = client.get(f"{mine}/badge.jws").get_data(as_text=True)
    name = credential["credential"]["credentialSubject"]["achievement"]["name"]
    anyone = web_app.test_client()
    pasted = _verify(anyone, {"way": "json", "credential": f"  {token}\n"})
    assert "Valid — issued by" in pasted and name in pasted
    for data, filename in (
        (token.encode(), "badge.jws"),
        (baking.bake(client.get(f"{mine}/badge.png").data, token), "badge.png"),
    ):
        uploaded = _verify(
            anyone,
            {"way": "file", "image": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
        )
        assert "Valid — issued by" in uploaded and name in uploaded
    forged = _verify(anyone, {"way": "json", "credential": _tampered(token)})
    assert "Not valid" in forged
    unusable = _verify(anyone, {"way": "json", "credential": "e30.e30.c2ln"}, status=400)
    assert "The badge could not be checked." in unusable
