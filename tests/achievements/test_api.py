"""Achievement API: create, read, list, change; versions once issued; isolation."""

from __future__ import annotations

from typing import Any

from tests.factories import SVG, achievement_body, b64, install_digcomp, png_bytes, problem
from tests.factories import award_achievement as award
from tests.factories import create_achievement as create
from tests.factories import insert_person as add_person

BASE = "https://badges.example.org/achievements/acme"


def test_create_returns_the_achievement_with_version_1(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    codes = install_digcomp(client, tenant)
    body = create(
        client,
        tenant,
        alignments=[{"competence": codes["3.1"], "level": 4}, {"competence": codes["3.2"]}],
        image={"mediaType": "image/svg+xml", "data": b64(SVG)},
    )
    assert body["change"] == "created"
    assert body["slug"] == "content-creator"
    assert body["issuer"] == str(tenant.issuer_id)
    assert body["url"] == f"{BASE}/content-creator"
    current = body["current"]
    assert current["version"] == 1
    assert current["issued"] is False
    assert current["name"] == "Digital content creator"
    assert current["criteria"] == {
        "narrative": "Publish three learning videos.",
        "url": "https://academy.example.org/criteria/content",
    }
    assert current["achievementType"] == "Competency"
    assert current["tags"] == ["digcomp", "content"]
    assert current["alignments"][0]["competence"] == codes["3.1"]
    assert current["alignments"][0]["level"] == 4
    assert current["alignments"][0]["code"] == "3.1"
    assert current["alignments"][0]["name"] == "Developing digital content"
    assert current["alignments"][1]["level"] is None
    assert current["image"] == {
        "mediaType": "image/svg+xml",
        "url": f"{BASE}/content-creator/v1/image",
    }
    assert len(current["contentHash"]) == 64
    assert [v["version"] for v in body["versions"]] == [1]
    assert body["versions"][0]["url"] == f"{BASE}/content-creator/v1"


def test_defaults_and_extension_types(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    body = create(
        client,
        tenant,
        slug="plain",
        criteria={"url": "http://example.org/c"},
        achievementType="ext:Workshop.v2",
    )
    assert body["current"]["achievementType"] == "ext:Workshop.v2"
    assert body["current"]["criteria"] == {"narrative": None, "url": "http://example.org/c"}
    minimal = create(client, tenant, slug="minimal", tags=[])
    assert minimal["current"]["image"] is None
    assert minimal["current"]["tags"] == []
    defaulted = client.post(
        "/api/v1/achievements",
        headers=tenant.headers,
        json={
            "slug": "defaulted",
            "issuer": str(tenant.issuer_id),
            "name": "N",
            "description": "D",
            "criteria": {"narrative": "Do it."},
        },
    ).get_json()
    assert defaulted["current"]["achievementType"] == "Competency"


def test_get_and_list(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    created = create(client, tenant, slug="b-badge")
    create(client, tenant, slug="a-badge", name="Alpha")
    reader = make_tenant("acme", scopes=("hr:read",))
    detail = client.get(f"/api/v1/achievements/{created['id']}", headers=reader.headers)
    assert detail.status_code == 200
    assert detail.get_json() == {k: v for k, v in created.items() if k != "change"}
    items = client.get("/api/v1/achievements", headers=reader.headers).get_json()["items"]
    assert [item["slug"] for item in items] == ["a-badge", "b-badge"]
    assert items[0]["current"]["name"] == "Alpha"
    assert items[0]["current"]["version"] == 1
    assert items[0]["current"]["issued"] is False
    assert "versions" not in items[0]
    page = client.get("/api/v1/achievements?limit=1&offset=1", headers=reader.headers)
    assert [item["slug"] for item in page.get_json()["items"]] == ["b-badge"]


def test_patch_unissued_edits_in_place(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    created = create(client, tenant)
    url = f"/api/v1/achievements/{created['id']}"
    response = client.patch(
        url, headers=tenant.headers, json={"name": "Content creator", "criteria": {"url": None}}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["change"] == "edited"
    assert [v["version"] for v in body["versions"]] == [1]
    assert body["current"]["name"] == "Content creator"
    # criteria merge: the narrative stays, the url is cleared
    assert body["current"]["criteria"] == {
        "narrative": "Publish three learning videos.",
        "url": None,
    }
    assert body["current"]["description"] == created["current"]["description"]
    assert body["current"]["contentHash"] != created["current"]["contentHash"]
    same = client.patch(url, headers=tenant.headers, json={"name": "Content creator"})
    assert same.get_json()["change"] == "unchanged"


def test_patch_image_and_alignments(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    codes = install_digcomp(client, tenant)
    created = create(client, tenant)
    url = f"/api/v1/achievements/{created['id']}"
    body = client.patch(
        url,
        headers=tenant.headers,
        json={
            "image": {"mediaType": "image/png", "data": b64(png_bytes())},
            "alignments": [{"competence": codes["1.1"], "level": 2}],
        },
    ).get_json()
    assert body["current"]["image"]["mediaType"] == "image/png"
    assert [a["code"] for a in body["current"]["alignments"]] == ["1.1"]
    body = client.patch(
        url, headers=tenant.headers, json={"image": None, "alignments": []}
    ).get_json()
    assert body["change"] == "edited"
    assert body["current"]["image"] is None
    assert body["current"]["alignments"] == []


def test_issued_version_is_never_edited(app: Any, client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    codes = install_digcomp(client, tenant)
    created = create(client, tenant, alignments=[{"competence": codes["3.1"], "level": 4}])
    person = add_person(app, tenant)
    credential = award(client, tenant, created["id"], person)
    assert credential["achievementVersion"] == 1
    url = f"/api/v1/achievements/{created['id']}"
    assert client.get(url, headers=tenant.headers).get_json()["current"]["issued"] is True

    response = client.patch(url, headers=tenant.headers, json={"name": "Content creator II"})
    body = response.get_json()
    assert body["change"] == "versioned"
    assert body["current"]["version"] == 2
    assert body["current"]["name"] == "Content creator II"
    assert body["current"]["issued"] is False
    assert [(v["version"], v["issued"], v["name"]) for v in body["versions"]] == [
        (1, True, "Digital content creator"),
        (2, False, "Content creator II"),
    ]
    # The unchanged parts carry over to the new version.
    assert body["current"]["alignments"][0]["code"] == "3.1"
    assert body["current"]["tags"] == created["current"]["tags"]

    # Version 1 is still served as it was issued; the current address shows version 2.
    v1 = client.get("/achievements/acme/content-creator/v1").get_json()
    assert v1["name"] == "Digital content creator"
    assert v1["version"] == "1"
    assert client.get("/achievements/acme/content-creator").get_json()["version"] == "2"
    embedded = credential["credential"]["credentialSubject"]["achievement"]
    assert embedded["name"] == v1["name"]

    # Editing the new, unissued version happens in place; issuing it freezes it too.
    again = client.patch(url, headers=tenant.headers, json={"description": "Better text."})
    assert again.get_json()["change"] == "edited"
    assert len(again.get_json()["versions"]) == 2
    award(client, tenant, created["id"], add_person(app, tenant, "bob@example.org"))
    third = client.patch(url, headers=tenant.headers, json={"tags": ["v3"]}).get_json()
    assert (third["change"], third["current"]["version"]) == ("versioned", 3)


def test_duplicate_slug_is_a_conflict(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    create(client, tenant)
    response = client.post(
        "/api/v1/achievements",
        headers=tenant.headers,
        json=achievement_body(tenant, name="Another"),
    )
    assert "content-creator" in problem(response, 409)["detail"]
    # Another organisation may use the same slug.
    other = make_tenant("other")
    create(client, other)


def test_another_organisation_cannot_see_or_change(client: Any, make_tenant: Any) -> None:
    acme, other = make_tenant("acme"), make_tenant("other")
    created = create(client, acme)
    url = f"/api/v1/achievements/{created['id']}"
    problem(client.get(url, headers=other.headers), 404)
    problem(client.patch(url, headers=other.headers, json={"name": "Hijacked"}), 404)
    assert client.get("/api/v1/achievements", headers=other.headers).get_json()["items"] == []
    assert client.get(url, headers=acme.headers).get_json()["current"]["name"] == (
        "Digital content creator"
    )
    problem(client.get("/api/v1/achievements/not-a-uuid", headers=acme.headers), 404)


def test_foreign_issuer_and_competence_are_refused(client: Any, make_tenant: Any) -> None:
    acme, other = make_tenant("acme"), make_tenant("other")
    foreign = install_digcomp(client, other)
    response = client.post(
        "/api/v1/achievements",
        headers=acme.headers,
        json={**achievement_body(acme), "issuer": str(other.issuer_id)},
    )
    body = problem(response, 400)
    assert body["errors"] == {"issuer": [f"no issuer {other.issuer_id} in this organisation"]}
    response = client.post(
        "/api/v1/achievements",
        headers=acme.headers,
        json={**achievement_body(acme), "alignments": [{"competence": foreign["3.1"], "level": 4}]},
    )
    body = problem(response, 400)
    assert "alignments" in body["errors"]
    assert body["detail"].startswith("alignments.0.competence: no competence")
    created = create(client, acme)
    response = client.patch(
        f"/api/v1/achievements/{created['id']}",
        headers=acme.headers,
        json={"alignments": [{"competence": foreign["1.1"]}]},
    )
    problem(response, 400)
    assert (
        client.get("/api/v1/achievements", headers=acme.headers).get_json()["items"][0]["current"][
            "version"
        ]
        == 1
    )


def test_scopes(client: Any, make_tenant: Any) -> None:
    admin = make_tenant("acme")
    created = create(client, admin)
    writer = make_tenant("acme", scopes=("awards:write",))
    assert client.get("/api/v1/achievements", headers=writer.headers).status_code == 200
    problem(
        client.post(
            "/api/v1/achievements",
            headers=writer.headers,
            json={**achievement_body(admin), "slug": "x"},
        ),
        403,
    )
    problem(
        client.patch(
            f"/api/v1/achievements/{created['id']}", headers=writer.headers, json={"name": "x"}
        ),
        403,
    )
    problem(client.get("/api/v1/achievements"), 401)


def test_openapi_documents_the_achievement_operations(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]["/api/v1/achievements"]) == {"get", "post"}
    assert set(spec["paths"]["/api/v1/achievements/{achievement_id}"]) == {"get", "patch"}
    schemas = spec["components"]["schemas"]
    assert "achievementType" in schemas["AchievementCreate"]["properties"]
    assert "change" in schemas["Achievement"]["properties"]
    # The public documents are described too, with no token needed.
    public = spec["paths"]["/achievements/{org}/{slug}/v{number}/image"]["get"]
    assert public["security"] == []
    assert set(public["responses"]["200"]["content"]) == {"image/png", "image/svg+xml"}


def test_png_round_trip(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    create(client, tenant, image={"mediaType": "image/png", "data": b64(png_bytes(3, 2))})
    response = client.get("/achievements/acme/content-creator/v1/image")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == png_bytes(3, 2)
