"""Migrations match the models, and the OpenAPI document is valid and complete."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate
from sqlalchemy import create_engine

from badgeservice import __version__
from badgeservice.migrate import pending_changes


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert pending_changes(engine) == []
    finally:
        engine.dispose()


def test_openapi_document_is_valid_and_describes_every_route(app: Any, client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    # Every HTTP surface: the REST API, inbound channels, SCIM, public documents, health,
    # the landing document and the API docs; only Flask's static file route is not.
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        # The pages are for browsers, not part of the API; the front door answers JSON too.
        if rule.endpoint.startswith("web.") and rule.endpoint != "web.index":
            continue
        # The Open Badges API describes itself: its own OpenAPI document at
        # /ims/ob/v3p0/discovery (checked in tests/web/test_obapi.py).
        if rule.endpoint.startswith("obapi."):
            assert rule.rule.startswith("/ims/ob/v3p0/"), rule.rule
            continue
        path = re.sub(r"<(?:[a-z_]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    for prefix in ("/xapi/", "/hooks/moodle/", "/scim/v2/", "/credentials/", "/issuers/"):
        assert any(path.startswith(prefix) for path, _ in documented), prefix
    assert ("/healthz", "GET") in documented
    assert ("/issuers/{org}/{slug}/did.json", "GET") in documented
    assert ("/achievements/{org}/{slug}", "GET") in documented
    operations = [op for item in document["paths"].values() for op in item.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    # Every write operation says what body it takes (also "none").
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("post", "put", "patch"):
                assert "requestBody" in operation, (method, path)
    rotate = document["paths"]["/api/v1/issuers/{issuer_id}/keys/rotate"]["post"]
    assert rotate["requestBody"]["required"] is False
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert schemes["basic"]["scheme"] == "basic"
    assert document["paths"]["/xapi/statements"]["post"]["security"] == [{"basic": []}]
    assert document["paths"]["/credentials/{credential_id}"]["get"]["security"] == []
    # The award's path credentials are credentials, not free-form objects.
    credential = document["components"]["schemas"]["Credential"]
    items = credential["properties"]["pathCredentials"]["items"]
    assert items == {"$ref": "#/components/schemas/Credential"}
    # A busy database (503 with Retry-After) is part of every database operation's contract.
    busy = document["paths"]["/api/v1/awards"]["post"]["responses"]["503"]
    assert busy == {"$ref": "#/components/responses/Busy"}
    assert "Retry-After" in document["components"]["responses"]["Busy"]["headers"]


def test_landing_document_links_docs_openapi_and_health(client: Any) -> None:
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "badgeservice"
    assert body["version"] == __version__
    assert body["links"] == {
        "apiDocs": "/api/docs",
        "openapi": "/api/v1/openapi.json",
        "health": "/healthz",
    }
    for link in body["links"].values():
        assert client.get(link).status_code == 200, link
    page = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.mimetype == "text/html"
    assert 'href="/api/docs"' in page.get_data(as_text=True)


def test_api_docs_are_served_from_the_package(client: Any) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    # Every script and style from this service: no CDN, no inline script.
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/api/docs/") for source in sources), sources
    assert "<script>" not in html
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.get_data()) > 100
    bundle = client.get("/api/docs/swagger-ui-bundle.js")
    assert bundle.mimetype == "text/javascript"
    assert b"SwaggerUIBundle" in bundle.get_data()
    assert "/api/v1/openapi.json" in client.get("/api/docs/init.js").get_data(as_text=True)
    assert client.get("/api/docs/LICENSE").status_code == 404
    assert client.get("/api/docs/..%2F__init__.py").status_code == 404
