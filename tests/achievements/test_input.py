"""Bad input to the achievement API: every mistake is a precise 4xx problem+json, never a
500, and nothing is stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from badgeservice.achievements.schemas import MAX_IMAGE_BYTES
from tests.factories import SVG, achievement_body, b64, install_digcomp, png_bytes, problem
from tests.factories import create_achievement as create

PNG = png_bytes()


def _without(key: str) -> Any:
    return lambda body: body.pop(key)


def _set(key: str, value: Any) -> Any:
    return lambda body: body.__setitem__(key, value)


def _image(media_type: str, data: str) -> Any:
    return _set("image", {"mediaType": media_type, "data": data})


CREATE_MISTAKES = [
    ("unknown field", _set("colour", "red"), "colour", "Unknown field"),
    ("unknown nested field", _set("criteria", {"narrative": "x", "id": "y"}), "criteria", "id"),
    ("name of wrong type", _set("name", 5), "name", "Not a valid string"),
    ("tags not a list", _set("tags", "a,b"), "tags", "Not a valid list"),
    ("missing name", _without("name"), "name", "required"),
    ("missing slug", _without("slug"), "slug", "required"),
    ("missing issuer", _without("issuer"), "issuer", "required"),
    ("missing criteria", _without("criteria"), "criteria", "required"),
    ("empty criteria", _set("criteria", {}), "criteria", "narrative, a url"),
    ("blank name", _set("name", "   "), "name", "blank"),
    ("name too long", _set("name", "n" * 301), "name", "Length"),
    ("bad slug", _set("slug", "Content Creator"), "slug", "slug"),
    ("slug with newline", _set("slug", "content\n"), "slug", "slug"),
    ("issuer not a uuid", _set("issuer", "academy"), "issuer", "UUID"),
    ("ftp criteria url", _set("criteria", {"url": "ftp://example.org/c"}), "criteria", "URL"),
    ("relative criteria url", _set("criteria", {"url": "/criteria"}), "criteria", "URL"),
    ("script criteria url", _set("criteria", {"url": "javascript:alert(1)"}), "criteria", "URL"),
    ("bad achievementType", _set("achievementType", "Trophy"), "achievementType", "ext:"),
    ("bad ext type", _set("achievementType", "ext:has space"), "achievementType", "ext:"),
    ("repeated tags", _set("tags", ["a", "a"]), "tags", "repeat"),
    (
        "level 9",
        _set("alignments", [{"competence": str(uuid.uuid4()), "level": 9}]),
        "alignments",
        "less than or equal to 8",
    ),
    (
        "level as text",
        _set("alignments", [{"competence": str(uuid.uuid4()), "level": "3"}]),
        "alignments",
        "integer",
    ),
    (
        "unknown competence",
        _set("alignments", [{"competence": str(uuid.uuid4())}]),
        "alignments",
        "no competence",
    ),
    ("image type", _image("image/gif", b64(PNG)), "image", "Must be one of"),
    ("bad base64", _image("image/png", "iVBOR***"), "image", "base64"),
    ("png labelled svg", _image("image/svg+xml", b64(PNG)), "image", "is a PNG image, not SVG"),
    ("svg labelled png", _image("image/png", b64(SVG)), "image", "not a PNG"),
    (
        "broken svg",
        _image("image/svg+xml", b64(b"<svg xmlns='http://www.w3.org/2000/svg'>")),
        "image",
        "not well-formed SVG",
    ),
    ("html not svg", _image("image/svg+xml", b64(b"<html><body/></html>")), "image", "<svg>"),
    (
        "entity bomb",
        _image(
            "image/svg+xml",
            b64(
                b'<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                b'<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>'
            ),
        ),
        "image",
        "not well-formed SVG",
    ),
    ("image too big", _image("image/png", b64(PNG + b"\0" * MAX_IMAGE_BYTES)), "image", "512 KiB"),
    (
        "image just too big",
        _image("image/png", b64(PNG + b"\0" * (MAX_IMAGE_BYTES - len(PNG) + 1))),
        "image",
        "at most 524288",
    ),
    ("image without data", _set("image", {"mediaType": "image/png"}), "image", "required"),
]


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [m[1:] for m in CREATE_MISTAKES],
    ids=[m[0] for m in CREATE_MISTAKES],
)
def test_create_rejects(client: Any, make_tenant: Any, mutate: Any, field: str, words: str) -> None:
    tenant = make_tenant("acme")
    body = achievement_body(tenant)
    mutate(body)
    response = client.post("/api/v1/achievements", json=body, headers=tenant.headers)
    answer = problem(response, 400)
    assert field in answer["errors"], answer
    assert words in json.dumps(answer["errors"]) + answer["detail"], answer
    assert answer["detail"].startswith(field)
    listing = client.get("/api/v1/achievements", headers=tenant.headers).get_json()
    assert listing["items"] == []


PATCH_MISTAKES = [
    ("empty", {}, "_schema"),
    ("slug is fixed", {"slug": "renamed"}, "slug"),
    ("issuer is fixed", {"issuer": str(uuid.uuid4())}, "issuer"),
    ("null name", {"name": None}, "name"),
    ("null type", {"achievementType": None}, "achievementType"),
    ("bad enum", {"achievementType": "competency"}, "achievementType"),
    ("criteria cleared", {"criteria": {"narrative": None, "url": None}}, "criteria"),
    ("bad url", {"criteria": {"url": "not a url"}}, "criteria"),
    ("png labelled svg", {"image": {"mediaType": "image/svg+xml", "data": b64(PNG)}}, "image"),
]


@pytest.mark.parametrize(
    ("body", "field"), [m[1:] for m in PATCH_MISTAKES], ids=[m[0] for m in PATCH_MISTAKES]
)
def test_patch_rejects(client: Any, make_tenant: Any, body: dict[str, Any], field: str) -> None:
    tenant = make_tenant("acme")
    created = create(client, tenant)
    url = f"/api/v1/achievements/{created['id']}"
    answer = problem(client.patch(url, json=body, headers=tenant.headers), 400)
    assert field in answer.get("errors", {}) or answer["detail"].startswith(field), answer
    current = client.get(url, headers=tenant.headers).get_json()
    assert current["current"]["contentHash"] == created["current"]["contentHash"]


@pytest.mark.parametrize("method", ["post", "patch"])
def test_transport_mistakes(client: Any, make_tenant: Any, method: str) -> None:
    tenant = make_tenant("acme")
    url = "/api/v1/achievements"
    if method == "patch":
        url += "/" + create(client, tenant)["id"]
    send = getattr(client, method)
    json_headers = tenant.headers | {"Content-Type": "application/json"}
    answer = problem(send(url, data='{"name": "x",', headers=json_headers), 400)
    assert "not valid JSON" in answer["detail"]
    answer = problem(
        send(url, data="name=x", headers=tenant.headers | {"Content-Type": "text/plain"}), 400
    )
    assert "application/json" in answer["detail"]
    answer = problem(send(url, json=["not", "an", "object"], headers=tenant.headers), 400)
    assert "_schema" in answer["errors"]
    huge = json.dumps(achievement_body(tenant, description="d" * (1024 * 1024 + 1)))
    answer = problem(send(url, data=huge, headers=json_headers), 413)
    assert answer["type"].endswith("/request-entity-too-large")


def test_bad_query_parameters(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    for query in ("limit=0", "limit=1001", "offset=x", "sort=name"):
        problem(client.get(f"/api/v1/achievements?{query}", headers=tenant.headers), 400)


def test_alignment_to_the_same_competence_twice(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    codes = install_digcomp(client, tenant)
    twice = [{"competence": codes["3.1"], "level": 2}, {"competence": codes["3.1"], "level": 4}]
    response = client.post(
        "/api/v1/achievements",
        headers=tenant.headers,
        json=achievement_body(tenant, alignments=twice),
    )
    answer = problem(response, 400)
    assert answer["errors"] == {
        "alignments": {"1": {"competence": [f"competence {codes['3.1']} is aligned twice"]}}
    }
