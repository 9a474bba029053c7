"""The operator commands, run as real processes against a real database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT, fresh_database


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with fresh_database(tmp_path_factory) as url:
        folder = tmp_path_factory.mktemp("ops")
        shutil.copytree(ROOT / "issuers", folder / "issuers")
        env = {
            **os.environ,
            "BADGESERVICE_DATABASE_URL": url,
            "BADGESERVICE_SECRET_KEY": "ops test secret",
            "BADGESERVICE_PUBLIC_URL": "https://badges.example.org",
        }
        yield folder, env


def run(workdir: Any, *args: str) -> subprocess.CompletedProcess[str]:
    folder, env = workdir
    return subprocess.run(
        [sys.executable, "-m", "badgeservice", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_issuers_clients_and_key_rotation(workdir: Any) -> None:
    assert run(workdir, "db", "upgrade").returncode == 0
    check = run(workdir, "db", "check")
    assert check.returncode == 0 and "agree" in check.stdout
    first = run(workdir, "issuers", "load")
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout
    second = run(workdir, "issuers", "load")
    assert "created" not in second.stdout and "updated" not in second.stdout

    created = run(
        workdir,
        "clients",
        "create",
        "--organisation",
        "esimerkkiopisto",
        "--scopes",
        "events:write",
        "--connection",
        "moodle",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    client = json.loads(created.stdout)
    assert set(client) == {"id", "token", "secret"}
    assert client["token"].startswith("bst_") and client["secret"].startswith("whsec_")

    rotated = run(workdir, "keys", "rotate", "--issuer", "esimerkkiopisto/staff-academy")
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.strip().split()[0].endswith("#key-2")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("clients", "create", "--organisation", "nobody", "--scopes", "admin"),
            "no organisation 'nobody'",
        ),
        (
            ("clients", "create", "--organisation", "esimerkkiopisto", "--scopes", "root"),
            "unknown scope",
        ),
        (("keys", "rotate", "--issuer", "esimerkkiopisto/none"), "no issuer"),
        (("keys", "rotate", "--issuer", "not-a-uuid"), "no issuer"),
        (("issuers", "load", "missing-folder"), "no such folder"),
    ],
)
def test_operator_mistakes_are_one_line_errors(
    workdir: Any, args: tuple[str, ...], message: str
) -> None:
    run(workdir, "db", "upgrade")
    run(workdir, "issuers", "load")
    result = run(workdir, *args)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
