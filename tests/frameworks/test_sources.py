"""Framework sources: the shipped DigComp 2.2 data and 1EdTech CASE package import."""

from __future__ import annotations

import copy
import dataclasses
import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeservice.frameworks import sources
from badgeservice.frameworks.sources import (
    DIGCOMP_BASE_URI,
    MAX_CASE_ITEMS,
    CompetenceSource,
    FrameworkSource,
    FrameworkSourceError,
    load_digcomp22,
    parse_case_package,
)

ESCO = "http://data.europa.eu/esco/skill/"

# --- DigComp 2.2 ---------------------------------------------------------------------------

DIGCOMP_ORDER = [
    *("1", "1.1", "1.2", "1.3"),
    *("2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"),
    *("3", "3.1", "3.2", "3.3", "3.4"),
    *("4", "4.1", "4.2", "4.3", "4.4"),
    *("5", "5.1", "5.2", "5.3", "5.4"),
]


def test_digcomp_framework_metadata() -> None:
    framework = load_digcomp22()
    assert framework.slug == "digcomp-2.2"
    assert framework.source == "digcomp22"
    assert framework.version == "2.2"
    assert framework.name == "DigComp 2.2: The Digital Competence Framework for Citizens"
    assert framework.uri == DIGCOMP_BASE_URI
    assert "Joint Research Centre" in framework.publisher
    assert "21 competences" in framework.description
    assert "CC BY 4.0" in framework.description


def test_digcomp_areas_and_competences_in_tree_order() -> None:
    items = load_digcomp22().items
    assert [item.code for item in items] == DIGCOMP_ORDER
    assert sum(item.kind == "area" for item in items) == 5
    assert sum(item.kind == "competence" for item in items) == 21
    for item in items:
        if item.kind == "area":
            assert item.parent_code is None
            assert "." not in item.code
        else:
            assert item.parent_code == item.code.split(".")[0]


def test_digcomp_items_have_stable_unique_uris_and_titles() -> None:
    items = load_digcomp22().items
    assert load_digcomp22().item("2.4").uri == f"{DIGCOMP_BASE_URI}/2.4"
    assert len({item.uri for item in items}) == len(items)
    for item in items:
        assert item.uri == f"{DIGCOMP_BASE_URI}/{item.code}"
        assert item.titles["en"] == item.name
        assert item.titles["fi"]
        assert item.description
    assert load_digcomp22().item("3.1").name == "Developing digital content"
    assert load_digcomp22().item("4").titles["fi"] == "Turvallisuus"


def test_digcomp_esco_links() -> None:
    framework = load_digcomp22()
    assert framework.item("3.1").esco_uri == f"{ESCO}5fd5c985-eaaa-47aa-8314-62359c54505a"
    assert framework.item("4.2").esco_uri == f"{ESCO}33a82b83-c838-4889-ae62-fae1317481eb"
    assert framework.item("5.4").esco_uri == f"{ESCO}238343b1-7b51-42b3-a9ed-cf24d3a236e7"
    assert framework.item("2.5").esco_uri is None  # Netiquette has no ESCO concept
    competences = [item for item in framework.items if item.kind == "competence"]
    assert sum(item.esco_uri is not None for item in competences) == 20
    # Area-level ESCO concepts are close, not exact, matches: not carried as esco_uri.
    assert all(item.esco_uri is None for item in framework.items if item.kind == "area")


def test_digcomp_levels() -> None:
    levels = load_digcomp22().levels
    assert [level.level for level in levels] == list(range(1, 9))
    assert [level.band for level in levels] == [
        *["Foundation"] * 2,
        *["Intermediate"] * 2,
        *["Advanced"] * 2,
        *["Highly specialised"] * 2,
    ]
    assert levels[0].description.startswith("Complexity of tasks: Simple tasks.")
    assert "Cognitive domain: Creating." in levels[7].description


def test_digcomp_is_immutable_and_shared() -> None:
    framework = load_digcomp22()
    assert load_digcomp22() is framework
    with pytest.raises(dataclasses.FrozenInstanceError):
        framework.items[0].code = "9"  # type: ignore[misc]
    assert hash(framework.items[0])  # titles are left out of the hash
    assert dataclasses.asdict(framework.items[0])["titles"]["en"] == framework.items[0].name


def test_shipped_digcomp_file_keeps_its_provenance_notes() -> None:
    data = json.loads(
        resources.files("badgeservice.frameworks").joinpath("data", "digcomp22.json").read_text()
    )
    assert "paraphrase" in data["provenance_legend"]
    assert data["framework"]["esco_version_checked"] == "1.2.0"


def test_broken_digcomp_data_is_refused() -> None:
    data = json.loads(
        resources.files("badgeservice.frameworks").joinpath("data", "digcomp22.json").read_text()
    )
    del data["competences"][4]
    with pytest.raises(FrameworkSourceError) as caught:
        sources._digcomp_from_json(data)
    assert caught.value.path == "$"


# --- CASE: a realistic package -------------------------------------------------------------

DOC_ID = "9a3c1e52-6f0b-4d1e-9c7a-2b8f4e5d6a01"
BASE = "https://case.example.fi/uri/"


def _item(identifier: str, code: str | None, full: str, abbreviated: str | None = None) -> Any:
    item: dict[str, Any] = {
        "identifier": identifier,
        "uri": BASE + identifier,
        "fullStatement": full,
        "CFItemType": "Competency",
        "CFDocumentURI": {"title": "Safe digital work", "identifier": DOC_ID, "uri": BASE + DOC_ID},
        "lastChangeDateTime": "2025-01-15T10:00:00+00:00",
    }
    if code is not None:
        item["humanCodingScheme"] = code
    if abbreviated is not None:
        item["abbreviatedStatement"] = abbreviated
    return item


def _link(identifier: str, title: str = "") -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": BASE + identifier}


def _assoc(number: int, kind: str, origin: str, destination: Any, seq: int | None = None) -> Any:
    assoc: dict[str, Any] = {
        "identifier": f"5e0c1d7a-0000-4000-8000-{number:012d}",
        "uri": f"{BASE}5e0c1d7a-0000-4000-8000-{number:012d}",
        "associationType": kind,
        "originNodeURI": _link(origin),
        "destinationNodeURI": destination if isinstance(destination, dict) else _link(destination),
        "CFDocumentURI": _link(DOC_ID, "Safe digital work"),
        "lastChangeDateTime": "2025-01-15T10:00:00+00:00",
    }
    if seq is not None:
        assoc["sequenceNumber"] = seq
    return assoc


# Item identifiers: two areas (A, B) with three children each.
A = "1f6e2b1c-1111-4a00-8000-000000000001"
A1 = "1f6e2b1c-1111-4a00-8000-0000000000a1"
A2 = "1f6e2b1c-1111-4a00-8000-0000000000a2"
A3 = "1f6e2b1c-1111-4a00-8000-0000000000a3"
B = "1f6e2b1c-2222-4b00-8000-000000000002"
B1 = "1f6e2b1c-2222-4b00-8000-0000000000b1"
B2 = "1f6e2b1c-2222-4b00-8000-0000000000b2"
B3 = "1f6e2b1c-2222-4b00-8000-0000000000b3"

PACKAGE: dict[str, Any] = {
    "CFDocument": {
        "identifier": DOC_ID,
        "uri": BASE + DOC_ID,
        "creator": "Example Adult Education Centre",
        "title": "Safe digital work",
        "lastChangeDateTime": "2025-01-15T10:00:00+00:00",
        "publisher": "Example Adult Education Centre",
        "description": "Staff competences for working safely with digital tools.",
        "language": "en",
        "version": "1.0",
        "adoptionStatus": "Adopted",
        "CFPackageURI": _link(DOC_ID, "Safe digital work"),
    },
    "CFItems": [
        _item(B3, "S.10", "Report a suspected security incident through the agreed channel."),
        _item(A, "P", "Protecting devices and data at work", "Protecting devices and data"),
        _item(A1, "P.1", "Keep work devices updated and protected against malware.", "Devices"),
        _item(A2, "P.2", "Handle personal data according to the GDPR and local policy."),
        _item(A3, "P.3", "Make and test backups of important work files.", "Backups"),
        _item(B, "S", "Safe communication and collaboration"),
        _item(B1, "S.1", "Recognise phishing messages and act on them correctly."),
        _item(B2, "S.2", "Share files securely with colleagues and partners."),
    ],
    "CFAssociations": [
        _assoc(1, "isChildOf", A, _link(DOC_ID), 1),
        _assoc(2, "isChildOf", B, _link(DOC_ID), 2),
        _assoc(3, "isChildOf", A1, A, 1),
        _assoc(4, "isChildOf", A2, A, 2),
        _assoc(5, "isChildOf", A3, A, 3),
        _assoc(6, "isChildOf", B1, B),  # no sequenceNumber: after numbered siblings
        _assoc(7, "isChildOf", B2, B, 2),
        _assoc(8, "isChildOf", B3, B, 1),
        _assoc(9, "exactMatchOf", A1, {"uri": f"{ESCO}df329d70-87b0-466b-a214-3431f36e2a5e"}),
        _assoc(10, "exactMatchOf", A2, {"uri": f"{ESCO}33a82b83-c838-4889-ae62-fae1317481eb"}),
        _assoc(11, "exactMatchOf", B1, {"uri": "https://other.example/case/items/phishing"}),
        _assoc(12, "isRelatedTo", B2, {"uri": "https://elsewhere.example/x"}),
        _assoc(13, "isPeerOf", A3, B2),
    ],
    "CFDefinitions": {"CFItemTypes": [], "CFConcepts": [], "CFSubjects": [], "CFLicenses": []},
}


def package() -> dict[str, Any]:
    return copy.deepcopy(PACKAGE)


def test_case_package_document() -> None:
    framework = parse_case_package(package())
    assert isinstance(framework, FrameworkSource)
    assert framework.source == "case"
    assert framework.slug == DOC_ID
    assert framework.name == "Safe digital work"
    assert framework.uri == BASE + DOC_ID
    assert framework.version == "1.0"
    assert framework.publisher == "Example Adult Education Centre"
    assert framework.description.startswith("Staff competences")
    assert framework.levels == ()


def test_case_package_tree() -> None:
    framework = parse_case_package(package())
    # Parent before child; siblings by sequenceNumber (unnumbered last), then by code.
    assert [(item.code, item.parent_code) for item in framework.items] == [
        ("P", None),
        ("P.1", "P"),
        ("P.2", "P"),
        ("P.3", "P"),
        ("S", None),
        ("S.10", "S"),
        ("S.2", "S"),
        ("S.1", "S"),
    ]
    devices = framework.item("P.1")
    assert devices == CompetenceSource(
        code="P.1",
        name="Devices",
        description="Keep work devices updated and protected against malware.",
        uri=BASE + A1,
        esco_uri=f"{ESCO}df329d70-87b0-466b-a214-3431f36e2a5e",
        parent_code="P",
        kind="item",
        titles={"en": "Devices"},
    )
    assert framework.item("P.2").name == framework.item("P.2").description  # no abbreviation
    assert framework.item("P.2").esco_uri == f"{ESCO}33a82b83-c838-4889-ae62-fae1317481eb"
    assert framework.item("S.1").esco_uri is None  # exactMatchOf outside ESCO is not kept
    assert {item.kind for item in framework.items} == {"item"}


def test_case_minimal_package_and_code_fallbacks() -> None:
    framework = parse_case_package(
        {
            "CFDocument": {"identifier": "Doc 1", "uri": "urn:doc:1", "title": " Tiny "},
            "CFItems": [
                {
                    "identifier": "x-2",
                    "uri": "urn:x:2",
                    "fullStatement": "Second",
                    "language": "fi",
                },
                {"identifier": "x-10", "uri": "urn:x:10", "fullStatement": "Tenth"},
                {"identifier": "x-1", "uri": "urn:x:1", "fullStatement": "First"},
            ],
        }
    )
    assert framework.slug == "doc-1"
    assert framework.name == "Tiny"
    assert (framework.version, framework.publisher, framework.description) == ("", "", "")
    # No associations: every item is a root; codes fall back to identifiers, natural order.
    assert [item.code for item in framework.items] == ["x-1", "x-2", "x-10"]
    assert framework.item("x-2").titles == {"fi": "Second"}
    assert framework.item("x-1").titles == {}


def test_case_long_names_are_clipped() -> None:
    data = package()
    data["CFItems"][3]["fullStatement"] = "word " * 400
    item = parse_case_package(data).item("P.2")
    assert len(item.name) == 1000
    assert item.name.endswith("…")
    assert item.description == ("word " * 400).strip()


def test_case_deep_chain_does_not_recurse() -> None:
    count = 20_000
    items = [
        {"identifier": f"i{n}", "uri": f"urn:i:{n}", "fullStatement": "x"} for n in range(count)
    ]
    assocs = [
        {
            "associationType": "isChildOf",
            "originNodeURI": {"identifier": f"i{n}"},
            "destinationNodeURI": {"identifier": f"i{n - 1}"},
        }
        for n in range(1, count)
    ]
    document = {"identifier": "d", "uri": "urn:d", "title": "Deep"}
    framework = parse_case_package(
        {"CFDocument": document, "CFItems": items, "CFAssociations": assocs}
    )
    assert [item.code for item in framework.items] == [f"i{n}" for n in range(count)]


# --- CASE: errors name their place ---------------------------------------------------------


_DELETE = object()


def _case(where: tuple[Any, ...], value: Any, path: str, fragment: str, id: str) -> Any:
    """An error case: put ``value`` at ``where`` (or delete it); expect ``path`` and text."""
    return pytest.param(where, value, path, fragment, id=id)


ERROR_CASES = [
    _case(("CFDocument",), _DELETE, "$.CFDocument", "required", "no document"),
    _case(("CFDocument",), [], "$.CFDocument", "object", "document not object"),
    _case(("CFDocument", "identifier"), _DELETE, "$.CFDocument.identifier", "", "doc id"),
    _case(("CFDocument", "title"), "  ", "$.CFDocument.title", "empty", "doc title"),
    _case(("CFDocument", "uri"), 7, "$.CFDocument.uri", "string", "doc uri"),
    _case(("CFDocument", "version"), "v" * 51, "$.CFDocument.version", "50", "long version"),
    _case(("CFDefinitions",), "x", "$.CFDefinitions", "object", "definitions"),
    _case(("CFItems",), {}, "$.CFItems", "array", "items not array"),
    _case(("CFItems", 3), "P.2", "$.CFItems[3]", "object", "item not object"),
    _case(
        ("CFItems", 3, "fullStatement"),
        _DELETE,
        "$.CFItems[3].fullStatement",
        "required",
        "statement",
    ),
    _case(("CFItems", 2, "identifier"), None, "$.CFItems[2].identifier", "required", "identifier"),
    _case(("CFItems", 5, "uri"), _DELETE, "$.CFItems[5].uri", "required", "item uri"),
    _case(
        ("CFItems", 5, "humanCodingScheme"),
        5,
        "$.CFItems[5].humanCodingScheme",
        "string",
        "code type",
    ),
    _case(
        ("CFItems", 5, "humanCodingScheme"),
        "9" * 101,
        "$.CFItems[5].humanCodingScheme",
        "100",
        "long code",
    ),
    _case(
        ("CFItems", 4, "humanCodingScheme"),
        "P.1",
        "$.CFItems[4].humanCodingScheme",
        "'P.1'",
        "dup code",
    ),
    _case(
        ("CFItems", 4, "identifier"), A1, "$.CFItems[4].identifier", "duplicate", "dup identifier"
    ),
    _case(
        ("CFItems", 4, "identifier"),
        DOC_ID,
        "$.CFItems[4].identifier",
        "duplicate",
        "doc identifier",
    ),
    _case(("CFItems", 6, "uri"), BASE + A, "$.CFItems[6].uri", "duplicate", "dup uri"),
    _case(("CFAssociations",), "x", "$.CFAssociations", "array", "assocs not array"),
    _case(("CFAssociations", 4), 1, "$.CFAssociations[4]", "object", "assoc not object"),
    _case(
        ("CFAssociations", 4, "associationType"),
        _DELETE,
        "$.CFAssociations[4].associationType",
        "",
        "no type",
    ),
    _case(
        ("CFAssociations", 2, "originNodeURI"),
        _DELETE,
        "$.CFAssociations[2].originNodeURI",
        "required",
        "no origin",
    ),
    _case(
        ("CFAssociations", 2, "destinationNodeURI"),
        {"title": "P"},
        "$.CFAssociations[2].destinationNodeURI",
        "identifier or a uri",
        "empty link",
    ),
    _case(
        ("CFAssociations", 3, "originNodeURI"),
        _link("nope"),
        "$.CFAssociations[3].originNodeURI.identifier",
        "'nope'",
        "unknown child",
    ),
    _case(
        ("CFAssociations", 3, "destinationNodeURI"),
        {"uri": "urn:gone"},
        "$.CFAssociations[3].destinationNodeURI.uri",
        "'urn:gone'",
        "unknown parent",
    ),
    _case(
        ("CFAssociations", 8, "originNodeURI"),
        _link("nope"),
        "$.CFAssociations[8].originNodeURI.identifier",
        "item",
        "unknown match origin",
    ),
    _case(
        ("CFAssociations", 3, "sequenceNumber"),
        "1",
        "$.CFAssociations[3].sequenceNumber",
        "integer",
        "text sequence",
    ),
    _case(
        ("CFAssociations", 3, "sequenceNumber"),
        True,
        "$.CFAssociations[3].sequenceNumber",
        "integer",
        "bool sequence",
    ),
    _case(
        ("CFAssociations", 2, "destinationNodeURI"),
        _link(A1),
        "$.CFAssociations[2]",
        "P.1 → P.1",
        "self parent",
    ),
    _case(
        ("CFAssociations", 0, "destinationNodeURI"),
        _link(A3),
        "$.CFAssociations[0]",
        "cycle",
        "cycle",
    ),
    _case(
        ("CFAssociations", 13),
        _assoc(99, "isChildOf", A1, B),
        "$.CFAssociations[13]",
        "second parent",
        "two parents",
    ),
    _case(
        ("CFAssociations", 13),
        _assoc(99, "exactMatchOf", A1, {"uri": ESCO + "x"}),
        "$.CFAssociations[13].destinationNodeURI.uri",
        "already matches",
        "two ESCO matches",
    ),
]


@pytest.mark.parametrize(("where", "value", "path", "fragment"), ERROR_CASES)
def test_case_errors_name_their_path(
    where: tuple[Any, ...], value: Any, path: str, fragment: str
) -> None:
    data = package()
    target: Any = data
    for key in where[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[where[-1]]
    elif isinstance(target, list) and where[-1] == len(target):
        target.append(value)
    else:
        target[where[-1]] = value
    with pytest.raises(FrameworkSourceError) as caught:
        parse_case_package(data)
    assert caught.value.path == path
    assert fragment in caught.value.message
    assert str(caught.value) == f"{path}: {caught.value.message}"


def test_case_cycle_reports_its_members() -> None:
    data = package()
    # P becomes a child of P.3, which is a child of P: P → P.3 → P.
    data["CFAssociations"][0]["destinationNodeURI"] = _link(A3)
    with pytest.raises(FrameworkSourceError, match=r"isChildOf cycle: P → P\.3 → P"):
        parse_case_package(data)


def test_case_identifier_used_as_code_must_fit() -> None:
    data = package()
    del data["CFItems"][5]["humanCodingScheme"]
    data["CFItems"][5]["identifier"] = "x" * 101
    with pytest.raises(FrameworkSourceError) as caught:
        parse_case_package(data)
    assert caught.value.path == "$.CFItems[5].identifier"


def test_case_not_an_object() -> None:
    with pytest.raises(FrameworkSourceError) as caught:
        parse_case_package([])  # type: ignore[arg-type]
    assert caught.value.path == "$"


def test_case_size_cap() -> None:
    data = package()
    data["CFItems"] = [{}] * (MAX_CASE_ITEMS + 1)
    with pytest.raises(FrameworkSourceError) as caught:
        parse_case_package(data)
    assert caught.value.path == "$.CFItems"
    assert str(MAX_CASE_ITEMS) in caught.value.message


# --- CASE: order of the input does not matter ----------------------------------------------

EXPECTED = parse_case_package(PACKAGE)


@given(
    items=st.permutations(PACKAGE["CFItems"]),
    associations=st.permutations(PACKAGE["CFAssociations"]),
)
def test_case_shuffled_package_gives_the_same_framework(
    items: list[Any], associations: list[Any]
) -> None:
    data = {**PACKAGE, "CFItems": items, "CFAssociations": associations}
    assert parse_case_package(data) == EXPECTED


@st.composite
def forests(draw: st.DrawFn) -> tuple[dict[str, Any], list[int | None]]:
    """A random forest as a CASE package: item n's parent is an earlier item or the document."""
    count = draw(st.integers(min_value=1, max_value=25))
    parents: list[int | None] = [None]
    parents += [draw(st.none() | st.integers(0, n - 1)) for n in range(1, count)]
    items, associations = [], []
    for n, parent in enumerate(parents):
        # Codes: none (the identifier is used), plain, or dotted; unique per item either way.
        code = draw(st.sampled_from(["", f"c{n}", f"{n}.{n % 3}"]))
        items.append({"identifier": f"id{n}", "uri": f"urn:item:{n}", "fullStatement": f"Item {n}"})
        items[-1]["humanCodingScheme"] = code
        if parent is None and draw(st.booleans()):
            continue  # a root may also have no isChildOf association at all
        association: dict[str, Any] = {
            "associationType": "isChildOf",
            "originNodeURI": {"identifier": f"id{n}"},
            "destinationNodeURI": {"identifier": "doc" if parent is None else f"id{parent}"},
        }
        sequence = draw(st.none() | st.integers(-3, 3))
        if sequence is not None:
            association["sequenceNumber"] = sequence
        associations.append(association)
    document = {"identifier": "doc", "uri": "urn:doc", "title": "Random"}
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}, parents


@settings(max_examples=200)
@given(forest=forests(), data=st.data())
def test_case_random_forests_are_order_independent(
    forest: tuple[dict[str, Any], list[int | None]], data: st.DataObject
) -> None:
    package_, parents = forest
    expected = parse_case_package(package_)
    shuffled = {
        **package_,
        "CFItems": data.draw(st.permutations(package_["CFItems"])),
        "CFAssociations": data.draw(st.permutations(package_["CFAssociations"])),
    }
    assert parse_case_package(shuffled) == expected
    # Every parent comes before its children, and the tree is the one that was drawn.
    code_of = {f"urn:item:{n}": item.code for n, item in enumerate(_by_uri(expected))}
    position = {item.code: index for index, item in enumerate(expected.items)}
    for n, parent in enumerate(parents):
        item = expected.item(code_of[f"urn:item:{n}"])
        if parent is None:
            assert item.parent_code is None
        else:
            assert item.parent_code == code_of[f"urn:item:{parent}"]
            assert position[item.parent_code] < position[item.code]


def _by_uri(framework: FrameworkSource) -> list[CompetenceSource]:
    return sorted(framework.items, key=lambda item: int(item.uri.rsplit(":", 1)[1]))
