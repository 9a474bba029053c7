"""``badgeservice people export | erase`` as real processes against a real database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from typing import Any

from tests.conftest import ROOT, fresh_database


def test_people_export_and_erase_on_the_command_line(tmp_path_factory: Any) -> None:
    with fresh_database(tmp_path_factory) as url:
        folder = tmp_path_factory.mktemp("ops")
        shutil.copytree(ROOT / "issuers", folder / "issuers")
        env = {
            **os.environ,
            "BADGESERVICE_DATABASE_URL": url,
            "BADGESERVICE_SECRET_KEY": "ops test secret",
            "BADGESERVICE_PUBLIC_URL": "https://badges.example.org",
        }

        def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "badgeservice", *args],
                cwd=folder,
                env=env,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        assert run("db", "upgrade").returncode == 0
        assert run("issuers", "load").returncode == 0
        org = ("--organisation", "esimerkkiopisto")
        exported = run("people", "export", *org, "E1004", "-o", "juha.zip")
        assert exported.returncode == 0, exported.stderr
        with zipfile.ZipFile(folder / "juha.zip") as archive:
            document = json.loads(archive.read("export.json"))
        assert document["person"]["family_name"] == "Nieminen"
        assert document["$schema"] == (
            "https://badges.example.org/schemas/privacy/personal-data-export.schema.json"
        )

        refused = run("people", "erase", *org, "E1004", stdin="Juha Virtanen\n")
        assert refused.returncode != 0
        assert "not the person's employee number or full name" in refused.stderr
        unknown = run("people", "erase", *org, "E9999", "--confirm", "E9999")
        assert unknown.returncode != 0 and "no person" in unknown.stderr

        erased = run("people", "erase", *org, "E1004", "--json", stdin="juha nieminen\n")
        assert erased.returncode == 0, erased.stderr
        report = json.loads(erased.stdout)
        assert report["removed"]["lms accounts"] >= 1
        assert "credentials" in report["kept"]
        again = run("people", "erase", *org, erased_id(report), "--confirm", "x")
        assert again.returncode != 0 and "already erased" in again.stderr
        audit = run("audit", "list", *org)
        assert audit.returncode == 0, audit.stderr
        assert "person.erased" in audit.stdout and "person.exported" in audit.stdout
        assert "Nieminen" not in audit.stdout


def erased_id(report: dict[str, Any]) -> str:
    return str(report["personId"])
