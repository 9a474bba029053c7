"""The one paging helper and the one page envelope."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from badgeservice.api import MAX_OFFSET, paginate
from badgeservice.people.models import Person


def test_paginate_refuses_an_unordered_statement() -> None:
    with pytest.raises(TypeError, match="ordered"):
        paginate(select(Person), {"limit": 10, "offset": 0})


def test_every_page_is_described_alike(client: Any) -> None:
    """Each list in the OpenAPI document has the same envelope and the same limit and
    offset parameters, generated from the query schemas."""
    document = client.get("/api/v1/openapi.json").get_json()
    pages = 0
    for path, item in document["paths"].items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            schema = (
                operation.get("responses", {})
                .get("200", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            # The hr lists move with the split of hr by job (issue 12, part A).
            if set(schema.get("properties", {})) != {"items"} or path.startswith("/api/v1/hr/"):
                continue
            assert schema["required"] == ["items"], path
            parameters = {p["name"]: p for p in operation.get("parameters", [])}
            if "limit" not in parameters:
                continue
            pages += 1
            assert parameters["limit"]["schema"] == {
                "type": "integer",
                "default": 100,
                "minimum": 1,
                "maximum": 1000,
            }, path
            assert parameters["offset"]["schema"] == {
                "type": "integer",
                "default": 0,
                "minimum": 0,
                "maximum": MAX_OFFSET,
            }, path
    assert pages >= 10
