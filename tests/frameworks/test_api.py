"""Framework API: installing DigComp 2.2, importing CASE packages, browsing, isolation and
bad input — through the real HTTP interface."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from badgeservice.frameworks.sources import DIGCOMP_BASE_URI

ESCO = "http://data.europa.eu/esco/skill/"
DOC = "https://case.example.org/uri/doc-1"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    return body


def _install(client: Any, tenant: Any, **body: Any) -> Any:
    return client.post(
        "/api/v1/frameworks", json={"source": "digcomp22", **body}, headers=tenant.headers
    )


def case_package(
    *, drop: tuple[str, ...] = (), statement: str = "Write SQL queries"
) -> dict[str, Any]:
    """A small CASE package: one root item with two children; ``drop`` leaves items out."""
    items = [
        {
            "identifier": "i-data",
            "uri": "https://case.example.org/uri/i-data",
            "humanCodingScheme": "D",
            "fullStatement": "Work with data",
        },
        {
            "identifier": "i-sql",
            "uri": "https://case.example.org/uri/i-sql",
            "humanCodingScheme": "D.1",
            "fullStatement": statement,
        },
        {
            "identifier": "i-viz",
            "uri": "https://case.example.org/uri/i-viz",
            "humanCodingScheme": "D.2",
            "fullStatement": "Visualise data",
            "abbreviatedStatement": "Visualisation",
        },
    ]
    links = [
        ("i-data", {"identifier": "doc-1", "uri": DOC}, 1),
        ("i-sql", {"identifier": "i-data", "uri": "https://case.example.org/uri/i-data"}, 1),
        ("i-viz", {"identifier": "i-data", "uri": "https://case.example.org/uri/i-data"}, 2),
    ]
    return {
        "CFDocument": {
            "identifier": "doc-1",
            "uri": DOC,
            "title": "Data Skills",
            "creator": "Example Org",
            "version": "1.0",
        },
        "CFItems": [item for item in items if item["identifier"] not in drop],
        "CFAssociations": [
            {
                "identifier": f"a-{child}",
                "associationType": "isChildOf",
                "originNodeURI": {
                    "identifier": child,
                    "uri": f"https://case.example.org/uri/{child}",
                },
                "destinationNodeURI": parent,
                "sequenceNumber": number,
            }
            for child, parent, number in links
            if child not in drop
        ],
    }


def _import(client: Any, tenant: Any, package: dict[str, Any], **body: Any) -> Any:
    return client.post(
        "/api/v1/frameworks/import", json={"package": package, **body}, headers=tenant.headers
    )


# -- DigComp 2.2 ---------------------------------------------------------------------------


def test_install_digcomp_stores_framework_levels_and_competences(
    client: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    response = _install(client, tenant)
    assert response.status_code == 201
    body = response.get_json()
    assert body["change"] == "created"
    assert body["slug"] == "digcomp22"
    assert body["source"] == "digcomp22"
    assert body["version"] == "2.2"
    assert body["uri"] == DIGCOMP_BASE_URI
    assert body["competenceCount"] == 26
    assert [level["level"] for level in body["levels"]] == list(range(1, 9))
    assert body["levels"][0]["band"] == "Foundation"
    codes = [c["code"] for c in body["competences"]]
    assert codes[:5] == ["1", "1.1", "1.2", "1.3", "2"]
    assert [c["position"] for c in body["competences"]] == list(range(26))
    first = body["competences"][1]
    assert first["name"].startswith("Browsing, searching and filtering data")
    assert first["parentCode"] == "1"
    assert first["kind"] == "competence"
    assert first["uri"] == f"{DIGCOMP_BASE_URI}/1.1"
    assert first["escoUri"].startswith(ESCO)


def test_install_again_is_unchanged_and_keeps_ids(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    first = _install(client, tenant).get_json()
    again = _install(client, tenant)
    assert again.status_code == 200
    body = again.get_json()
    assert body["change"] == "unchanged"
    assert body["id"] == first["id"]
    assert [c["id"] for c in body["competences"]] == [c["id"] for c in first["competences"]]


def test_install_under_own_slug_makes_a_second_framework(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    _install(client, tenant)
    response = _install(client, tenant, slug="digcomp")
    assert response.status_code == 201
    listing = client.get("/api/v1/frameworks", headers=tenant.headers).get_json()["items"]
    assert [f["slug"] for f in listing] == ["digcomp", "digcomp22"]
    assert all(f["competenceCount"] == 26 for f in listing)
    assert "competences" not in listing[0]


def test_list_pages_with_limit_and_offset(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    for slug in ("a", "b", "c"):
        _install(client, tenant, slug=slug)
    page = client.get("/api/v1/frameworks?limit=2&offset=1", headers=tenant.headers)
    assert [f["slug"] for f in page.get_json()["items"]] == ["b", "c"]


def test_get_framework_and_competence(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme", scopes=("admin",))
    created = _install(client, tenant).get_json()
    reader = make_tenant("acme", scopes=("hr:read",))
    detail = client.get(f"/api/v1/frameworks/{created['id']}", headers=reader.headers)
    assert detail.status_code == 200
    assert detail.get_json()["competences"] == created["competences"]
    assert "change" not in detail.get_json()

    area = client.get(f"/api/v1/frameworks/{created['id']}/competences/2", headers=reader.headers)
    assert area.status_code == 200
    body = area.get_json()
    assert body["name"] == "Communication and collaboration"
    assert body["kind"] == "area"
    assert body["framework"] == {
        "id": created["id"],
        "slug": "digcomp22",
        "name": created["name"],
    }
    assert [child["code"] for child in body["children"]] == [f"2.{n}" for n in range(1, 7)]

    leaf = client.get(
        f"/api/v1/frameworks/{created['id']}/competences/3.1", headers=reader.headers
    ).get_json()
    assert leaf["name"] == "Developing digital content"
    assert leaf["children"] == []

    missing = client.get(
        f"/api/v1/frameworks/{created['id']}/competences/9.9", headers=reader.headers
    )
    assert "9.9" in _problem(missing, 404)["detail"]


def test_unknown_and_malformed_framework_ids_are_404(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    for framework_id in ("not-a-uuid", "00000000-0000-4000-8000-000000000000"):
        _problem(client.get(f"/api/v1/frameworks/{framework_id}", headers=tenant.headers), 404)


# -- CASE import -----------------------------------------------------------------------------


def test_import_case_package(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    response = _import(client, tenant, case_package())
    assert response.status_code == 201
    body = response.get_json()
    assert body["change"] == "created"
    assert body["slug"] == "doc-1"
    assert body["source"] == "case"
    assert body["name"] == "Data Skills"
    assert body["publisher"] == "Example Org"
    assert body["uri"] == DOC
    assert body["levels"] == []
    competences = {c["code"]: c for c in body["competences"]}
    assert list(competences) == ["D", "D.1", "D.2"]
    assert competences["D.2"]["name"] == "Visualisation"
    assert competences["D.2"]["description"] == "Visualise data"
    assert competences["D.1"]["parentCode"] == "D"
    assert competences["D"]["kind"] == "item"


def test_reimport_updates_text_in_place(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    first = _import(client, tenant, case_package(), slug="data").get_json()
    same = _import(client, tenant, case_package(), slug="data")
    assert (same.status_code, same.get_json()["change"]) == (200, "unchanged")
    changed = _import(client, tenant, case_package(statement="Query databases"), slug="data")
    assert changed.get_json()["change"] == "updated"
    before = {c["code"]: c for c in first["competences"]}
    after = {c["code"]: c for c in changed.get_json()["competences"]}
    assert after["D.1"]["id"] == before["D.1"]["id"]
    assert after["D.1"]["name"] == "Query databases"


def test_reimport_keeps_competences_achievements_align_to(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    framework = _import(client, tenant, case_package()).get_json()
    sql = next(c for c in framework["competences"] if c["code"] == "D.1")
    created = client.post(
        "/api/v1/achievements",
        headers=tenant.headers,
        json={
            "slug": "sql",
            "issuer": str(tenant.issuer_id),
            "name": "SQL",
            "description": "Writes SQL.",
            "criteria": {"narrative": "Pass the test."},
            "alignments": [{"competence": sql["id"], "level": 3}],
        },
    )
    assert created.status_code == 201, created.get_json()

    response = _import(client, tenant, case_package(drop=("i-sql", "i-viz")))
    assert response.get_json()["change"] == "updated"
    kept = {c["code"]: c for c in response.get_json()["competences"]}
    assert list(kept) == ["D", "D.1"]  # D.2 was deleted, D.1 kept after the source's items
    assert kept["D.1"]["id"] == sql["id"]
    assert kept["D.1"]["position"] == 1
    base = f"/api/v1/frameworks/{framework['id']}/competences"
    assert client.get(f"{base}/D.1", headers=tenant.headers).status_code == 200
    _problem(client.get(f"{base}/D.2", headers=tenant.headers), 404)
    again = _import(client, tenant, case_package(drop=("i-sql", "i-viz")))
    assert again.get_json()["change"] == "unchanged"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda p: p["CFItems"][1].pop("fullStatement"), "$.package.CFItems[1].fullStatement"),
        (lambda p: p.pop("CFDocument"), "$.package.CFDocument"),
        (
            lambda p: p["CFItems"].append(copy.deepcopy(p["CFItems"][0])),
            "$.package.CFItems[3].identifier",
        ),
        (
            lambda p: p["CFAssociations"][1]["originNodeURI"].update(identifier="nope", uri="x:y"),
            "$.package.CFAssociations[1].originNodeURI.identifier",
        ),
        (lambda p: p.update(CFItems="many"), "$.package.CFItems"),
    ],
)
def test_malformed_case_package_names_the_json_path(
    client: Any, make_tenant: Any, mutate: Any, path: str
) -> None:
    tenant = make_tenant("acme")
    package = case_package()
    mutate(package)
    body = _problem(_import(client, tenant, package), 400)
    assert body["path"] == path
    assert body["detail"].startswith(f"{path}: ")
    listing = client.get("/api/v1/frameworks", headers=tenant.headers).get_json()
    assert listing["items"] == []


def test_slug_of_another_source_is_a_conflict(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    _install(client, tenant)
    body = _problem(_import(client, tenant, case_package(), slug="digcomp22"), 409)
    assert "digcomp22" in body["detail"]


# -- isolation -----------------------------------------------------------------------------


def test_another_organisation_sees_nothing(client: Any, make_tenant: Any) -> None:
    acme, other = make_tenant("acme"), make_tenant("other")
    framework = _install(client, acme).get_json()
    imported = _import(client, acme, case_package()).get_json()
    for url in (
        f"/api/v1/frameworks/{framework['id']}",
        f"/api/v1/frameworks/{framework['id']}/competences/1.1",
        f"/api/v1/frameworks/{imported['id']}",
    ):
        _problem(client.get(url, headers=other.headers), 404)
    assert client.get("/api/v1/frameworks", headers=other.headers).get_json()["items"] == []
    # The other organisation installs its own copy: separate rows, no conflict.
    own = _install(client, other)
    assert own.status_code == 201
    assert own.get_json()["id"] != framework["id"]
    assert {c["id"] for c in own.get_json()["competences"]}.isdisjoint(
        c["id"] for c in framework["competences"]
    )
    acme_list = client.get("/api/v1/frameworks", headers=acme.headers).get_json()["items"]
    assert {f["id"] for f in acme_list} == {framework["id"], imported["id"]}


def test_scopes_and_tokens(client: Any, make_tenant: Any) -> None:
    reader = make_tenant("acme", scopes=("hr:read",))
    assert client.get("/api/v1/frameworks", headers=reader.headers).status_code == 200
    _problem(_install(client, reader), 403)
    _problem(_import(client, reader, case_package()), 403)
    _problem(client.get("/api/v1/frameworks"), 401)
    _problem(client.get("/api/v1/frameworks", headers={"Authorization": "Bearer bst_nope"}), 401)


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "digcomp22", "colour": "red"}, "colour"),
        ({"source": "esco"}, "source"),
        ({"source": 22}, "source"),
        ({}, "source"),
        ({"source": "digcomp22", "slug": "Not A Slug"}, "slug"),
        ({"source": "digcomp22", "slug": "x" * 64}, "slug"),
        ([], "_schema"),
    ],
)
def test_install_rejects_bad_bodies(client: Any, make_tenant: Any, body: Any, field: str) -> None:
    tenant = make_tenant("acme")
    problem = _problem(client.post("/api/v1/frameworks", json=body, headers=tenant.headers), 400)
    assert field in problem["errors"]
    assert field in problem["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"package": "CFDocument"}, "package"),
        ({}, "package"),
        ({"package": {}, "extra": 1}, "extra"),
        ({"package": {}, "slug": "-bad"}, "slug"),
    ],
)
def test_import_rejects_bad_bodies(client: Any, make_tenant: Any, body: Any, field: str) -> None:
    tenant = make_tenant("acme")
    response = client.post("/api/v1/frameworks/import", json=body, headers=tenant.headers)
    assert field in _problem(response, 400)["errors"]


@pytest.mark.parametrize("url", ["/api/v1/frameworks", "/api/v1/frameworks/import"])
def test_malformed_json_wrong_type_and_huge_bodies(client: Any, make_tenant: Any, url: str) -> None:
    tenant = make_tenant("acme")
    headers = tenant.headers | {"Content-Type": "application/json"}
    body = _problem(client.post(url, data='{"source": ', headers=headers), 400)
    assert "not valid JSON" in body["detail"]
    body = _problem(
        client.post(
            url,
            data="source=digcomp22",
            headers=tenant.headers | {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        400,
    )
    assert "application/json" in body["detail"]
    huge = json.dumps({"source": "digcomp22", "slug": "x" * (1024 * 1024)})
    _problem(client.post(url, data=huge, headers=headers), 413)


def test_bad_query_parameters(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    for query in ("limit=0", "limit=many", "offset=-1", "colour=red"):
        _problem(client.get(f"/api/v1/frameworks?{query}", headers=tenant.headers), 400)


def test_openapi_documents_the_framework_operations(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]["/api/v1/frameworks"]) == {"get", "post"}
    assert "post" in spec["paths"]["/api/v1/frameworks/import"]
    assert "get" in spec["paths"]["/api/v1/frameworks/{framework_id}/competences/{code}"]
    operation = json.dumps(spec["paths"]["/api/v1/frameworks/{framework_id}"])
    assert "#/components/schemas/Framework" in operation
    assert "levels" in spec["components"]["schemas"]["Framework"]["properties"]


def test_import_takes_titles_in_further_languages(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    translations = {"D.2": {"fi": "Visualisointi", "sv": "Visualisering"}}
    body = _import(client, tenant, case_package(), translations=translations).get_json()
    competences = {c["code"]: c for c in body["competences"]}
    assert competences["D.2"]["name"] == "Visualisation"
    assert competences["D.2"]["translations"]["name"]["sv"] == "Visualisering"
    assert competences["D.2"]["translations"]["name"]["fi"] == "Visualisointi"
    framework = body["id"]
    detail = client.get(
        f"/api/v1/frameworks/{framework}/competences/D.2", headers=tenant.headers
    ).get_json()
    assert detail["translations"]["name"]["fi"] == "Visualisointi"
    again = _import(client, tenant, case_package(), translations=translations)
    assert again.get_json()["change"] == "unchanged"
    unknown = _import(client, tenant, case_package(), translations={"X.9": {"sv": "x"}})
    assert "X.9" in _problem(unknown, 400)["detail"]
    bad = _import(client, tenant, case_package(), translations={"D.2": {"Swedish!": "x"}})
    assert "translations" in _problem(bad, 400)["detail"]
