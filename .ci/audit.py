"""Audit the locked dependencies (requirements.lock) for known vulnerabilities.

Runs pip-audit over the lock (PyPI's vulnerability data, then OSV's if PyPI's cannot be
reached) and decides:

* exit 0: every dependency was audited and every vulnerability found is covered by an
  exception in .ci/audit-exceptions.toml that has not expired;
* exit 1: a vulnerability without a current exception, or an exception past its date;
* exit 2: the exceptions file is malformed (each needs id, package, reason and a date);
* exit 3: no vulnerability service could be reached, so dependencies went unaudited (this
  is never reported as "no known vulnerabilities").

``--report FILE`` decides on a pip-audit JSON report already made (used by the tests).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
EXCEPTIONS = ROOT / ".ci" / "audit-exceptions.toml"


@dataclass(frozen=True)
class Allowance:
    id: str
    package: str
    reason: str
    until: dt.date


class ConfigError(Exception):
    pass


def load_exceptions(path: Path) -> list[Allowance]:
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
    found = []
    for n, entry in enumerate(data.get("exception", []), 1):
        missing = [key for key in ("id", "package", "reason", "until") if not entry.get(key)]
        if missing:
            raise ConfigError(f"{path.name}: exception {n} lacks {', '.join(missing)}")
        if not isinstance(entry["until"], dt.date) or isinstance(entry["until"], dt.datetime):
            raise ConfigError(f"{path.name}: exception {n}: until must be a date (2027-01-31)")
        found.append(
            Allowance(
                str(entry["id"]),
                str(entry["package"]).lower(),
                str(entry["reason"]),
                entry["until"],
            )
        )
    return found


def run_pip_audit(lock: Path) -> dict[str, Any] | None:
    """pip-audit's JSON report over the lock, from the first service that audited it."""
    for service in ("pypi", "osv"):
        result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [
                sys.executable,
                "-m",
                "pip_audit",
                "--requirement",
                str(lock),
                "--require-hashes",
                "--disable-pip",
                "--vulnerability-service",
                service,
                "--progress-spinner",
                "off",
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        try:
            report: dict[str, Any] = json.loads(result.stdout)
        except ValueError:
            print(f"audit: pip-audit ({service}) gave no report: {result.stderr.strip()[-500:]}")
            continue
        if unaudited(report) < len(report.get("dependencies", [])):
            return report
        print(f"audit: the {service} vulnerability service could not be reached")
    return None


def unaudited(report: dict[str, Any]) -> int:
    return sum("skip_reason" in dep for dep in report.get("dependencies", []))


def decide(report: dict[str, Any], exceptions: list[Allowance], today: dt.date) -> int:
    """Print the verdict; the exit status."""
    status = 0
    for exception in exceptions:
        if exception.until < today:
            print(
                f"audit: the exception for {exception.id} ({exception.package}) expired on "
                f"{exception.until}: upgrade, or renew it with a reason"
            )
            status = 1
    current = {e.id: e for e in exceptions if e.until >= today}
    skipped = [dep["name"] for dep in report.get("dependencies", []) if "skip_reason" in dep]
    found = 0
    for dep in report.get("dependencies", []):
        for vuln in dep.get("vulns", []):
            found += 1
            ids = [vuln["id"], *vuln.get("aliases", [])]
            match = next((current[i] for i in ids if i in current), None)
            name = f"{dep['name']} {dep.get('version', '?')}"
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed release yet"
            if match is not None and match.package == dep["name"].lower():
                print(f"audit: {name}: {vuln['id']} accepted until {match.until}: {match.reason}")
                continue
            aliases = ", ".join(ids[1:]) or "no alias"
            print(f"audit: {name}: {vuln['id']} ({aliases}); fixed in {fixes}")
            status = 1
    audited = len(report.get("dependencies", [])) - len(skipped)
    if skipped and audited == 0:
        print(f"audit: no dependency could be audited ({len(skipped)} skipped)")
        return 3 if status == 0 else status
    if skipped:
        print(f"audit: not audited (not on the vulnerability service): {', '.join(skipped)}")
    print(f"audit: {audited} dependencies audited, {found} known vulnerabilities")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="decide on this pip-audit JSON report")
    parser.add_argument("--exceptions", type=Path, default=EXCEPTIONS)
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args(argv)
    try:
        exceptions = load_exceptions(args.exceptions)
    except ConfigError as exc:
        print(f"audit: {exc}")
        return 2
    if args.report is not None:
        report = json.loads(args.report.read_text(encoding="utf-8"))
    else:
        report = run_pip_audit(args.lock)
        if report is None:
            print("audit: no vulnerability service could be reached: dependencies NOT audited")
            return 3
    return decide(report, exceptions, args.today)


if __name__ == "__main__":
    sys.exit(main())
