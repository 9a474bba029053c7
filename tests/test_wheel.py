"""The library stands alone: built as a wheel, installed into a fresh virtual environment
outside the checkout, ``badgeservice.credentials`` imports and signs and verifies there.

About 10 s: one wheel build (no build isolation, so nothing is downloaded) and one venv
without pip. The new venv borrows this environment's third-party packages through a .pth
path entry (which does not activate the checkout's editable install), so only the wheel
provides ``badgeservice``; the test asserts that.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

from tests.conftest import ROOT

SOURCES = ("badgeservice", "schemas", "migrations")
FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def test_wheel_installed_elsewhere_signs_and_verifies(tmp_path: Path) -> None:
    # Build from a clean copy, so nothing left in the checkout's build/ can slip in.
    source = tmp_path / "src"
    for name in SOURCES:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in FILES:
        shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    _run(
        sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "-w", dist, source, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = dist.glob("badgeservice-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "badgeservice/schemas/contexts/manifest.json" in names
    assert "badgeservice/schemas/ob_v3p0_achievementcredential_schema.json" in names
    assert "badgeservice/migrations/env.py" in names

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
        "--no-index", wheel, cwd=tmp_path,
    )  # fmt: skip
    site = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).stdout.strip()
    (Path(site) / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    script = textwrap.dedent(
        """
        import json, sys
        import badgeservice.credentials as library
        from badgeservice.credentials.contexts import CONTEXT_STORE
        from badgeservice.credentials.multikey import KeyPair
        from badgeservice.credentials.proofs import sign
        from badgeservice.credentials.resources import schemas_dir
        from badgeservice.credentials.verify import verify_credential
        from badgeservice.migrate import _migrations_dir

        CONTEXT_STORE.verify_all()
        document = json.loads(sys.stdin.read())
        key = KeyPair.generate()
        document["issuer"]["id"] = key.did_key_verification_method.split("#")[0]
        report = verify_credential(sign(document, key))
        print(json.dumps({
            "library": library.__file__,
            "schemas": str(schemas_dir()),
            "migrations": str(_migrations_dir()),
            "verified": report.verified,
            "errors": report.errors,
        }))
        """
    )
    unsigned = (ROOT / "tests/data/testvectors/eddsa-rdfc-2022/ob-v3p0/unsigned.json").read_text()
    result = subprocess.run(
        [str(python), "-I", "-c", script],
        input=unsigned,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["verified"], answer["errors"]
    for where in ("library", "schemas", "migrations"):
        assert answer[where].startswith(str(venv)), answer
        assert not answer[where].startswith(str(ROOT)), answer

    # The console script of the wheel: sign and verify offline.
    (work / "unsigned.json").write_text(unsigned)
    shutil.copy2(ROOT / "tests/data/testvectors/eddsa-rdfc-2022/keyPair.json", work / "key.json")
    cli = venv / "bin" / "badgeservice"
    signed = _run(cli, "credentials", "sign", "--key", "key.json", "unsigned.json", cwd=work)
    (work / "signed.json").write_text(signed.stdout)
    verified = subprocess.run(
        [str(cli), "credentials", "verify", "--offline", "signed.json"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(verified.stdout)
    (proof,) = [c for c in report["checks"] if c["name"] == "proof"]
    assert proof["outcome"] == "passed", report
