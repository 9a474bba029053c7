"""The command line, run as a real process: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VECTORS, load_vector


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "badgeservice", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_keys_generate_prints_and_writes_private_file(tmp_path: Path) -> None:
    result = run("keys", "generate")
    assert result.returncode == 0
    key = json.loads(result.stdout)
    assert key["publicKeyMultibase"].startswith("z6Mk")
    assert key["privateKeyMultibase"].startswith("z3u2")
    out = tmp_path / "key.json"
    assert run("keys", "generate", "--out", str(out)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["publicKeyMultibase"] != key["publicKeyMultibase"]
    assert_one_line_error(run("keys", "generate", "--out", str(out)), "exists")


def test_sign_reproduces_the_w3c_vector() -> None:
    created = load_vector("signedDataInt.json")["proof"]["created"]
    result = run(
        "credentials",
        "sign",
        "--key",
        str(VECTORS / "keyPair.json"),
        "--created",
        created,
        str(VECTORS / "unsigned.json"),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == load_vector("signedDataInt.json")


def own_credential() -> dict[str, Any]:
    """The W3C example, issued by the vector key's own did:key (issuer = key controller)."""
    key = load_vector("keyPair.json")
    return {**load_vector("unsigned.json"), "issuer": f"did:key:{key['publicKeyMultibase']}"}


def test_sign_from_stdin_and_verify_round_trip(tmp_path: Path) -> None:
    signed = run(
        "credentials",
        "sign",
        "--key",
        str(VECTORS / "keyPair.json"),
        "-",
        stdin=json.dumps(own_credential()),
    )
    assert signed.returncode == 0, signed.stderr
    path = tmp_path / "signed.json"
    path.write_text(signed.stdout)
    verified = run("credentials", "verify", str(path))
    assert verified.returncode == 0, verified.stdout
    report = json.loads(verified.stdout)
    assert report["verified"] is True
    assert {c["name"]: c["outcome"] for c in report["checks"]}["proof"] == "passed"


def test_verify_reports_tampering_with_exit_1(tmp_path: Path) -> None:
    doc = load_vector("signedDataInt.json")
    doc["credentialSubject"]["alumniOf"] = "Another School"
    # The W3C vector's issuer is not its key's controller: the report says so too.
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(doc))
    result = run("credentials", "verify", str(path))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["verified"] is False
    assert any("signature does not match" in e for e in report["errors"])
    assert any(e.startswith("issuer: key controller") for e in report["errors"])


def test_batches_sign_and_verify_in_one_process(tmp_path: Path) -> None:
    unsigned = own_credential()
    batch = [unsigned, {**unsigned, "name": "Second"}, {**unsigned, "name": "Kolmas ✓"}]
    (tmp_path / "batch.json").write_text(json.dumps(batch))
    signed = run(
        "credentials", "sign", "--key", str(VECTORS / "keyPair.json"), str(tmp_path / "batch.json")
    )
    assert signed.returncode == 0, signed.stderr
    documents = json.loads(signed.stdout)
    assert [d["name"] for d in documents] == ["Alumni Credential", "Second", "Kolmas ✓"]
    (tmp_path / "signed.json").write_text(json.dumps(documents))
    all_good = run("credentials", "verify", str(tmp_path / "signed.json"))
    assert all_good.returncode == 0
    assert [r["verified"] for r in json.loads(all_good.stdout)] == [True, True, True]
    documents[1]["name"] = "Tampered"
    (tmp_path / "mixed.json").write_text(json.dumps(documents))
    mixed = run("credentials", "verify", str(tmp_path / "mixed.json"))
    assert mixed.returncode == 1
    assert [r["verified"] for r in json.loads(mixed.stdout)] == [True, False, True]


def test_verify_with_a_controller_document_and_time(tmp_path: Path) -> None:
    key = load_vector("ob-v3p0/keyPair.json")
    controller = {
        "id": key["controller"],
        "verificationMethod": [
            {
                "id": key["verificationMethod"],
                "type": "Multikey",
                "controller": key["controller"],
                "publicKeyMultibase": key["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [key["verificationMethod"]],
    }
    (tmp_path / "controller.json").write_text(json.dumps(controller))
    signed = str(VECTORS / "ob-v3p0" / "signed.json")
    ok = run("credentials", "verify", "--did-document", str(tmp_path / "controller.json"), signed)
    assert ok.returncode == 0, ok.stdout
    checks = {c["name"]: c["outcome"] for c in json.loads(ok.stdout)["checks"]}
    assert checks == {
        "type": "passed",
        "proof": "passed",
        "issuer": "passed",
        "validity": "passed",
        "status": "skipped",
        "schema": "passed",
    }
    early = run(
        "credentials",
        "verify",
        "--did-document",
        str(tmp_path / "controller.json"),
        "--now",
        "2009-12-31T23:59:59Z",
        signed,
    )
    assert early.returncode == 1
    assert "not yet valid" in " ".join(json.loads(early.stdout)["errors"])
    unresolved = run("credentials", "verify", signed)
    assert unresolved.returncode == 1
    assert "no controller document" in unresolved.stdout


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("{not json", ["malformed JSON", "line 1"]),
        (
            json.dumps({"@context": ["https://example.org/ctx"], "id": "urn:x"}),
            ["unknown JSON-LD context", "https://example.org/ctx"],
        ),
        (
            json.dumps({**load_vector("ob-v3p0/unsigned.json"), "madeUpTerm": 1}),
            ["$.madeUpTerm", "not defined"],
        ),
        (json.dumps(["not", "objects"]), ["element 0"]),
    ],
)
def test_unusable_input_is_one_line_and_exit_2(
    tmp_path: Path, content: str, fragments: list[str]
) -> None:
    path = tmp_path / "input.json"
    path.write_text(content)
    assert_one_line_error(run("credentials", "verify", str(path)), *fragments)
    assert_one_line_error(
        run("credentials", "sign", "--key", str(VECTORS / "keyPair.json"), str(path)), *fragments
    )


def test_missing_files_and_bad_keys(tmp_path: Path) -> None:
    assert_one_line_error(run("credentials", "verify", str(tmp_path / "nope.json")), "no such file")
    assert_one_line_error(
        run(
            "credentials",
            "sign",
            "--key",
            str(tmp_path / "nope.json"),
            str(VECTORS / "unsigned.json"),
        ),
        "no such file",
    )
    bad_key = tmp_path / "key.json"
    bad_key.write_text(json.dumps({"privateKeyMultibase": "zNotAKey"}))
    assert_one_line_error(
        run("credentials", "sign", "--key", str(bad_key), str(VECTORS / "unsigned.json")),
        "private key",
    )
    assert_one_line_error(
        run(
            "credentials",
            "sign",
            "--key",
            str(VECTORS / "keyPair.json"),
            "--created",
            "tomorrow",
            str(VECTORS / "unsigned.json"),
        ),
        "created",
    )
    assert_one_line_error(
        run("credentials", "verify", "--now", "noon", str(VECTORS / "signedDataInt.json")), "--now"
    )


def test_binary_input_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert_one_line_error(run("credentials", "verify", str(path)), "not UTF-8")


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("keys", "credentials", "demo"):
        assert command in result.stdout
    sub = run("credentials", "--help")
    for command in ("sign", "verify", "bake", "unbake"):
        assert command in sub.stdout
