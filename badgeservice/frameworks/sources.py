"""Framework sources: the shipped DigComp 2.2 data and imported 1EdTech CASE packages.

Both are read into the same plain, immutable shape (:class:`FrameworkSource` holding
:class:`CompetenceSource` items in tree order: a parent always comes before its children,
siblings by sequence number, then by code in natural order). Nothing here touches a
database; every malformed input is reported as a :class:`FrameworkSourceError` that names
the offending place with a JSON path such as ``$.CFItems[3].fullStatement``.

CASE reference: 1EdTech CASE 1.0/1.1 ``CFPackage`` (``CFDocument``, ``CFItems``,
``CFAssociations``, ``CFDefinitions``); hierarchy is ``isChildOf`` with origin = child and
destination = parent item or the document.
"""

# Size: two readers (DigComp 2.2 and 1EdTech CASE) into one shape, sharing the readers
# that name the JSON path of a malformed value and the tree ordering.

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any, Literal

__all__ = [
    "DIGCOMP_BASE_URI",
    "ESCO_PREFIX",
    "MAX_CASE_ASSOCIATIONS",
    "MAX_CASE_ITEMS",
    "CompetenceSource",
    "FrameworkSource",
    "FrameworkSourceError",
    "LevelSource",
    "load_digcomp22",
    "parse_case_package",
]

MAX_CASE_ITEMS = 20_000
"""Largest CASE package we import; real frameworks have hundreds to a few thousand items."""

MAX_CASE_ASSOCIATIONS = 10 * MAX_CASE_ITEMS
"""Cap on ``CFAssociations``, which also bounds the work done per package."""

# The DigComp data file carries no item URIs. We mint stable IRIs under a w3id.org prefix
# (a permanent-identifier redirect service) so badge alignments (``targetUrl``) never depend
# on where this service runs; the identifiers stay valid whether or not they resolve yet.
DIGCOMP_BASE_URI = "https://w3id.org/badgeservice/frameworks/digcomp-2.2"

ESCO_PREFIX = "http://data.europa.eu/esco/"

Kind = Literal["area", "competence", "item"]

_DIGCOMP_CODES = (
    "1 1.1 1.2 1.3 2 2.1 2.2 2.3 2.4 2.5 2.6 3 3.1 3.2 3.3 3.4 4 4.1 4.2 4.3 4.4 5 5.1 5.2 5.3 5.4"
)
# Column sizes of the frameworks tables: longer values are refused (names are clipped).
_CODE_MAX, _NAME_MAX, _TITLE_MAX, _URI_MAX, _VERSION_MAX = 100, 1000, 300, 2000, 50
_LEVELS = (
    ("complexity_of_tasks", "Complexity of tasks"),
    ("autonomy", "Autonomy"),
    ("cognitive_domain", "Cognitive domain"),
)
_CHUNKS = re.compile(r"[0-9]+|[^0-9]+")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


class FrameworkSourceError(ValueError):
    """Framework data is unusable; ``path`` is a JSON path to the place, ``message`` says why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class LevelSource:
    """One proficiency level of a framework (DigComp: 1-8 in four bands)."""

    level: int
    band: str
    description: str


@dataclass(frozen=True)
class CompetenceSource:
    """One framework item: a DigComp area or competence, or a CASE ``CFItem``."""

    code: str
    name: str
    description: str
    uri: str
    esco_uri: str | None
    parent_code: str | None
    kind: Kind
    # Language tag → title. A private copy, typed read-only (a plain dict so asdict, pickle
    # and json still work); left out of the hash so items stay hashable.
    titles: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "titles", dict(self.titles))


@dataclass(frozen=True)
class FrameworkSource:
    """A whole framework as read from its source, items in tree order."""

    slug: str
    name: str
    version: str
    uri: str
    publisher: str
    description: str
    source: Literal["digcomp22", "case"]
    levels: tuple[LevelSource, ...]
    items: tuple[CompetenceSource, ...]

    def item(self, code: str) -> CompetenceSource:
        """The item with this code. Raises: KeyError if there is none."""
        for candidate in self.items:
            if candidate.code == code:
                return candidate
        raise KeyError(code)


# --- small readers that report where the data is wrong -------------------------------------


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FrameworkSourceError(path, "must be a JSON object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise FrameworkSourceError(path, "must be a JSON array")
    return value


def _required_str(obj: Mapping[str, Any], key: str, path: str, limit: int = 0) -> str:
    value = _optional_str(obj, key, path, limit)
    if value is None:
        message = "is required" if obj.get(key) is None else "must not be empty"
        raise FrameworkSourceError(f"{path}.{key}", message)
    return value


def _optional_str(obj: Mapping[str, Any], key: str, path: str, limit: int = 0) -> str | None:
    """The stripped string at ``key``, None if absent or blank; ``limit`` caps its length."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FrameworkSourceError(f"{path}.{key}", "must be a string")
    if limit and len(value.strip()) > limit:
        raise FrameworkSourceError(f"{path}.{key}", f"is longer than {limit} characters")
    return value.strip() or None


def _natural_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """Sort "1.2" before "1.10"; compares digit runs by value without calling int()."""
    parts = []
    for chunk in _CHUNKS.findall(code):
        if chunk[0].isascii() and chunk[0].isdigit():
            digits = chunk.lstrip("0")
            parts.append((0, len(digits), digits))
        else:
            parts.append((1, 0, chunk))
    return tuple(parts)


def _tree_order(
    items: Iterable[CompetenceSource], sibling_key: Callable[[CompetenceSource], Any]
) -> list[CompetenceSource]:
    """Pre-order walk from the roots; items on a parent cycle are unreachable and left out."""
    children: dict[str | None, list[CompetenceSource]] = {}
    for item in items:
        children.setdefault(item.parent_code, []).append(item)
    for siblings in children.values():
        siblings.sort(key=sibling_key)
    ordered: list[CompetenceSource] = []
    stack = list(reversed(children.get(None, [])))
    while stack:  # iterative: a 20,000-deep chain must not hit the recursion limit
        item = stack.pop()
        ordered.append(item)
        stack.extend(reversed(children.get(item.code, [])))
    return ordered


# --- DigComp 2.2 ---------------------------------------------------------------------------


@cache
def load_digcomp22() -> FrameworkSource:
    """DigComp 2.2 from the shipped data file: 5 areas, 21 competences, 8 levels, ESCO links.

    Titles are official; descriptions are the project's paraphrases and the Finnish titles
    (``titles["fi"]``) unofficial working translations, as the file's provenance notes say.

    Raises:
        FrameworkSourceError: the data file does not have DigComp 2.2's structure.
    """
    data = (
        resources.files("badgeservice.frameworks").joinpath("data", "digcomp22.json").read_bytes()
    )
    return _digcomp_from_json(json.loads(data))


def _digcomp_item(obj: Mapping[str, Any], kind: Kind, parent: str | None) -> CompetenceSource:
    code = obj["id"]
    # esco_uri means an exact match (as CASE exactMatchOf does); the area-level ESCO
    # concepts are only close matches (DigComp 1.0-era names), so areas carry none.
    esco_uri = obj["esco_uri"] if obj.get("esco_match") == "exact" else None
    titles = {"en": obj["title"], "fi": obj["title_fi"]}
    if obj.get("title_sv"):
        titles["sv"] = obj["title_sv"]
    uri = f"{DIGCOMP_BASE_URI}/{code}"
    return CompetenceSource(
        code, obj["title"], obj["description"], uri, esco_uri, parent, kind, titles
    )


def _digcomp_from_json(data: Mapping[str, Any]) -> FrameworkSource:
    # Our own shipped file, its content pinned by the tests: read directly, check the codes.
    framework = data["framework"]
    items = [_digcomp_item(area, "area", None) for area in data["areas"]]
    items += [_digcomp_item(c, "competence", c["area_id"]) for c in data["competences"]]
    if sorted(item.code for item in items) != _DIGCOMP_CODES.split() or any(
        item.parent_code != (item.code.rpartition(".")[0] or None) for item in items
    ):
        raise FrameworkSourceError("$", "does not hold the 26 DigComp 2.2 codes, each once")
    levels = tuple(
        LevelSource(
            entry["level"],
            entry["band_title"],
            " ".join(f"{label}: {entry[key]}." for key, label in _LEVELS),
        )
        for entry in data["proficiency_levels"]["levels"]
    )
    # Structure, citation and licence, e.g. "5 competence areas, …; EUR 31006 EN; …".
    keys = ("structure", "report_number", "jrc_number", "doi", "license")
    return FrameworkSource(
        slug=framework["id"],
        name=framework["title"],
        version="2.2",
        uri=DIGCOMP_BASE_URI,
        publisher=framework["publisher"],
        description="; ".join(framework[key] for key in keys if framework.get(key)),
        source="digcomp22",
        levels=levels,
        items=tuple(_tree_order(items, lambda item: _natural_key(item.code))),
    )


# --- 1EdTech CASE --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Link:
    """A CASE ``LinkURI`` (``{title, identifier, uri}``) and where it was read."""

    identifier: str | None
    uri: str | None
    path: str

    def unknown(self, what: str) -> FrameworkSourceError:
        key, value = ("identifier", self.identifier) if self.identifier else ("uri", self.uri)
        return FrameworkSourceError(f"{self.path}.{key}", f"{value!r} is not {what}")


def _link(assoc: Mapping[str, Any], key: str, path: str) -> _Link:
    here = f"{path}.{key}"
    if assoc.get(key) is None:
        raise FrameworkSourceError(here, "is required")
    obj = _mapping(assoc[key], here)
    link = _Link(
        _optional_str(obj, "identifier", here), _optional_str(obj, "uri", here, _URI_MAX), here
    )
    if link.identifier is None and link.uri is None:
        raise FrameworkSourceError(here, "needs an identifier or a uri")
    return link


def _capped_list(root: Mapping[str, Any], key: str, limit: int) -> list[Any]:
    value = root.get(key)
    entries = [] if value is None else _list(value, f"$.{key}")
    if len(entries) > limit:
        raise FrameworkSourceError(f"$.{key}", f"{len(entries)} entries; at most {limit} allowed")
    return entries


class _CasePackage:
    """The state of one CASE import: items by identifier, then their links."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        here = "$.CFDocument"
        self.doc_id = _required_str(document, "identifier", here)
        self.doc_uri = _required_str(document, "uri", here, _URI_MAX)
        self.language = _optional_str(document, "language", here)
        self.items: dict[str, CompetenceSource] = {}
        self.by_uri: dict[str, str] = {}
        self.parents: dict[str, tuple[str | None, int]] = {}  # child → (parent, association)
        self.sequence: dict[str, int] = {}  # child → its smallest isChildOf sequenceNumber
        self.esco: dict[str, str] = {}

    def add_item(self, raw: Any, path: str, codes: dict[str, str]) -> None:
        obj = _mapping(raw, path)
        human = _optional_str(obj, "humanCodingScheme", path, _CODE_MAX)
        # Without a humanCodingScheme the identifier becomes the code, so it must fit as one.
        identifier = _required_str(obj, "identifier", path, 0 if human else _CODE_MAX)
        statement = _required_str(obj, "fullStatement", path)
        uri = _required_str(obj, "uri", path, _URI_MAX)
        code = human or identifier
        if identifier in self.items or identifier == self.doc_id:
            raise FrameworkSourceError(f"{path}.identifier", f"duplicate identifier {identifier!r}")
        if uri in self.by_uri or uri == self.doc_uri:
            raise FrameworkSourceError(f"{path}.uri", f"duplicate uri {uri!r}")
        if code in codes:
            where = f"{path}.humanCodingScheme" if human else f"{path}.identifier"
            raise FrameworkSourceError(where, f"duplicate code {code!r} (also {codes[code]})")
        codes[code] = path
        name = _optional_str(obj, "abbreviatedStatement", path) or statement
        name = name if len(name) <= _NAME_MAX else name[: _NAME_MAX - 1] + "…"
        language = _optional_str(obj, "language", path) or self.language
        self.items[identifier] = CompetenceSource(
            code=code,
            name=name,
            description=statement,
            uri=uri,
            esco_uri=None,
            parent_code=None,
            kind="item",
            titles={language: name} if language else {},
        )
        self.by_uri[uri] = identifier

    def find(self, link: _Link) -> str | None:
        if link.identifier in self.items:
            return link.identifier
        return self.by_uri.get(link.uri) if link.uri else None

    def add_association(self, raw: Any, index: int) -> None:
        path = f"$.CFAssociations[{index}]"
        obj = _mapping(raw, path)
        kind = _required_str(obj, "associationType", path)
        if kind not in ("isChildOf", "exactMatchOf"):
            return  # other relations (isPeerOf, precedes, …) are not part of what we import
        origin = _link(obj, "originNodeURI", path)
        child = self.find(origin)
        if child is None:
            raise origin.unknown("an item of this package")
        destination = _link(obj, "destinationNodeURI", path)
        if kind == "exactMatchOf":
            esco = destination.uri or ""
            if esco.startswith(ESCO_PREFIX):
                previous = self.esco.setdefault(child, esco)
                if previous != esco:
                    code = self.items[child].code
                    message = f"item {code!r} already matches {previous!r}"
                    raise FrameworkSourceError(f"{destination.path}.uri", message)
            return
        parent = self.find(destination)
        is_document = self.doc_id == destination.identifier or self.doc_uri == destination.uri
        if parent is None and not is_document:
            raise destination.unknown("an item of this package or its CFDocument")
        sequence = obj.get("sequenceNumber")
        if sequence is not None and (not isinstance(sequence, int) or isinstance(sequence, bool)):
            raise FrameworkSourceError(f"{path}.sequenceNumber", "must be an integer")
        previous_parent, _ = self.parents.setdefault(child, (parent, index))
        if previous_parent != parent:
            code = self.items[child].code
            raise FrameworkSourceError(path, f"item {code!r} would have a second parent")
        if sequence is not None:
            self.sequence[child] = min(sequence, self.sequence.get(child, sequence))

    def ordered_items(self) -> tuple[CompetenceSource, ...]:
        items = {
            identifier: replace(
                item,
                parent_code=self._parent_code(identifier),
                esco_uri=self.esco.get(identifier),
            )
            for identifier, item in self.items.items()
        }
        sequence = {items[child].code: number for child, number in self.sequence.items()}

        def sibling_key(item: CompetenceSource) -> Any:
            number = sequence.get(item.code)
            rank = (0, number) if number is not None else (1, 0)
            return rank, _natural_key(item.code), item.code

        ordered = _tree_order(items.values(), sibling_key)
        if len(ordered) < len(items):
            self._raise_cycle({item.code for item in ordered})
        return tuple(ordered)

    def _parent_code(self, identifier: str) -> str | None:
        parent = self.parents.get(identifier, (None, 0))[0]
        return None if parent is None else self.items[parent].code

    def _raise_cycle(self, reached: set[str]) -> None:
        # Every item off the tree hangs below a cycle: follow parents from the first one.
        stuck = [i for i, item in self.items.items() if item.code not in reached]
        node = min(stuck, key=lambda i: _natural_key(self.items[i].code))
        walk: list[str] = []
        seen: set[str] = set()
        while node not in seen:
            walk.append(node)
            seen.add(node)
            parent = self.parents[node][0]
            assert parent is not None  # a child of the document would have been reached
            node = parent
        cycle = walk[walk.index(node) :]
        index = min(self.parents[member][1] for member in cycle)
        codes = " → ".join(self.items[member].code for member in [*cycle, cycle[0]])
        raise FrameworkSourceError(f"$.CFAssociations[{index}]", f"isChildOf cycle: {codes}")


def parse_case_package(data: Mapping[str, Any]) -> FrameworkSource:
    """Read a 1EdTech CASE 1.0/1.1 ``CFPackage`` into a :class:`FrameworkSource`.

    Items come from ``CFItems`` (code = ``humanCodingScheme`` or else the identifier), the
    tree from ``isChildOf`` associations (items without one are roots), ESCO links from
    ``exactMatchOf`` associations to ``http://data.europa.eu/esco/…``. Other association
    types are ignored. The result does not depend on the order of items or associations.
    ``slug`` is the document identifier in slug form, stable across re-imports.

    Raises:
        FrameworkSourceError: a required field is missing, a code, identifier or URI is
            repeated, an association points to an unknown item, ``isChildOf`` forms a cycle
            or gives an item two parents, or the package exceeds :data:`MAX_CASE_ITEMS`.
    """
    root = _mapping(data, "$")
    if root.get("CFDocument") is None:
        raise FrameworkSourceError("$.CFDocument", "is required")
    document = _mapping(root["CFDocument"], "$.CFDocument")
    package = _CasePackage(document)
    title = _required_str(document, "title", "$.CFDocument", _TITLE_MAX)
    if root.get("CFDefinitions") is not None:
        _mapping(root["CFDefinitions"], "$.CFDefinitions")
    codes: dict[str, str] = {}
    for index, raw in enumerate(_capped_list(root, "CFItems", MAX_CASE_ITEMS)):
        package.add_item(raw, f"$.CFItems[{index}]", codes)
    for index, raw in enumerate(_capped_list(root, "CFAssociations", MAX_CASE_ASSOCIATIONS)):
        package.add_association(raw, index)
    slug = _SLUG_JUNK.sub("-", package.doc_id.lower()).strip("-")[:63].rstrip("-")
    if not slug:
        raise FrameworkSourceError("$.CFDocument.identifier", "has no letters or digits")
    here = "$.CFDocument"
    return FrameworkSource(
        slug=slug,
        name=title,
        version=_optional_str(document, "version", here, _VERSION_MAX) or "",
        uri=package.doc_uri,
        publisher=_optional_str(document, "publisher", here, _TITLE_MAX)
        or _optional_str(document, "creator", here, _TITLE_MAX)
        or "",
        description=_optional_str(document, "description", here) or "",
        source="case",
        levels=(),
        items=package.ordered_items(),
    )
