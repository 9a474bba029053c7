"""The dependency audit (.ci/audit.py) fails on a known vulnerability unless an explicit,
dated exception covers it, and never reports "no vulnerabilities" when nothing could be
audited."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

REPORTS = ROOT / "tests" / "data" / "audit"


def audit(
    tmp_path: Path, report: str, exceptions: str = "", today: str = "2026-12-01"
) -> tuple[int, str]:
    listed = tmp_path / "exceptions.toml"
    listed.write_text(exceptions, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / ".ci" / "audit.py"),
            "--report",
            str(REPORTS / report),
            "--exceptions",
            str(listed),
            "--today",
            today,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


EXCEPTION = """
[[exception]]
id = "CVE-2024-22195"
package = "jinja2"
reason = "xmlattr is never used with user-supplied keys"
until = 2027-01-31
"""


def test_a_known_vulnerability_fails_the_audit(tmp_path: Path) -> None:
    status, output = audit(tmp_path, "vulnerable.json")
    assert status == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (CVE-2024-22195); fixed in 3.1.3" in output


def test_a_dated_exception_accepts_it_until_its_date(tmp_path: Path) -> None:
    status, output = audit(tmp_path, "vulnerable.json", EXCEPTION)
    assert status == 0, output
    assert "accepted until 2027-01-31: xmlattr is never used" in output
    expired, output = audit(tmp_path, "vulnerable.json", EXCEPTION, today="2027-02-01")
    assert expired == 1
    assert "expired on 2027-01-31" in output
    # An exception for another package does not cover it.
    other = EXCEPTION.replace('package = "jinja2"', 'package = "flask"')
    assert audit(tmp_path, "vulnerable.json", other)[0] == 1


def test_an_exception_needs_a_reason_and_a_date(tmp_path: Path) -> None:
    undated = EXCEPTION.replace("until = 2027-01-31\n", "")
    status, output = audit(tmp_path, "vulnerable.json", undated)
    assert status == 2 and "lacks until" in output
    unexplained = EXCEPTION.replace('reason = "xmlattr is never used with user-supplied keys"', "")
    assert audit(tmp_path, "vulnerable.json", unexplained)[0] == 2


def test_nothing_audited_is_never_a_pass(tmp_path: Path) -> None:
    status, output = audit(tmp_path, "unreachable.json")
    assert status == 3
    assert "no dependency could be audited" in output


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = [line for line in lock.splitlines() if line and not line.startswith((" ", "#"))]
    assert entries and all("==" in line for line in entries), entries
    assert "badgeservice @" not in lock
    names = {line.split("==")[0].lower() for line in entries}
    for wanted in ("flask", "cryptography", "pyld", "sqlalchemy", "pytest", "pip-audit"):
        assert wanted in names, wanted
