"""The application factory: configuration order and problem+json errors."""

from __future__ import annotations

import pytest
from flask import Flask

from badgeservice.app import create_app
from badgeservice.config import load_config


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, "PUBLIC_URL": "https://badges.example.org/"})


def test_configuration_layers() -> None:
    env = {"BADGESERVICE_PUBLIC_URL": "https://env.example", "BADGESERVICE_MAX_CONTENT_LENGTH": "7"}
    config = load_config(environ=env)
    assert config["PUBLIC_URL"] == "https://env.example"
    assert config["MAX_CONTENT_LENGTH"] == 7
    assert load_config({"PUBLIC_URL": "https://x/"}, environ=env)["PUBLIC_URL"] == "https://x"


def test_health(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_unknown_route_is_problem_json(app: Flask) -> None:
    response = app.test_client().get("/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404
    assert body["type"].endswith("/not-found")


def test_wrong_method_is_problem_json(app: Flask) -> None:
    response = app.test_client().post("/healthz")
    assert response.status_code == 405
    assert response.get_json()["type"].endswith("/method-not-allowed")


def test_tune_gc_freezes_what_is_loaded_and_makes_collections_rarer() -> None:
    import gc

    from badgeservice.runtime import GC_THRESHOLDS, tune_gc

    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 1000  # the loaded modules and their objects
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[0] > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
