"""Public achievement URLs: the OB 3.0 Achievement document and the badge image, readable
without a token, consistent with what issued credentials embed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator  # type: ignore[import-untyped]

from badgeservice.credentials.contexts import OB_V3P0, VC_V2
from tests.factories import SVG, b64, install_digcomp, png_bytes, problem
from tests.factories import award_achievement as award
from tests.factories import create_achievement as create
from tests.factories import insert_person as add_person

URL = "https://badges.example.org/achievements/acme/content-creator"
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def test_current_achievement_document(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    codes = install_digcomp(client, tenant)
    create(
        client,
        tenant,
        alignments=[
            {"competence": codes["3.1"], "level": 4},
            {"competence": codes["2.1"], "level": 2},
        ],
        image={"mediaType": "image/svg+xml", "data": b64(SVG)},
    )
    response = client.get("/achievements/acme/content-creator")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json()
    assert document["@context"] == [VC_V2, OB_V3P0]
    assert document["id"] == URL
    assert document["type"] == ["Achievement"]
    assert document["name"] == "Digital content creator"
    assert document["description"].startswith("Creates and edits")
    assert document["criteria"] == {
        "id": "https://academy.example.org/criteria/content",
        "narrative": "Publish three learning videos.",
    }
    assert document["image"] == {"id": f"{URL}/v1/image", "type": "Image"}
    assert document["achievementType"] == "Competency"
    assert document["tag"] == ["digcomp", "content"]
    assert document["version"] == "1"
    first = document["alignment"][0]
    assert first["type"] == ["Alignment"]
    assert first["targetName"] == "Developing digital content"
    assert first["targetCode"] == "3.1"
    assert first["targetUrl"] == "https://w3id.org/badgeservice/frameworks/digcomp-2.2/3.1"
    assert first["targetFramework"].startswith("DigComp 2.2")
    assert first["targetDescription"] == "Proficiency level 4"
    assert document["resultDescription"] == [
        {
            "id": f"{URL}/v1#level",
            "type": ["ResultDescription"],
            "name": "Proficiency level",
            "resultType": "PerformanceLevel",
            "requiredValue": "4",
        }
    ]


def test_document_leaves_out_what_is_not_there(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    create(client, tenant, tags=[], criteria={"narrative": "Do it."})
    document = client.get("/achievements/acme/content-creator/v1").get_json()
    for key in ("image", "alignment", "resultDescription", "tag"):
        assert key not in document
    assert document["criteria"] == {"narrative": "Do it."}


def test_document_matches_the_issued_credential(app: Any, client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    codes = install_digcomp(client, tenant)
    package = {
        "CFDocument": {"identifier": "d", "uri": "https://case.example.org/d", "title": "Ours"},
        "CFItems": [
            {
                "identifier": "x",
                "uri": "https://case.example.org/x",
                "humanCodingScheme": "X.1",
                "fullStatement": "Explain things",
            }
        ],
    }
    case = client.post(
        "/api/v1/frameworks/import", json={"package": package}, headers=tenant.headers
    ).get_json()
    created = create(
        client,
        tenant,
        alignments=[
            {"competence": codes["3.1"], "level": 4},
            {"competence": case["competences"][0]["id"]},
        ],
        image={"mediaType": "image/png", "data": b64(png_bytes())},
    )
    credential = award(client, tenant, created["id"], add_person(app, tenant))
    embedded = credential["credential"]["credentialSubject"]["achievement"]
    served = client.get("/achievements/acme/content-creator/v1").get_json()
    assert served.pop("@context") == [VC_V2, OB_V3P0]
    assert served == embedded
    assert served["alignment"][1]["targetType"] == "CFItem"
    # the image the credential points to is served
    image = client.get(embedded["image"]["id"].removeprefix("https://badges.example.org"))
    assert (image.status_code, image.mimetype) == (200, "image/png")


def test_versions_have_their_own_documents_and_images(
    app: Any, client: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    created = create(client, tenant, image={"mediaType": "image/svg+xml", "data": b64(SVG)})
    award(client, tenant, created["id"], add_person(app, tenant))
    client.patch(
        f"/api/v1/achievements/{created['id']}",
        headers=tenant.headers,
        json={"image": {"mediaType": "image/png", "data": b64(png_bytes())}},
    )
    v1 = client.get("/achievements/acme/content-creator/v1").get_json()
    v2 = client.get("/achievements/acme/content-creator/v2").get_json()
    assert v1["id"] == v2["id"] == URL
    assert (v1["image"]["id"], v2["image"]["id"]) == (f"{URL}/v1/image", f"{URL}/v2/image")
    old = client.get("/achievements/acme/content-creator/v1/image")
    assert (old.mimetype, old.data) == ("image/svg+xml", SVG)
    new = client.get("/achievements/acme/content-creator/v2/image")
    assert (new.mimetype, new.data) == ("image/png", png_bytes())


def test_svg_is_served_with_a_policy_that_stops_scripts(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    hostile = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)'
        b'</script><rect width="1" height="1" onload="alert(1)"/></svg>'
    )
    create(client, tenant, image={"mediaType": "image/svg+xml", "data": b64(hostile)})
    response = client.get("/achievements/acme/content-creator/v1/image")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == SVG_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.data == hostile


def test_unknown_addresses_are_problem_404s(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    create(client, tenant)
    make_tenant("other")
    for path in (
        "/achievements/nobody/content-creator",
        "/achievements/acme/nothing",
        "/achievements/other/content-creator",
        "/achievements/acme/content-creator/v2",
        "/achievements/acme/content-creator/v0",
        "/achievements/acme/content-creator/v2/image",
        "/achievements/acme/content-creator/v1/image",
    ):  # version 1 has no image
        problem(client.get(path), 404)


def test_document_is_a_valid_1edtech_achievement(client: Any, make_tenant: Any) -> None:
    """The served document (less its @context) satisfies the Achievement definition of the
    1EdTech OB 3.0 credential schema; a document missing a required field would not."""
    tenant = make_tenant("acme")
    codes = install_digcomp(client, tenant)
    create(
        client,
        tenant,
        alignments=[{"competence": codes["3.1"], "level": 4}],
        image={"mediaType": "image/svg+xml", "data": b64(SVG)},
    )
    served = client.get("/achievements/acme/content-creator").get_json()
    schema = json.loads((SCHEMAS / "ob_v3p0_achievementcredential_schema.json").read_text())
    validator = Draft201909Validator(
        {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/Achievement"}
    )
    node = {key: value for key, value in served.items() if key != "@context"}
    assert list(validator.iter_errors(node)) == []
    del node["criteria"]
    assert list(validator.iter_errors(node)) != []
