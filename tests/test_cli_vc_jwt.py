"""``credentials verify`` on a file holding a VC-JWT, as a real process: the issuer's did:web
document (with its JsonWebKey) and status list fetched from a loopback server, the same
report as for a Data Integrity proof, and the verdicts and exit codes that follow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from badgeservice.credentials.did import did_web_document
from badgeservice.credentials.jose import generate_jose_key, sign_vc_jwt
from tests.credentials.loopback import Route, Server, serve
from tests.credentials.test_fetch import Issuer
from tests.test_cli import assert_one_line_error, run


@pytest.fixture
def hosted() -> Iterator[tuple[Server, Issuer]]:
    with serve() as server:
        yield server, Issuer(server)


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_a_vc_jwt_file_is_verified_with_the_fetched_key_and_status(
    tmp_path: Path, hosted: tuple[Server, Issuer], algorithm: str
) -> None:
    server, issuer = hosted
    pair = generate_jose_key(algorithm)
    document = did_web_document(
        issuer.did, [("key-1", issuer.key.public_key_multibase)], jwks=[("jwk-1", pair.public_jwk)]
    )
    server.routes["/issuers/acme/did.json"] = Route(
        content_type="application/did+json", body=json.dumps(document).encode()
    )
    credential = issuer.credential(7)
    token = sign_vc_jwt(credential, algorithm, pair.private_der, kid=f"{issuer.did}#jwk-1")
    path = tmp_path / "badge.jws"
    path.write_text(token + "\n", encoding="ascii")

    result = run("credentials", "verify", "--allow-loopback-http", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["verified"] is True
    assert {c["name"]: c["outcome"] for c in report["checks"]} == {
        "type": "passed",
        "proof": "passed",
        "issuer": "passed",
        "claims": "passed",
        "validity": "passed",
        "status": "passed",
        "schema": "passed",
    }
    assert {"/issuers/acme/did.json", "/issuers/acme/status/1"} <= set(server.hits)

    issuer.bits.set(7, 1)
    issuer.publish()
    revoked = run("credentials", "verify", "--allow-loopback-http", str(path))
    assert revoked.returncode == 1
    assert "status: revocation: revoked" in json.loads(revoked.stdout)["errors"]

    head, body, signature = token.split(".")
    forged = tmp_path / "forged.jws"
    forged.write_text(f"{head}.{body}.{signature[:-4]}AAAA", encoding="ascii")
    failed = run("credentials", "verify", "--allow-loopback-http", "--no-status", str(forged))
    assert failed.returncode == 1
    assert any("signature does not match" in e for e in json.loads(failed.stdout)["errors"])


def test_a_file_that_only_looks_like_a_token_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.jws"
    path.write_text("abc.def.ghi", encoding="ascii")
    assert_one_line_error(run("credentials", "verify", "--offline", str(path)), "VC-JWT")
