"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify

from . import __version__, errors
from .config import load_config

__all__ = ["create_app"]


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application: defaults → ``BADGESERVICE_*`` environment → overrides.

    Nothing slow or networked happens here.
    """
    app = Flask(__name__, instance_relative_config=False)
    config = load_config(overrides)
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = config["MAX_CONTENT_LENGTH"]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    errors.init_app(app)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok", "version": __version__})

    return app
