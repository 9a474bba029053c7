"""The compiled schema check against the full jsonschema validator: the same verdict.

:func:`~badgeservice.credentials.validation.validate_credential` accepts a credential on
the compiled validator's word alone, and asks the full draft 2019-09 validator (for its
messages) only when the compiled one refuses. So the compiled validator may never accept
what the full one refuses; it should not refuse what the full one accepts either, or valid
credentials lose the fast path. Generated documents start from valid credentials of every
shape the service issues (and the interop corpus) and are then mutated at random places:
values replaced by other JSON values (language maps, dates good and bad, numbers, nulls,
nested arrays and objects), keys removed or added, values wrapped in or taken out of
arrays, types and enumerations changed.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badgeservice.credentials import validation
from badgeservice.credentials.errors import SchemaValidationError
from benchmarks.credential_corpus import corpus
from tests.conftest import load_vector
from tests.interop.corpus import unsigned_credentials

# Thousands of examples in CI within about a minute; SCHEMA_EXAMPLES raises it locally.
settings.register_profile(
    "schema-differential",
    max_examples=int(os.environ.get("SCHEMA_EXAMPLES", "3000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DIFFERENTIAL = settings.get_profile("schema-differential")

ISSUER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
FILE = "ob_v3p0_achievementcredential_schema.json"
COMPILED = validation._compiled_validator(FILE)
FULL = validation._validator(FILE)


def _bases() -> list[dict[str, Any]]:
    documents = [doc for docs in corpus(ISSUER, 2).values() for doc in docs]
    documents += unsigned_credentials(ISSUER).values()
    documents.append(load_vector("ob-v3p0/unsigned.json"))
    return documents


BASES = _bases()  # the interop corpus holds a few invalid credentials too
VALID = [document for document in BASES if FULL.is_valid(validation.plain_json(document))]

texts = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", "en", "fi-FI", "en\n", "ext:Thing", "ext:", "Badge", "Achievement"]),
)
date_parts = st.tuples(
    st.sampled_from(["0000", "0001", "0999", "2024", "2026", "9999", "20x6", "\u0662026"]),
    st.sampled_from(["00", "01", "02", "04", "09", "11", "12", "13", "1"]),
    st.sampled_from(["00", "01", "28", "29", "30", "31", "32"]),
    st.sampled_from(["T", "t", " "]),
    st.sampled_from(["00", "09", "23", "24", "9"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["", ".1", ".123456", ".1234567", ".", ".x"]),
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "+23:59", "+24:00", "-23:60", "", "+0000"]),
)
generated_dates = date_parts.map(
    lambda p: f"{p[0]}-{p[1]}-{p[2]}{p[3]}{p[4]}:{p[5]}:{p[6]}{p[7]}{p[8]}"
)
dates = st.sampled_from(
    [
        "2026-11-28T09:00:00Z",
        "2026-11-28t09:00:00z",
        "2026-11-28T09:00:00.123+02:00",
        "2026-11-28T09:00:00",
        "2026-11-28",
        "2026-13-28T09:00:00Z",
        "2026-02-30T09:00:00Z",
        "2026-12-31T23:59:60Z",
        "2026-11-28 09:00:00Z",
        "\uff12\uff10\uff12\uff16-11-28T09:00:00Z",  # Python's \\d matches these digits
    ]
)
language_maps = st.dictionaries(
    st.sampled_from(["en", "fi", "sv-FI", "EN", "en-us", "x"]), st.text(max_size=4), max_size=3
)
type_values = st.sampled_from(
    [
        "Achievement",
        "AchievementSubject",
        "Profile",
        "IdentityObject",
        "Evidence",
        "Alignment",
        "Image",
        "Result",
        "ResultDescription",
        "BitstringStatusListEntry",
        "VerifiableCredential",
        "OpenBadgeCredential",
        "AchievementCredential",
    ]
)
leaves = st.one_of(
    texts,
    dates,
    type_values,
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    st.one_of(leaves, language_maps),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(texts, type_values, st.just("type")), inner, max_size=3),
    ),
    max_leaves=6,
)


def _places(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in the document."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        out.append((node, key))
        if isinstance(value, dict | list):
            _places(value, out)
    return out


def _mutate(document: dict[str, Any], data: st.DataObject) -> None:
    places = _places(document, [])
    container, key = data.draw(st.sampled_from(places))
    value = container[key]
    action = data.draw(
        st.sampled_from(["replace", "remove", "wrap", "unwrap", "add", "type", "copy"])
    )
    if action == "replace":
        container[key] = data.draw(values)
    elif action == "remove":
        del container[key]
    elif action == "wrap":
        container[key] = [value]
    elif action == "unwrap" and isinstance(value, list) and value:
        container[key] = value[0]
    elif action == "add" and isinstance(value, dict):
        value[data.draw(st.one_of(texts, st.sampled_from(["id", "type", "name"])))] = data.draw(
            values
        )
    elif action == "type" and isinstance(value, dict):
        value["type"] = data.draw(st.one_of(type_values, st.lists(type_values, max_size=3)))
    elif action == "copy":
        # Another place's value here: well-formed parts in the wrong position.
        other_container, other_key = data.draw(st.sampled_from(places))
        container[key] = copy.deepcopy(other_container[other_key])


def _refused_on_purpose(document: Any) -> bool:
    """Whether the document holds what the compiled validator refuses though ``jsonschema``
    accepts it: 29 February (its date patterns leave it to the full validator), or a string
    or key ending in a newline, which a pattern's ``$`` matches before in Python's ``re``
    but not in the compiled validator's regular expressions."""
    text = json.dumps(document)
    return "-02-29" in text or '\\n"' in text


def _accepted(document: Any) -> bool:
    try:
        validation.validate_credential(document)
    except SchemaValidationError:
        return False
    return True


@DIFFERENTIAL
@given(st.data())
def test_compiled_validator_gives_the_full_validators_verdict(data: st.DataObject) -> None:
    document = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(1, 4))):
        _mutate(document, data)
    expected = FULL.is_valid(validation.plain_json(document))
    if COMPILED.is_valid(document):
        assert expected, document  # never accepts what jsonschema refuses
    else:
        assert not expected or _refused_on_purpose(document), document
    subject = document.get("credentialSubject")
    if isinstance(subject, dict) and not (subject.get("id") or subject.get("identifier")):
        expected = False  # the spec rule the schema cannot express
    assert _accepted(document) == expected, document


@pytest.mark.parametrize("index", range(len(VALID)))
def test_every_valid_base_document_takes_the_compiled_path(index: int) -> None:
    """The compiled validator itself accepts the valid credentials (of every shape)."""
    assert len(VALID) >= 10
    document = VALID[index]
    assert COMPILED.is_valid(document)
    assert validation._nesting_validator().is_valid(document)


def test_the_compiled_validator_reads_dates_no_looser_than_the_full_one() -> None:
    """Dates the RFC 3339 grammar allows but Python's calendar refuses (a leap second)
    are refused alike; 29 February, which the patterns refuse, is accepted by the full
    validator after them."""
    document = copy.deepcopy(VALID[0])
    for value, valid in [
        ("2026-12-31T23:59:60Z", False),
        ("2026-02-30T09:00:00Z", False),
        ("2026-11-28t09:00:00z", True),
        ("2026-11-28T09:00:00", False),
        ("2024-02-29T09:00:00Z", True),
    ]:
        document["validFrom"] = value
        assert FULL.is_valid(document) is valid, value
        assert COMPILED.is_valid(document) is (valid and "-02-29" not in value), value
        assert _accepted(document) is valid, value


@DIFFERENTIAL
@given(
    st.sampled_from(["validFrom", "validUntil", "awardedDate"]),
    st.one_of(generated_dates, generated_dates.map(lambda text: text[:10])),
)
def test_dates_are_never_accepted_where_the_full_validator_refuses(field: str, value: str) -> None:
    """The compiled validator's date patterns are no looser than the date functions."""
    document = copy.deepcopy(VALID[0])
    document[field] = value
    expected = FULL.is_valid(validation.plain_json(document))
    if COMPILED.is_valid(document):
        assert expected, value
    assert _accepted(document) == expected, value


def test_deep_nesting_is_kept_from_the_compiled_validator() -> None:
    """A Profile nested through parentOrg deeper than the compiled validator may recurse
    is measured first, without crashing however deep, and left to the full validator
    (verification refuses such documents earlier, by its limits)."""
    document = copy.deepcopy(VALID[0])
    shallow = copy.deepcopy(document["issuer"])
    shallow["parentOrg"] = {"id": "https://example.org/parent", "type": "Profile"}
    document["issuer"] = shallow
    assert validation._nesting_validator().is_valid(document)
    assert _accepted(document)
    deep: dict[str, Any] = {"id": "https://example.org/0", "type": "Profile"}
    for level in range(validation._COMPILED_DEPTH):
        deep = {"id": f"https://example.org/{level}", "type": "Profile", "parentOrg": deep}
    document["issuer"] = deep
    assert not validation._nesting_validator().is_valid(document)
    far: list[Any] = []
    for _ in range(100_000):
        far = [far]
    assert not validation._nesting_validator().is_valid({"evidence": far})
