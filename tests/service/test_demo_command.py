"""`badgeservice demo` (the README's first command) in a fresh folder: it migrates a SQLite
file under instance/, loads the example organisation, prints a token, serves, and the
printed token can issue a credential right away."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.live import free_port


def test_demo_serves_the_example_organisation_and_issues(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BADGESERVICE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "badgeservice", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        token = award = pages = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (token and award and pages):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if match := re.search(r"API token for esimerkkiopisto \(admin\): (\S+)", line):
                token = match.group(1)
            if match := re.search(r"-d '(\{.*\})'", line):
                award = json.loads(match.group(1))
            if "pages:" in line:
                pages = line
        assert token and award, "".join(lines)
        assert (tmp_path / "instance" / "badgeservice.sqlite3").is_file()
        assert (tmp_path / "instance" / "secret-key").stat().st_mode & 0o077 == 0
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{base}/api/v1/awards",
            data=json.dumps(award).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
            body = json.loads(response.read())
        assert body["credential"]["issuer"]["id"].startswith("did:web:127.0.0.1%3A")
        # The pages: the example organisation is the front door, and the demo (only the
        # demo) offers "continue as" an example person.
        assert any("pages:" in line and "demo only" in line for line in lines), lines
        page = urllib.request.Request(
            f"{base}/o/esimerkkiopisto/sign-in",
            headers={"Accept": "text/html", "Accept-Language": "fi"},
        )
        with urllib.request.urlopen(page, timeout=30) as response:
            text = response.read().decode()
        assert '<html lang="fi">' in text
        assert "Esittely: jatka esimerkkihenkilönä" in text and "Helena Korhonen" in text
    finally:
        process.terminate()
        process.wait(timeout=30)
