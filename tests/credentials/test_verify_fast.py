"""The fast parts of a whole verification: the same report as without them, and a status
list cache that never lets a changed list, a withdrawn key or an expired list through.

The reference for each report is the same verification with every fast part turned off:
full JSON-LD expansion (``JsonLdProcessor(fast=False)``, a new one each time, so no status
list proof is remembered) and the full jsonschema validator alone (the compiled one made
to refuse, which hands every document to the full one). Both run on real signatures.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest

from badgeservice.credentials import validation
from badgeservice.credentials.did import did_web_document
from badgeservice.credentials.errors import CredentialError
from badgeservice.credentials.jsonld import JsonLdProcessor
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import sign
from badgeservice.credentials.statuslist import StatusList, status_list_credential
from badgeservice.credentials.verify import VerificationReport, verify_credential
from benchmarks.credential_corpus import ISSUED, SITE, corpus

KEY = KeyPair.generate()
OTHER = KeyPair.generate()
NOW = ISSUED + timedelta(days=1)
LIST_URL = f"{SITE}/status/1"
CREATED = "2026-11-28T09:00:00Z"
SHAPES = corpus(KEY.did_key, 2)


def _list(revoked: Iterable[int] = (), **kwargs: Any) -> dict[str, Any]:
    bits = StatusList()
    for index in revoked:
        bits.set(index, 1)
    kwargs.setdefault("valid_from", ISSUED)
    return status_list_credential(LIST_URL, KEY.did_key, bits, **kwargs)


SIGNED_LIST = sign(_list(), KEY, created=CREATED)


class _Refusing:
    """Stands in for the compiled validator: refuses everything, so the full validator
    alone decides (as before the compiled one was used)."""

    def is_valid(self, document: object) -> bool:
        return False


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch) -> Callable[..., VerificationReport]:
    """``verify_credential`` with every fast part off."""

    def verify(document: Any, **kwargs: Any) -> VerificationReport:
        with monkeypatch.context() as patch:
            patch.setattr(validation, "_compiled_validator", lambda filename: _Refusing())
            return verify_credential(document, processor=JsonLdProcessor(fast=False), **kwargs)

    return verify


def _mutated(document: dict[str, Any], mutate: Callable[[dict[str, Any]], object]) -> Any:
    document = copy.deepcopy(document)
    mutate(document)
    return document


def _cases() -> list[tuple[str, Any, dict[str, Any]]]:
    """(name, document, keyword arguments) for valid and failing verifications."""
    lists = {LIST_URL: SIGNED_LIST}
    cases: list[tuple[str, Any, dict[str, Any]]] = []
    for shape, documents in SHAPES.items():
        for document in documents:
            signed = sign(document, KEY, created=CREATED)
            cases.append((shape, signed, {"status_lists": lists}))
    status = sign(SHAPES["results + status"][0], KEY, created=CREATED)
    index = int(status["credentialStatus"]["statusListIndex"])
    unsigned = SHAPES["minimal"][0]
    plain = sign(unsigned, KEY, created=CREATED)
    ending = sign(SHAPES["aligned + evidence"][0], KEY, created=CREATED)  # has validUntil
    revoked = {LIST_URL: sign(_list({index}), KEY, created=CREATED)}
    expired = {LIST_URL: sign(_list(valid_until=ISSUED + timedelta(hours=1)), KEY)}
    tampered = {LIST_URL: {**SIGNED_LIST, "validFrom": "2026-11-27T09:00:00Z"}}
    foreign = {LIST_URL: sign(_list(), OTHER, created=CREATED)}
    cases += [
        ("revoked", status, {"status_lists": revoked}),
        ("expired list", status, {"status_lists": expired}),
        ("tampered list", status, {"status_lists": tampered}),
        ("list by another key", status, {"status_lists": foreign}),
        ("no list", status, {}),
        ("status not checked", status, {"check_status": False}),
        ("altered", _mutated(plain, lambda d: d.__setitem__("name", "Other")), {}),
        ("other key", sign(SHAPES["minimal"][1], OTHER, created=CREATED), {}),
        ("expired", ending, {"now": ISSUED + timedelta(days=36500)}),
        ("not yet valid", plain, {"now": ISSUED - timedelta(days=1)}),
        ("no validFrom", sign(_mutated(unsigned, lambda d: d.pop("validFrom")), KEY), {}),
        (
            "no criteria",
            sign(
                _mutated(unsigned, lambda d: d["credentialSubject"]["achievement"].pop("criteria")),
                KEY,
            ),
            {},
        ),
        (
            "bad achievement type",
            sign(
                _mutated(
                    unsigned,
                    lambda d: d["credentialSubject"]["achievement"].__setitem__(
                        "achievementType", "Trophy"
                    ),
                ),
                KEY,
            ),
            {},
        ),
        (
            "no subject id",
            sign(
                _mutated(unsigned, lambda d: d["credentialSubject"].pop("identifier")),
                KEY,
            ),
            {},
        ),
    ]
    return cases


CASES = _cases()


@pytest.mark.parametrize(("name", "document", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_report_equals_the_report_without_the_fast_parts(
    name: str,
    document: Any,
    kwargs: dict[str, Any],
    reference: Callable[..., VerificationReport],
) -> None:
    kwargs = {"now": NOW, **kwargs}
    expected = reference(document, **kwargs).to_json()
    for _ in range(2):  # the second time from the status list cache
        assert verify_credential(document, **kwargs).to_json() == expected, name
    assert expected["verified"] is (name in SHAPES or name == "status not checked"), expected


def test_unusable_input_raises_the_same_error(
    reference: Callable[..., VerificationReport],
) -> None:
    """A context no one knows makes the document unusable: the same refusal."""
    document = sign(SHAPES["minimal"][0], KEY, created=CREATED)
    document["@context"] = [*document["@context"], "https://example.org/unknown-context"]
    with pytest.raises(CredentialError) as expected:
        reference(document, now=NOW)
    with pytest.raises(CredentialError) as raised:
        verify_credential(document, now=NOW)
    assert (type(raised.value), str(raised.value)) == (type(expected.value), str(expected.value))


def test_the_cases_fail_where_they_should(reference: Callable[..., VerificationReport]) -> None:
    """The comparison above means something: the failing cases fail in the check meant."""
    failing = {name: reference(doc, **{"now": NOW, **kw}) for name, doc, kw in CASES}
    assert "revoked" in failing["revoked"].to_json()["errors"][0]
    assert "does not verify" in failing["tampered list"].errors[0]
    assert "expired" in failing["expired list"].errors[0]
    assert failing["expired"].errors[0].startswith("validity: expired")
    assert failing["no criteria"].errors[0].startswith("schema: $.credentialSubject")
    assert failing["no subject id"].errors == [
        "schema: $.credentialSubject: either 'id' or at least one 'identifier' is required"
    ]


def _status_credential() -> dict[str, Any]:
    return sign(SHAPES["results + status"][1], KEY, created=CREATED)


def _status(report: VerificationReport) -> str:
    [check] = [c for c in report.checks if c.name == "status"]
    return f"{check.outcome}: {check.message}"


def test_a_list_changed_in_place_after_it_verified_does_not_verify() -> None:
    """The very object that verified, revoked in place without a new signature."""
    credential = _status_credential()
    index = int(credential["credentialStatus"]["statusListIndex"])
    status_list = copy.deepcopy(SIGNED_LIST)
    lists = {LIST_URL: status_list}
    assert verify_credential(credential, status_lists=lists, now=NOW).verified
    assert verify_credential(credential, status_lists=lists, now=NOW).verified
    bits = StatusList()
    bits.set(index, 1)
    status_list["credentialSubject"]["encodedList"] = bits.encode()
    report = verify_credential(credential, status_lists=lists, now=NOW)
    assert not report.verified
    assert "does not verify" in _status(report)
    assert "signature does not match" in _status(report)


def test_a_list_with_a_tuple_for_a_list_is_not_taken_for_the_one_that_verified() -> None:
    credential = _status_credential()
    assert verify_credential(credential, status_lists={LIST_URL: SIGNED_LIST}, now=NOW).verified
    as_tuple = {**SIGNED_LIST, "@context": tuple(SIGNED_LIST["@context"])}
    expected = verify_credential(
        credential, status_lists={LIST_URL: as_tuple}, now=NOW, processor=JsonLdProcessor()
    )
    report = verify_credential(credential, status_lists={LIST_URL: as_tuple}, now=NOW)
    assert report.to_json() == expected.to_json()


def test_a_remembered_list_past_its_validity_fails() -> None:
    """The proof is remembered; the list's validity window is checked on every use."""
    credential = _status_credential()
    lists = {LIST_URL: sign(_list(valid_until=ISSUED + timedelta(days=2)), KEY)}
    assert verify_credential(credential, status_lists=lists, now=NOW).verified
    later = verify_credential(credential, status_lists=lists, now=NOW + timedelta(days=2))
    assert not later.verified
    assert "expired" in _status(later)


def test_a_remembered_list_whose_key_was_withdrawn_fails() -> None:
    """The list verified by a did:web key; the controller then withdraws the key from
    assertionMethod, and the same list no longer verifies."""
    did = "did:web:badges.example.org"
    vm = f"{did}#key-1"
    listed = did_web_document(did, [("key-1", KEY.public_key_multibase)])
    withdrawn = did_web_document(did, [("key-1", KEY.public_key_multibase)], assertion_keys=[])
    unsigned = {**_list(), "issuer": did}
    status_list = sign(unsigned, KEY, created=CREATED, verification_method=vm)
    credential = _status_credential()
    lists = {LIST_URL: status_list}
    assert verify_credential(credential, status_lists=lists, documents=[listed], now=NOW).verified
    report = verify_credential(credential, status_lists=lists, documents=[withdrawn], now=NOW)
    assert not report.verified
    assert "not authorised for assertionMethod" in _status(report)


def test_a_shared_list_is_verified_once() -> None:
    """Counted on a processor of its own: the second credential's verification
    canonicalizes only its own document, not the list again."""
    processor = JsonLdProcessor()
    counts = processor.fast_path
    assert counts is not None
    lists = {LIST_URL: copy.deepcopy(SIGNED_LIST)}
    first, second = (sign(d, KEY, created=CREATED) for d in SHAPES["results + status"])

    def canonicalized() -> int:
        return counts.fast + counts.fallback

    verify_credential(first, status_lists=lists, now=NOW, processor=processor)
    before = canonicalized()
    assert verify_credential(second, status_lists=lists, now=NOW, processor=processor).verified
    after_second = canonicalized()
    third = sign(SHAPES["minimal"][0], KEY, created=CREATED)
    assert verify_credential(third, now=NOW, processor=processor).verified
    assert after_second - before == canonicalized() - after_second


def test_a_proof_nested_deeper_than_the_limits_takes_the_measured_path(
    reference: Callable[..., VerificationReport],
) -> None:
    """Verification knows how deep a document nests from its limits check, which does not
    cover the proof: a proof that is not flat is measured before the compiled schema
    check, and the report is the one without the fast parts."""
    document = sign(SHAPES["minimal"][0], KEY, created=CREATED)
    deep: list[Any] = []
    for _ in range(300):
        deep = [deep]
    document["proof"] = {**document["proof"], "type": "Unknown", "extra": deep}
    expected = reference(document, now=NOW).to_json()
    assert verify_credential(document, now=NOW).to_json() == expected
    assert expected["errors"] == [
        "proof: unsupported proof: type 'Unknown', cryptosuite 'eddsa-rdfc-2022' "
        "(expected DataIntegrityProof / eddsa-rdfc-2022)"
    ]
