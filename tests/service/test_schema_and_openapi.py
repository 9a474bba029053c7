"""Migrations match the models, and the OpenAPI document is valid and complete."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate
from sqlalchemy import create_engine

from badgeservice.migrate import pending_changes


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert pending_changes(engine) == []
    finally:
        engine.dispose()


def test_openapi_document_is_valid_and_covers_every_api_route(app: Any, client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi_document":
            continue
        path = re.sub(r"<(?:[a-z_]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
