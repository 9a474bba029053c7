"""Commands import what they need when they run: `badgeservice --help` and `clients create`
load neither the web application nor the JSON-LD stack (they took 1.3 s before anything
happened; the timing itself is measured by `python -m benchmarks.startup`, not here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

HEAVY = (
    "flask",
    "pyld",
    "marshmallow",
    "apispec",
    "badgeservice.app",
    "badgeservice.credentials.jsonld",
)

PROBE = """
import json, sys
from badgeservice.cli import main
heavy = json.loads(sys.argv[2])
sys.argv = ["badgeservice", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
loaded = sorted(m for m in sys.modules if m in heavy or m.split(".")[0] in heavy)
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, object] = json.loads(result.stderr.strip().splitlines()[-1])
    return report


def test_help_and_clients_create_start_without_the_heavy_stack(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BADGESERVICE_")}
    env["BADGESERVICE_SECRET_KEY"] = "startup test"
    for setup in (["db", "upgrade"], ["issuers", "load"]):
        subprocess.run(
            [sys.executable, "-m", "badgeservice", *setup],
            cwd=tmp_path,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    for args in (
        ["--help"],
        ["clients", "--help"],
        ["clients", "create", "--organisation", "esimerkkiopisto", "--scopes", "hr:read"],
    ):
        report = _run(args, tmp_path, env)
        assert report["code"] == 0, report
        assert report["loaded"] == [], (args, report["loaded"])
