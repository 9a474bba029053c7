"""The fast path against full expansion: byte-identical canonical N-Quads, or a fallback.

Generated credentials mix what issued credentials hold (OB 3.0 types and the terms their
contexts define, nested nodes, arrays, repeated ids, unicode text — astral characters,
U+E000..U+FFFF, controls, NFD — integers, booleans, typed and language-tagged values) with
what they should not (unknown terms, nulls, floats, relative and blank-node ids, compact
IRIs, empty nodes and arrays). For every document the processor with the fast path must
give exactly what the processor without it gives: the same canonical forms in both orders,
or the same refusal. The fast path may fall back; it may never differ.
"""

from __future__ import annotations

import copy
import os
import unicodedata
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badgeservice.credentials.contexts import (
    CONTEXT_STORE,
    OB_V3P0,
    OB_V3P0_EXTENSIONS,
    VC_V2,
)
from badgeservice.credentials.errors import CredentialError
from badgeservice.credentials.jsonld import JsonLdProcessor

# Thousands of examples in CI within about a minute; FASTPATH_EXAMPLES raises it locally.
settings.register_profile(
    "fastpath-differential",
    max_examples=int(os.environ.get("FASTPATH_EXAMPLES", "2500")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DIFFERENTIAL = settings.get_profile("fastpath-differential")

FAST = JsonLdProcessor()
REFERENCE = JsonLdProcessor(fast=False)

_OB = CONTEXT_STORE.document(OB_V3P0)["@context"]
# Each OB 3.0 type with a scoped context, and the terms that context defines.
TYPE_TERMS: dict[str, list[str]] = {
    name: [term for term in value["@context"] if not term.startswith("@")]
    for name, value in _OB.items()
    if isinstance(value, dict) and isinstance(value.get("@context"), dict)
}
SHARED_TERMS = ["name", "description", "url", "image", "narrative", "id", "type"]
CREDENTIAL_TERMS = ["issuer", "validFrom", "validUntil", "credentialSubject", "evidence"]
UNKNOWN_TERMS = ["fooBar", "http://example.org/p", "ex:p", "@foo", "@index", "@reverse"]

texts = st.one_of(
    st.text(max_size=12),
    st.text(
        alphabet=st.characters(
            codec="utf-8", min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=["Cs"]
        ),
        max_size=6,
    ),
    st.sampled_from(["Åbo ämne", "\U0001f393\ue000", "\ufffd\U00010000", "\b\f\x7f\x00"]),
    st.text(max_size=8).map(lambda s: unicodedata.normalize("NFD", s + "é")),
)
iris = st.one_of(
    st.sampled_from(
        [
            "https://example.org/a",
            "https://example.org/a",  # repeated on purpose
            "urn:uuid:00000000-0000-4000-8000-000000000001",
            "did:key:z6MkExample",
            "mailto:someone@example.org",
        ]
    ),
    st.integers(0, 3).map(lambda n: f"https://example.org/n/{n}"),
)
bad_ids = st.sampled_from(["_:b0", "_:b1", "relative/path", "", "ex:thing", "http://a b", "id"])
datetimes = st.sampled_from(["2026-11-28T09:00:00Z", "2026-11-28", "not a date"])
value_objects = st.one_of(
    st.builds(
        lambda v, lang: {"@value": v, "@language": lang},
        texts,
        st.sampled_from(["fi", "sv-FI", "EN", "x_bad", "", "de-1996"]),
    ),
    st.builds(
        lambda v, t: {"@value": v, "@type": t},
        st.one_of(texts, st.integers(), st.booleans()),
        st.sampled_from(
            [
                "http://www.w3.org/2001/XMLSchema#string",
                "http://www.w3.org/2001/XMLSchema#integer",
                "http://www.w3.org/2001/XMLSchema#double",
                "https://example.org/datatype",
                "xsd:string",
            ]
        ),
    ),
    st.builds(lambda v: {"@value": v}, st.one_of(texts, st.integers(), st.booleans(), st.none())),
)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` nine times in ten, else ``bad``: most documents stay on the fast path."""
    return st.integers(0, 9).flatmap(lambda n: bad if n == 0 else good)


scalars = mostly(
    st.one_of(texts, iris, datetimes, st.integers(-5, 10**6), st.booleans()),
    st.one_of(
        st.integers(-(10**22), 10**22),
        st.floats(allow_nan=False, allow_infinity=False),
        st.none(),
        bad_ids,
    ),
)


@st.composite
def nodes(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    node: dict[str, Any] = {}
    type_name = draw(mostly(st.sampled_from(list(TYPE_TERMS)), st.just("Undefined")))
    if draw(st.integers(0, 9)) > 0:
        node["type"] = draw(
            mostly(
                st.sampled_from([type_name, [type_name], [type_name, "Profile"]]),
                st.sampled_from([[], 5, [type_name, type_name], "Criteria"]),
            )
        )
    if draw(st.booleans()):
        node["id"] = draw(mostly(iris, bad_ids))
    terms = TYPE_TERMS.get(type_name, []) + SHARED_TERMS
    if draw(st.integers(0, 59)) == 0:
        terms = terms + UNKNOWN_TERMS
    for term in draw(st.lists(st.sampled_from(terms), max_size=5, unique=True)):
        if term not in node:
            node[term] = draw(values(depth + 1))
    return node


def values(depth: int) -> st.SearchStrategy[Any]:
    leaves = st.one_of(scalars, scalars, scalars, value_objects)
    if depth >= 3:
        return st.one_of(leaves, st.lists(leaves, max_size=3))
    nested = nodes(depth)
    return st.one_of(
        leaves,
        nested,
        st.lists(st.one_of(leaves, nested), max_size=3),
        st.builds(lambda i: {"id": i}, iris),
    )


@st.composite
def credentials(draw: st.DrawFn) -> dict[str, Any]:
    context = draw(
        mostly(
            st.sampled_from([[VC_V2, OB_V3P0], [VC_V2, OB_V3P0, OB_V3P0_EXTENSIONS]]),
            st.sampled_from([VC_V2, [VC_V2, {"ex": "https://example.org/"}], [OB_V3P0]]),
        )
    )
    document: dict[str, Any] = {
        "@context": context,
        "type": draw(
            st.sampled_from(
                [
                    ["VerifiableCredential", "OpenBadgeCredential"],
                    ["VerifiableCredential", "AchievementCredential"],
                    ["VerifiableCredential"],
                    "VerifiableCredential",
                ]
            )
        ),
    }
    if draw(st.booleans()):
        document["id"] = draw(mostly(iris, bad_ids))
    for term in draw(st.lists(st.sampled_from([*CREDENTIAL_TERMS, "name"]), unique=True)):
        if term == "credentialSubject":
            document[term] = draw(st.one_of(nodes(1), st.lists(nodes(1), max_size=2)))
        elif term == "issuer":
            document[term] = draw(st.one_of(iris, nodes(1)))
        elif term in ("validFrom", "validUntil"):
            document[term] = draw(st.one_of(datetimes, scalars))
        else:
            document[term] = draw(values(1))
    if draw(st.integers(0, 19)) == 0:
        document[draw(st.sampled_from(UNKNOWN_TERMS))] = draw(scalars)
    return document


def outcome(processor: JsonLdProcessor, document: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("canonical", processor.canonicalize_both(copy.deepcopy(document)))
    except CredentialError as exc:
        return ("refused", type(exc).__name__, str(exc))


@DIFFERENTIAL
@given(credentials())
def test_fast_path_equals_full_expansion_or_falls_back(document: dict[str, Any]) -> None:
    assert outcome(FAST, document) == outcome(REFERENCE, document)


configs = st.fixed_dictionaries(
    {
        "@context": st.sampled_from([[VC_V2, OB_V3P0, OB_V3P0_EXTENSIONS], [VC_V2]]),
        "type": mostly(st.just("DataIntegrityProof"), st.sampled_from(["Proof", ["X"]])),
        "cryptosuite": mostly(st.just("eddsa-rdfc-2022"), scalars),
        "created": mostly(datetimes, scalars),
        "verificationMethod": mostly(iris, bad_ids),
        "proofPurpose": st.one_of(
            st.sampled_from(["assertionMethod", "authentication", "capabilityDelegation"]),
            iris,
            bad_ids,
        ),
    }
)


@settings(DIFFERENTIAL, max_examples=max(DIFFERENTIAL.max_examples // 6, 50))
@given(configs)
def test_proof_configurations_too(config: dict[str, Any]) -> None:
    assert outcome(FAST, config) == outcome(REFERENCE, config)
