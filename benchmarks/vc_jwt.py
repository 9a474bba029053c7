"""VC-JWTs signed and verified per second (ES256 and RS256), against the Data Integrity
proof of the same credentials and raw ES256 / RS256 signatures measured in the same run.

Run: ``python -m benchmarks.vc_jwt [--seconds S] [--rounds N] [--per-shape K] [--json FILE]``

* **Contenders**, through the library calls the service uses:
  :func:`~badgeservice.credentials.jose.sign_vc_jwt` (the whole signed credential as the
  payload) and :func:`~badgeservice.credentials.verify.verify_vc_jwt` (the whole report:
  kid resolved from the issuer's DID document, signature, claims, validity, status against
  a supplied status list, 1EdTech JSON Schema).
* **References** in the same run: the Data Integrity path on the same documents
  (:func:`~badgeservice.credentials.proofs.sign` and
  :func:`~badgeservice.credentials.verify.verify_credential`), and raw ES256 and RS256
  signatures and verifications of 64 bytes with ``cryptography`` — the floor. Machines
  differ, so the ratios are what compare.
"""

from __future__ import annotations

import argparse
import json
import platform
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from badgeservice.credentials.did import default_resolver, did_web_document
from badgeservice.credentials.jose import generate_jose_key, sign_vc_jwt
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import sign
from badgeservice.credentials.statuslist import StatusList, status_list_credential
from badgeservice.credentials.verify import verify_credential, verify_vc_jwt
from benchmarks.credential_corpus import ISSUED, corpus
from benchmarks.credentials import CREATED, MESSAGE, NOW, STATUS_URL, Bench, measure

DID = "did:web:badges.example.org:issuers:acme:academy"


def _raw(algorithm: str, der: bytes, documents: list[dict[str, Any]]) -> list[Bench]:
    """Raw signing and verification of 64 bytes with the key behind ``der``."""
    key = serialization.load_der_private_key(der, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        ecdsa = ec.ECDSA(hashes.SHA256())
        ec_public, ec_signature = key.public_key(), key.sign(MESSAGE, ecdsa)

        def raw_sign(_doc: dict[str, Any]) -> object:
            return key.sign(MESSAGE, ecdsa)

        def raw_verify(_doc: dict[str, Any]) -> object:
            return ec_public.verify(ec_signature, MESSAGE, ecdsa)

    else:
        assert isinstance(key, rsa.RSAPrivateKey)
        pad, sha = padding.PKCS1v15(), hashes.SHA256()
        rsa_public, rsa_signature = key.public_key(), key.sign(MESSAGE, pad, sha)

        def raw_sign(_doc: dict[str, Any]) -> object:
            return key.sign(MESSAGE, pad, sha)

        def raw_verify(_doc: dict[str, Any]) -> object:
            return rsa_public.verify(rsa_signature, MESSAGE, pad, sha)

    return [
        (f"raw {algorithm} sign", raw_sign, documents),
        (f"raw {algorithm} verify", raw_verify, documents),
    ]


def _benches(documents: list[dict[str, Any]]) -> list[Bench]:
    ed25519 = KeyPair.generate()
    jose_keys = {algorithm: generate_jose_key(algorithm) for algorithm in ("ES256", "RS256")}
    did_document = did_web_document(
        DID,
        [("key-1", ed25519.public_key_multibase)],
        jwks=[("jwk-1", jose_keys["ES256"].public_jwk), ("jwk-2", jose_keys["RS256"].public_jwk)],
    )
    resolver = default_resolver([did_document])
    method = f"{DID}#key-1"
    status_list = status_list_credential(STATUS_URL, DID, StatusList(), valid_from=ISSUED)
    lists = {STATUS_URL: sign(status_list, ed25519, verification_method=method, created=CREATED)}
    signed = {
        d["id"]: sign(d, ed25519, verification_method=method, created=CREATED) for d in documents
    }
    kids = {"ES256": f"{DID}#jwk-1", "RS256": f"{DID}#jwk-2"}

    def vc_jwt(algorithm: str, doc: dict[str, Any]) -> str:
        return sign_vc_jwt(doc, algorithm, jose_keys[algorithm].private_der, kid=kids[algorithm])

    tokens = {
        algorithm: {d["id"]: vc_jwt(algorithm, signed[d["id"]]) for d in documents}
        for algorithm in kids
    }

    def report_jwt(algorithm: str, doc: dict[str, Any]) -> None:
        token = tokens[algorithm][doc["id"]]
        assert verify_vc_jwt(token, resolver=resolver, status_lists=lists, now=NOW).verified

    def report_di(doc: dict[str, Any]) -> None:
        found = signed[doc["id"]]
        assert verify_credential(found, resolver=resolver, status_lists=lists, now=NOW).verified

    benches: list[Bench] = []
    for algorithm in kids:
        benches += _raw(algorithm, jose_keys[algorithm].private_der, documents)
    benches += [
        (
            "Data Integrity sign (baseline)",
            lambda d: sign(d, ed25519, verification_method=method, created=CREATED),
            documents,
        ),
        ("Data Integrity verify_credential (baseline)", report_di, documents),
        ("VC-JWT ES256 sign", lambda d: vc_jwt("ES256", signed[d["id"]]), documents),
        ("VC-JWT RS256 sign", lambda d: vc_jwt("RS256", signed[d["id"]]), documents),
        ("VC-JWT ES256 verify_vc_jwt", lambda d: report_jwt("ES256", d), documents),
        ("VC-JWT RS256 verify_vc_jwt", lambda d: report_jwt("RS256", d), documents),
    ]
    return benches


def _print(results: list[dict[str, Any]]) -> None:
    rates = {r["name"]: r["per_second"] for r in results}
    width = max(len(name) for name in rates)
    print(f"{'':<{width}}  {'median/s':>9}  {'rounds (min-max)':>17}  vs Data Integrity")
    for r in results:
        verify = "verify" in r["name"]
        base = rates[
            "Data Integrity verify_credential (baseline)"
            if verify
            else "Data Integrity sign (baseline)"
        ]
        spread = f"{min(r['rounds']):.0f}-{max(r['rounds']):.0f}"
        print(
            f"{r['name']:<{width}}  {r['per_second']:>9.1f}  {spread:>17}  "
            f"{r['per_second'] / base:>15.2f}x"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one timed round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds per benchmark")
    parser.add_argument("--per-shape", type=int, default=5, help="documents of each shape")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    documents = [doc for docs in corpus(DID, args.per_shape).values() for doc in docs]
    results = measure(_benches(documents), args.seconds, args.rounds)
    report: dict[str, Any] = {
        "benchmark": "vc_jwt",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "documents": len(documents),
        "results": results,
    }
    _print(results)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
    return report


if __name__ == "__main__":
    main()
