"""``credentials sign|verify`` as a person runs them: verdicts that do not mislead, input the
verifier would reject refused before signing, and hostile input answered with one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgeservice.credentials.statuslist import status_entry
from tests.conftest import VECTORS, load_vector
from tests.credentials.loopback import Server, serve
from tests.credentials.test_fetch import Issuer
from tests.test_cli import assert_one_line_error, run

KEY = str(VECTORS / "keyPair.json")
BANG, CAP = "\uff01", "\U0001f393"


def write(folder: Path, name: str, value: Any) -> str:
    path = folder / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


@pytest.fixture
def hosted() -> Iterator[tuple[Server, Issuer]]:
    with serve() as server:
        yield server, Issuer(server)


def test_a_revoked_credential_is_not_verified_without_any_status_flag(
    tmp_path: Path, hosted: tuple[Server, Issuer]
) -> None:
    server, issuer = hosted
    credential = write(tmp_path, "revoked.json", issuer.credential(99))
    issuer.bits.set(99, 1)
    issuer.publish()
    result = run("credentials", "verify", "--allow-loopback-http", credential)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["verified"] is False
    assert "status: revocation: revoked" in report["errors"]
    assert {"/issuers/acme/did.json", "/issuers/acme/status/1"} <= set(server.hits)


def test_https_only_unless_loopback_http_is_allowed(
    tmp_path: Path, hosted: tuple[Server, Issuer]
) -> None:
    server, issuer = hosted
    credential = write(tmp_path, "c.json", issuer.credential(5))
    result = run("credentials", "verify", credential)
    assert result.returncode == 1
    assert "allow-loopback-http" in " ".join(json.loads(result.stdout)["errors"])
    assert server.hits == []
    assert run("credentials", "verify", "--allow-loopback-http", credential).returncode == 0


def test_status_that_cannot_be_checked_is_not_verified_offline(
    tmp_path: Path, hosted: tuple[Server, Issuer]
) -> None:
    server, issuer = hosted
    credential = write(tmp_path, "c.json", issuer.credential(5))
    did = write(
        tmp_path, "did.json", json.loads(server.routes["/issuers/acme/did.json"].body.decode())
    )
    result = run("credentials", "verify", "--offline", "--did-document", did, credential)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    (status,) = [c for c in report["checks"] if c["name"] == "status"]
    assert status["outcome"] == "failed"
    assert status["message"].startswith("status could not be checked: ")
    assert server.hits == []
    # --no-status: verified, and the report and the terminal both say status was not checked.
    result = run(
        "credentials", "verify", "--offline", "--no-status", "--did-document", did, credential
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["warnings"]
    assert result.stderr.startswith("warning: credential status (revocation) was NOT checked")


def test_verify_report_names_the_status_list_that_failed_to_load(tmp_path: Path) -> None:
    document = load_vector("ob-v3p0/unsigned.json")
    document["credentialStatus"] = status_entry("https://status.invalid/list/1", 3)
    signed = run("credentials", "sign", "--key", KEY, write(tmp_path, "u.json", document))
    assert signed.returncode == 0, signed.stderr
    path = write(tmp_path, "s.json", json.loads(signed.stdout))
    result = run("credentials", "verify", "--offline", path)
    assert result.returncode == 1
    assert "status could not be checked: status list https://status.invalid/list/1" in (
        result.stdout
    )


@pytest.mark.parametrize("command", ["sign", "verify"])
def test_lone_surrogates_are_one_error_line(tmp_path: Path, command: str) -> None:
    text = (VECTORS / "ob-v3p0" / "unsigned.json").read_text(encoding="utf-8")
    if command == "verify":
        signed = run("credentials", "sign", "--key", KEY, str(VECTORS / "ob-v3p0/unsigned.json"))
        text = signed.stdout
    broken = text.replace('"name": "Teamwork', '"name": "broken \\ud83c Teamwork', 1)
    assert broken != text
    path = tmp_path / "broken.json"
    path.write_text(broken, encoding="utf-8")
    args = ["sign", "--key", KEY] if command == "sign" else ["verify", "--offline"]
    assert_one_line_error(
        run("credentials", *args, str(path)), "lone surrogate (U+D83C)", "error: $.name: "
    )


def test_sign_refuses_what_verify_would_reject_unless_told(tmp_path: Path) -> None:
    document = load_vector("ob-v3p0/unsigned.json")
    document["credentialSubject"]["achievement"]["name"] = {"@value": "Nimi", "@language": "fi"}
    path = write(tmp_path, "lang.json", document)
    assert_one_line_error(
        run("credentials", "sign", "--key", KEY, path), "$.credentialSubject.achievement.name"
    )
    signed = run("credentials", "sign", "--key", KEY, "--no-schema", path)
    assert signed.returncode == 0, signed.stderr
    assert "proof" in json.loads(signed.stdout)

    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:holder",
    }
    path = write(tmp_path, "vp.json", presentation)
    assert_one_line_error(
        run("credentials", "sign", "--key", KEY, path), "$.type", "VerifiablePresentation"
    )
    assert run("credentials", "sign", "--key", KEY, "--no-schema", path).returncode == 0


def test_sign_refuses_an_ordering_conflict_and_signs_in_a_chosen_order(tmp_path: Path) -> None:
    document = load_vector("ob-v3p0/unsigned.json")
    document["evidence"] = [
        {"id": "https://lms.example.org/e/1", "type": ["Evidence"], "name": f"Work {BANG}"},
        {"id": "https://lms.example.org/e/1", "type": ["Evidence"], "name": f"Work {CAP}"},
    ]
    path = write(tmp_path, "order.json", document)
    assert_one_line_error(
        run("credentials", "sign", "--key", KEY, path),
        "$.evidence[0].name, $.evidence[1].name",
        "UTF-16",
    )
    signed = run("credentials", "sign", "--key", KEY, "--ordering", "utf-16", path)
    assert signed.returncode == 0, signed.stderr
    result = run(
        "credentials", "verify", "--offline", write(tmp_path, "s.json", json.loads(signed.stdout))
    )
    report = json.loads(result.stdout)
    assert report["nquadsOrdering"] == "utf-16"
    (proof,) = [c for c in report["checks"] if c["name"] == "proof"]
    assert proof["outcome"] == "passed"
    assert "UTF-16 code-unit order" in proof["message"]
