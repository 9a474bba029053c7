"""Shared fixtures: the known-answer vectors in ../shared/testvectors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _vectors_dir() -> Path:
    configured = os.environ.get("BADGESERVICE_TESTVECTORS")
    candidates = [Path(configured)] if configured else []
    candidates.append(ROOT / "tests" / "data" / "testvectors" / "eddsa-rdfc-2022")
    for candidate in candidates:
        if (candidate / "keyPair.json").is_file():
            return candidate
    raise RuntimeError("eddsa-rdfc-2022 test vectors not found (set BADGESERVICE_TESTVECTORS)")


VECTORS = _vectors_dir()


def load_vector(name: str) -> Any:
    """A JSON file of the vectors, parsed."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def read_vector(name: str) -> str:
    """A text file of the vectors, exactly as stored (hashed bytes included)."""
    return (VECTORS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vectors() -> Path:
    return VECTORS
