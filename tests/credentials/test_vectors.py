"""Every known-answer vector reproduced byte for byte: canonical forms, hashes, proofValue."""

from __future__ import annotations

import hashlib

import pytest

from badgeservice.credentials.did import DocumentResolver
from badgeservice.credentials.jsonld import canonicalize
from badgeservice.credentials.multikey import KeyPair, encode_base58btc
from badgeservice.credentials.proofs import hash_data, sign, verify_proof
from tests.conftest import VECTORS, load_vector, read_vector

W3C = {
    "unsigned": "unsigned.json",
    "proof_config": "proofConfigDataInt.json",
    "canon_doc": "canonDocDataInt.txt",
    "canon_proof": "proofCanonDataInt.txt",
    "doc_hash": "docHashDataInt.txt",
    "proof_hash": "proofHashDataInt.txt",
    "combined": "combinedHashDataInt.txt",
    "sig_hex": "sigHexDataInt.txt",
    "sig_b58": "sigBTC58DataInt.txt",
    "signed": "signedDataInt.json",
}


def test_w3c_canonical_forms_and_hashes() -> None:
    unsigned = load_vector(W3C["unsigned"])
    config = load_vector(W3C["proof_config"])
    canon_doc = canonicalize(unsigned)
    canon_proof = canonicalize(config)
    assert canon_doc == read_vector(W3C["canon_doc"])
    assert canon_proof == read_vector(W3C["canon_proof"])
    assert hashlib.sha256(canon_doc.encode()).hexdigest() == read_vector(W3C["doc_hash"]).strip()
    assert (
        hashlib.sha256(canon_proof.encode()).hexdigest() == read_vector(W3C["proof_hash"]).strip()
    )
    assert hash_data(unsigned, config).hex() == read_vector(W3C["combined"]).strip()


def test_w3c_signature_and_signed_document() -> None:
    key = KeyPair.from_json(load_vector("keyPair.json"))
    config = load_vector(W3C["proof_config"])
    unsigned = load_vector(W3C["unsigned"])
    signature = key.sign(hash_data(unsigned, config))
    assert signature.hex() == read_vector(W3C["sig_hex"]).strip()
    assert encode_base58btc(signature) == read_vector(W3C["sig_b58"]).strip()
    signed = sign(unsigned, key, created=config["created"])
    assert signed == load_vector(W3C["signed"])
    assert verify_proof(signed).verified


def test_w3c_employ_vector_hashes_and_signature() -> None:
    # Its citizenship context is not pinned, so both canonical forms are taken as given;
    # the proof options equal the top-level vector's, so that canonical form is recomputed
    # from the top-level configuration, and every later step from the files.
    key = KeyPair.from_json(load_vector("keyPair.json"))
    canon_proof = canonicalize(load_vector(W3C["proof_config"]))
    assert canon_proof == read_vector("employ/proofCanonDataInt.txt")
    canon_doc = read_vector("employ/canonDocDataInt.txt")
    doc_hash = hashlib.sha256(canon_doc.encode()).hexdigest()
    assert doc_hash == read_vector("employ/docHashDataInt.txt").strip()
    combined = hashlib.sha256(canon_proof.encode()).digest() + bytes.fromhex(doc_hash)
    assert combined.hex() == read_vector("employ/combinedHashDataInt.txt").strip()
    signature = key.sign(combined)
    assert encode_base58btc(signature) == read_vector("employ/sigBTC58DataInt.txt").strip()
    assert load_vector("employ/signedDataInt.json")["proof"]["proofValue"] == encode_base58btc(
        signature
    )


def test_employ_vector_is_refused_without_its_context() -> None:
    from badgeservice.credentials.errors import UnknownContextError

    with pytest.raises(UnknownContextError, match="citizenship"):
        canonicalize(load_vector("employ/employmentAuth.json"))


@pytest.fixture
def ob_key() -> dict[str, str]:
    return load_vector("ob-v3p0/keyPair.json")  # type: ignore[no-any-return]


def test_ob_v3p0_vector(ob_key: dict[str, str]) -> None:
    unsigned = load_vector("ob-v3p0/unsigned.json")
    config = load_vector("ob-v3p0/proofConfig.json")
    values = load_vector("ob-v3p0/values.json")
    assert canonicalize(unsigned) == read_vector("ob-v3p0/document-canon.txt")
    assert canonicalize({**config, "@context": unsigned["@context"]}) == read_vector(
        "ob-v3p0/proof-canon.txt"
    )
    assert hash_data(unsigned, config).hex() == values["dataToSignHex"]
    # The guide's 64-byte secret key form (seed || public) is accepted.
    key = KeyPair.from_json(ob_key)
    assert key.public_key_multibase == ob_key["publicKeyMultibase"]
    signed = sign(
        unsigned, key, created=config["created"], verification_method=config["verificationMethod"]
    )
    assert signed["proof"]["proofValue"] == values["proofValue"]
    assert key.sign(bytes.fromhex(values["dataToSignHex"])).hex() == values["signatureHex"]
    assert signed == load_vector("ob-v3p0/signed.json")


def test_ob_v3p0_vector_verifies_against_its_controller_document(ob_key: dict[str, str]) -> None:
    controller = {
        "id": ob_key["controller"],
        "verificationMethod": [
            {
                "id": ob_key["verificationMethod"],
                "type": "Multikey",
                "controller": ob_key["controller"],
                "publicKeyMultibase": ob_key["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [ob_key["verificationMethod"]],
    }
    signed = load_vector("ob-v3p0/signed.json")
    check = verify_proof(signed, DocumentResolver([controller]))
    assert check.verified, check.errors
    assert check.controller == signed["issuer"]["id"]
    signed["credentialSubject"]["achievement"]["name"] = "Teamwork!"
    assert not verify_proof(signed, DocumentResolver([controller])).verified


def test_vendored_vectors_are_intact() -> None:
    """Every vendored file is listed in SHA256SUMS with its digest (the copies were checked
    byte for byte against their sources when vendored; see README.md and LICENSES.md)."""
    listed = {}
    for line in (VECTORS / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    ours = {
        str(p.relative_to(VECTORS))
        for p in VECTORS.rglob("*")
        if p.is_file() and p.name not in ("SHA256SUMS", "LICENSES.md")
    }
    assert ours == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((VECTORS / name).read_bytes()).hexdigest() == digest, name
