"""schemathesis against the real server: generated requests for every operation in the
OpenAPI document, valid and invalid, must never produce a server error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import fresh_database
from tests.live import serve_example


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with fresh_database(tmp_path_factory) as database_url:
        yield from serve_example(tmp_path_factory, database_url)


def test_no_server_errors_for_generated_requests(live: dict[str, Any], tmp_path: Path) -> None:
    runner = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert runner, "schemathesis is a test dependency"
    result = subprocess.run(
        [
            runner,
            "run",
            f"{live['base']}/api/v1/openapi.json",
            "-H",
            f"Authorization: Bearer {live['token']}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--seed",
            "20261128",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert "generated" in result.stdout
