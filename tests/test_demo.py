"""`badgeservice demo`: the README's first command issues, bakes, verifies and revokes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from badgeservice.credentials import baking
from badgeservice.credentials.verify import verify_credential
from badgeservice.demo import run_demo


def test_demo_issues_a_verifiable_baked_credential_and_revokes_it(tmp_path: Path) -> None:
    lines: list[str] = []
    assert run_demo(lines.append, tmp_path)
    text = "\n".join(lines)
    assert "verify (baked) verified=true" in text
    assert "after revoke   verified=false" in text
    credential = json.loads((tmp_path / "credential.json").read_text())
    assert baking.unbake((tmp_path / "badge.svg").read_bytes()).credential == credential
    identifier = credential["credentialSubject"]["identifier"][0]
    assert identifier["hashed"] is True
    assert "aino.learner" not in json.dumps(credential)  # the e-mail only as a salted hash
    status_url = credential["credentialStatus"]["statusListCredential"]
    clear = json.loads((tmp_path / "status-list.json").read_text())
    revoked = json.loads((tmp_path / "status-list-revoked.json").read_text())
    assert verify_credential(credential, status_lists={status_url: clear}).verified
    assert not verify_credential(credential, status_lists={status_url: revoked}).verified
    assert (tmp_path / "issuer-key.json").stat().st_mode & 0o077 == 0


def test_demo_command_runs_from_a_fresh_directory(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "badgeservice", "credentials", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "instance" / "demo" / "badge.svg").is_file()
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "badgeservice",
            "credentials",
            "verify",
            "--status-list",
            "instance/demo/status-list.json",
            "instance/demo/credential.json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout
