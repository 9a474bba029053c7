"""Importing Open Badges 2.0 badges and badges by their address on "my badges": an OB 2.0
issuer served on loopback (assertions, BadgeClass, issuer Profile, revocation list, a
public key) over real HTTP; hosted assertions by URL and baked into PNG and SVG images,
a signed (RS256) one as a .jws file; each verified, kept, listed and downloaded again as it
came; a tampered, revoked, expired or someone else's badge refused with the reason."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from badgeservice.credentials import baking
from badgeservice.db import database
from badgeservice.obapi.holdings import credentials_page
from badgeservice.people.models import Person
from badgeservice.services import issuer_service
from tests.credentials.loopback import Route, serve
from tests.credentials.ob2_issuer import EMAIL, Ob2Issuer
from tests.privacy.test_export import validate_export
from tests.web.conftest import Org, form_token, signed_in

MINE = "/o/acme/badges"


@pytest.fixture
def ob2() -> Iterator[Ob2Issuer]:
    with serve() as server:
        yield Ob2Issuer(server)


def png_with(text: str) -> bytes:
    """A PNG baked as OB 2.0 bakers do: the assertion or its URL in an ``openbadges``
    iTXt chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("openbadges", text)
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _page(client: Any) -> str:
    return str(client.get(MINE).get_data(as_text=True))


def _upload(client: Any, data: bytes, name: str) -> Any:
    return client.post(
        f"{MINE}/import",
        data={"csrf_token": form_token(_page(client)), "badge": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _by_address(client: Any, address: str) -> Any:
    return client.post(
        f"{MINE}/import", data={"csrf_token": form_token(_page(client)), "address": address}
    )


def _refused(answer: Any, reason: str) -> None:
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400, text[:300]
    assert "The badge was not imported" in text and reason in text, text[:3000]


def _download_links(page: str) -> list[str]:
    return [
        part.split('"', 1)[0]
        for part in page.split('href="')[1:]
        if "/badges/brought/" in part.split('"', 1)[0]
    ]


def test_a_hosted_ob2_assertion_by_its_address_is_verified_kept_and_exported_as_fetched(
    web_app: Any, acme: Org, provider: Any, ob2: Ob2Issuer
) -> None:
    client = signed_in(web_app, acme, provider)
    assertion = ob2.assertion(1)
    web_app.config["OUTBOUND_ALLOW"] = ""
    _refused(_by_address(client, assertion["id"]), "could not be fetched")
    assert ob2.server.hits == []  # nothing reached inside without the operator's leave

    web_app.config["OUTBOUND_ALLOW"] = "127.0.0.0/8"
    answer = _by_address(client, assertion["id"])
    assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]
    assert answer.headers["Location"].endswith("imported=new#other-badges")
    assert {"/ob2/assertions/1", "/ob2/badge", "/ob2/issuer", "/ob2/revocations"} <= set(
        ob2.server.hits
    )
    page = _page(client)
    assert "from Vanha Akatemia, another issuer" in page and "Open Badges 2.0" in page
    assert "Ruotsin kielen taito" in page and "Speaks Swedish at work." in page
    [link] = _download_links(page)
    exported = client.get(link)
    assert exported.status_code == 200 and exported.mimetype == "application/json"
    assert json.loads(exported.data) == assertion
    other = signed_in(web_app, acme, provider, "helena")
    assert other.get(link).status_code == 404
    assert "Vanha Akatemia" not in _page(other)
    # The Open Badges 3.0 API lists OB 3.0 credentials only: not this one.
    with web_app.app_context(), database().read_sessions() as session:
        aino = session.scalar(select(Person).where(func.lower(Person.email) == EMAIL))
        assert aino is not None
        listed = credentials_page(session, issuer_service(), aino, limit=10, offset=0, since=None)
        assert listed.total == 0 and listed.texts == listed.tokens == []


def test_baked_ob2_images_are_verified_against_the_hosted_copy_and_exported_byte_for_byte(
    web_app: Any, acme: Org, provider: Any, ob2: Ob2Issuer
) -> None:
    web_app.config["OUTBOUND_ALLOW"] = "127.0.0.0/8"
    client = signed_in(web_app, acme, provider)
    assertion = ob2.assertion(2)
    png = png_with(json.dumps(assertion))
    assert baking.unbake(png).version == "ob2"
    answer = _upload(client, png, "vanha.png")
    assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]
    [link] = _download_links(_page(client))
    exported = client.get(link)
    assert exported.mimetype == "image/png" and exported.data == png

    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        f'<openbadges:assertion verify="{ob2.assertion(3)["id"]}"/></svg>'
    ).encode()
    answer = _upload(client, svg, "vanha.svg")
    assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]
    links = _download_links(_page(client))
    assert len(links) == 2 and client.get(links[0]).data == svg  # newest first
    by_url = png_with(assertion["id"])  # the same assertion again, baked as its URL
    again = _upload(client, by_url, "url.png")
    assert again.headers["Location"].endswith("imported=again#other-badges")

    # The personal-data export carries them, the baked images byte for byte beside.
    token = form_token(str(client.get("/o/acme/settings").get_data(as_text=True)))
    exported = client.post("/o/acme/settings/export", data={"csrf_token": token})
    document, archive = validate_export(client, exported.data, web_app.config["PUBLIC_URL"])
    rows = document["sections"]["storedCredentials"]
    assert {row["version"] for row in rows} == {"ob2"} and len(rows) == 2
    assert sorted(archive.read(row["originalFile"]) for row in rows) == sorted([by_url, svg])
    assert all(json.loads(row["details"])["issuer"]["name"] == "Vanha Akatemia" for row in rows)

    tampered = copy.deepcopy(assertion)
    tampered["issuedOn"] = "2020-01-01T00:00:00Z"
    _refused(_upload(client, png_with(json.dumps(tampered)), "t.png"), "differs from the one")
    ob2.revoked.append({"id": assertion["id"], "revocationReason": "issued by mistake"})
    ob2.publish_revocations()
    _refused(_upload(client, png, "vanha.png"), "revocation list: issued by mistake")
    flagged = ob2.assertion(4, revoked=True, revocationReason="withdrawn")
    _refused(_by_address(client, flagged["id"]), "revoked: withdrawn")
    expired = ob2.assertion(5, expires="2026-01-31T00:00:00Z")
    _refused(_by_address(client, expired["id"]), "expired on 2026-01-31")
    theirs = ob2.assertion(6, email="someone.else@acme.example")
    _refused(_by_address(client, theirs["id"]), "made out to someone else")
    plain = ob2.assertion(7)
    plain["recipient"] = {"type": "email", "hashed": False, "identity": EMAIL}
    ob2.publish("/ob2/assertions/7", plain)
    assert _by_address(client, plain["id"]).status_code == 303
    moved = ob2.assertion(8)
    moved["id"] = ob2.server.url("/ob2/assertions/9")
    ob2.publish("/ob2/assertions/8", moved)
    _refused(_by_address(client, ob2.server.url("/ob2/assertions/8")), "has the id")
    gone = ob2.assertion(10)
    ob2.server.routes["/ob2/assertions/10"] = Route(status=410)
    _refused(_upload(client, png_with(json.dumps(gone)), "gone.png"), "gone (HTTP 410)")


def test_signed_ob2_assertions_verify_with_the_issuers_rs256_key_and_others_are_refused(
    web_app: Any, acme: Org, provider: Any, ob2: Ob2Issuer
) -> None:
    web_app.config["OUTBOUND_ALLOW"] = "127.0.0.0/8"
    client = signed_in(web_app, acme, provider)
    token = ob2.signed(11)
    answer = _upload(client, token.encode(), "signed.jws")
    assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]
    [link] = _download_links(_page(client))
    exported = client.get(link)
    assert exported.mimetype == "application/vc+jwt" and exported.data == token.encode()

    header, payload, signature = token.split(".")
    forged = ".".join(
        (header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB"))
    )
    _refused(_upload(client, forged.encode(), "forged.jws"), "signature does not verify")
    _refused(_upload(client, ob2.signed(12, "ES256").encode(), "es.jws"), "only RS256")


def test_import_by_address_explains_what_is_wrong_and_never_fails(
    web_app: Any, acme: Org, provider: Any, ob2: Ob2Issuer
) -> None:
    web_app.config["OUTBOUND_ALLOW"] = "127.0.0.0/8"
    client = signed_in(web_app, acme, provider)
    _refused(_by_address(client, "not an address"), "URL without a host")
    _refused(_by_address(client, "ftp://badges.example/1"), "only https://")
    _refused(_by_address(client, "http://badges.example/1"), "only https://")
    _refused(_by_address(client, ob2.server.url("/nothing-here")), "HTTP 404")
    ob2.server.routes["/page"] = Route(content_type="text/html", body=b"<html></html>")
    _refused(_by_address(client, ob2.server.url("/page")), "text/html")
    ob2.server.routes["/away"] = Route(status=302, location="http://badges.example/1")
    _refused(_by_address(client, ob2.server.url("/away")), "only https://")
    ob2.server.routes["/list"] = Route(body=b"[1, 2]")
    _refused(_by_address(client, ob2.server.url("/list")), "no credential")
    ob2.server.routes["/text"] = Route(content_type="text/plain", body=b"hello")
    _refused(_by_address(client, ob2.server.url("/text")), "not a badge image")
    assert (
        client.post(f"{MINE}/import", data={"csrf_token": form_token(_page(client))}).status_code
        == 400
    )
