"""Completion input validated as the specifications say (xAPI 1.0.3 §4.1.5: ``scaled`` in
[-1, 1], ``raw`` within [min, max]; booleans are JSON booleans; instants in a sane range), on
the generic webhook and on xAPI alike: each a 400 naming the field, nothing stored."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from badgeservice.db import database, session_scope
from badgeservice.ingest.models import InboundEvent
from tests.factories import Example, completion, load_example, post_signed
from tests.ingest.test_xapi import headers, statement


def stored(app: Any) -> int:
    with app.app_context(), session_scope(database()) as session:
        return int(session.scalar(select(func.count()).select_from(InboundEvent)) or 0)


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"result": {"completion": True, "score": {"scaled": 5}}}, "score"),
        ({"result": {"completion": True, "score": {"raw": 120, "min": 0, "max": 100}}}, "score"),
        ({"result": {"completion": True, "score": {"min": 10, "max": 10}}}, "score"),
        ({"result": {"completion": "yes"}}, "completion"),
        ({"result": {"completion": 1}}, "completion"),
        ({"result": {"completion": True, "success": "true"}}, "success"),
        ({"time": "0001-01-01T00:00:00+00:00"}, "time"),
        ({"time": "9999-12-31T23:59:59-14:00"}, "time"),
    ],
)
def test_the_webhook_refuses_what_the_specifications_do(
    app: Any, client: Any, example: Example, change: dict[str, Any], field: str
) -> None:
    event = {**completion(example, f"evt-{uuid.uuid4().hex[:8]}"), **change}
    response = post_signed(client, example, event)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["detail"]
    assert stored(app) == 0


def test_the_webhook_takes_the_edges(app: Any, client: Any, example: Example) -> None:
    for n, score in enumerate(({"scaled": -1}, {"scaled": 1}, {"raw": 0, "min": 0, "max": 1})):
        event = completion(example, f"edge-{n}")
        event["result"] = {"completion": True, "score": score}
        event["time"] = "2199-12-31T23:59:59+00:00" if n else "1900-01-01T00:00:00+00:00"
        assert post_signed(client, example, event).status_code == 202
    assert stored(app) == 3


@pytest.fixture
def xapi_example(app: Any, tmp_path: Path) -> Example:
    return load_example(app, tmp_path, connection="xapi-lrs", kind="xapi")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"result": {"score": {"scaled": 5}}}, "result.score"),
        ({"result": {"score": {"raw": -1, "min": 0, "max": 10}}}, "result.score"),
        ({"result": {"score": {"scaled": True}}}, "result.score"),
        ({"result": {"completion": "yes"}}, "result.completion"),
        ({"timestamp": "0001-01-01T00:00:00Z"}, "timestamp"),
        ({"timestamp": "9999-12-31T23:59:59-14:00"}, "timestamp"),
    ],
)
def test_xapi_refuses_what_the_specification_does(
    app: Any, client: Any, xapi_example: Example, extra: dict[str, Any], field: str
) -> None:
    body = statement(xapi_example, str(uuid.uuid4()), **extra)
    response = client.post("/xapi/statements", json=body, headers=headers(xapi_example))
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]
    assert stored(app) == 0
