"""Credentials signed and verified per second, against plain pyld in the same run.

Run: ``python -m benchmarks.credentials [--seconds S] [--json FILE]``

The baseline signs with pyld's ``normalize`` (URDNA2015) and an ordinary document loader
serving the same pinned contexts, as a straightforward implementation would; raw Ed25519
signing is shown as the ceiling. Ours is :func:`badgeservice.credentials.proofs.sign` and
:func:`~badgeservice.credentials.proofs.verify_proof`. Every baseline signature is checked
to be byte-identical to ours before anything is timed. Absolute numbers depend on the
machine; compare the ratios.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from pyld import jsonld as pyld_jsonld

from badgeservice.credentials.contexts import CONTEXT_STORE, OB_V3P0, OB_V3P0_EXTENSIONS, VC_V2
from badgeservice.credentials.multikey import KeyPair, encode_base58btc
from badgeservice.credentials.proofs import sign, verify_proof

CREATED = "2026-11-28T09:00:00Z"


def corpus(issuer: str, size: int = 20) -> list[dict[str, Any]]:
    """Varied OB 3.0 credentials: the shapes the service issues."""
    documents = []
    for n in range(size):
        documents.append(
            {
                "@context": [VC_V2, OB_V3P0, OB_V3P0_EXTENSIONS],
                "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "name": f"Digitaalinen sisällöntuotanto {n}",
                "issuer": {
                    "id": issuer,
                    "type": ["Profile"],
                    "name": "Esimerkkiopisto",
                    "url": "https://badges.example.org",
                },
                "validFrom": "2026-11-28T09:00:00Z",
                "credentialSubject": {
                    "type": ["AchievementSubject"],
                    "identifier": [
                        {
                            "type": "IdentityObject",
                            "identityType": "emailAddress",
                            "hashed": True,
                            "salt": f"salt{n}",
                            "identityHash": "sha256$"
                            + hashlib.sha256(
                                f"learner{n}@example.org salt{n}".encode()
                            ).hexdigest(),
                        }
                    ],
                    "achievement": {
                        "id": f"https://badges.example.org/achievements/{n}",
                        "type": ["Achievement"],
                        "achievementType": "Competency",
                        "name": "3.1 Developing digital content",
                        "description": "Creates and edits digital content in different formats.",
                        "criteria": {"narrative": "Complete the module and its assessment. " * 4},
                        "alignment": [
                            {
                                "type": ["Alignment"],
                                "targetName": "Developing digital content",
                                "targetUrl": "https://example.org/digcomp/3.1",
                                "targetFramework": "DigComp 2.2",
                                "targetCode": "3.1",
                            }
                        ],
                    },
                },
                "evidence": [
                    {
                        "id": f"https://lms.example.org/completions/{n}",
                        "type": ["Evidence"],
                        "name": "LMS completion record",
                    }
                ],
                "credentialSchema": [
                    {
                        "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                        "ob_v3p0_achievementcredential_schema.json",
                        "type": "1EdTechJsonSchemaValidator2019",
                    }
                ],
            }
        )
    return documents


def _plain_loader(url: str, options: Any = None) -> dict[str, Any]:
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(CONTEXT_STORE.document(url)),
    }


def _plain_canon(document: dict[str, Any]) -> str:
    result = pyld_jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": _plain_loader,
        },
    )
    assert isinstance(result, str)
    return result


def plain_pyld_sign(document: dict[str, Any], key: KeyPair) -> dict[str, Any]:
    """Straightforward eddsa-rdfc-2022 signing with pyld's normalize."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": CREATED,
        "verificationMethod": key.did_key_verification_method,
        "proofPurpose": "assertionMethod",
    }
    config = {**options, "@context": document["@context"]}
    data = (
        hashlib.sha256(_plain_canon(config).encode()).digest()
        + hashlib.sha256(_plain_canon(document).encode()).digest()
    )
    return {**document, "proof": {**options, "proofValue": encode_base58btc(key.sign(data))}}


def measure(
    benches: list[tuple[str, Callable[[dict[str, Any]], object]]],
    docs: list[dict[str, Any]],
    seconds: float,
    rounds: int,
) -> list[dict[str, Any]]:
    """Operations per second, the median of ``rounds`` rounds of about ``seconds`` each.

    Rounds are interleaved (every benchmark once per round) so that a change in machine
    load affects the baseline and the contenders alike.
    """
    for _, func in benches:
        func(docs[0])  # warm caches and imports outside the timing
    rates: dict[str, list[float]] = {name: [] for name, _ in benches}
    for _ in range(rounds):
        for name, func in benches:
            count = 0
            start = time.perf_counter()
            deadline = start + seconds
            while time.perf_counter() < deadline:
                for doc in docs:
                    func(doc)
                count += len(docs)
            rates[name].append(count / (time.perf_counter() - start))
    return [
        {"name": name, "per_second": statistics.median(values), "rounds": values}
        for name, values in rates.items()
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timed round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per benchmark")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    key = KeyPair.generate()
    docs = corpus(key.did_key)
    for doc in docs:  # byte-identical output is the precondition for comparing speed
        assert plain_pyld_sign(doc, key) == sign(doc, key, created=CREATED)
    signed = [sign(doc, key, created=CREATED) for doc in docs]
    by_id = {doc["id"]: s for doc, s in zip(docs, signed, strict=True)}
    message = b"x" * 64

    results = measure(
        [
            ("baseline: plain pyld normalize sign", lambda d: plain_pyld_sign(d, key)),
            ("badgeservice sign", lambda d: sign(d, key, created=CREATED)),
            ("badgeservice verify", lambda d: verify_proof(by_id[d["id"]])),
            ("raw Ed25519 sign (ceiling)", lambda d: key.sign(message)),
        ],
        docs,
        args.seconds,
        args.rounds,
    )
    baseline = results[0]["per_second"]
    for result in results:
        result["ratio_to_baseline"] = result["per_second"] / baseline
    report = {
        "benchmark": "credentials",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "corpus": len(docs),
        "results": results,
    }
    width = max(len(r["name"]) for r in results)
    for r in results:
        print(f"{r['name']:<{width}}  {r['per_second']:>10.1f}/s  {r['ratio_to_baseline']:>7.2f}x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
    return report


if __name__ == "__main__":
    main()
