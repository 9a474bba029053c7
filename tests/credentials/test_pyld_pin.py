"""pyld is patched, not just used: its private methods that jsonld.py overrides must keep the
shape they had when we wrote the overrides. A new pyld fails here, loudly, before it can
change what we sign."""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import requires, version

from pyld import jsonld as pyld_jsonld

from tests.conftest import ROOT

# Every pyld method the safe-mode processor overrides or calls, with its parameters.
PATCHED = {
    "__init__": ["self", "on_property_dropped"],
    "_process_context": [
        "self",
        "active_ctx",
        "local_ctx",
        "options",
        "override_protected",
        "propagate",
        "validate_scoped",
        "cycles",
    ],
    "_expand_object": [
        "self",
        "active_ctx",
        "active_property",
        "expanded_active_property",
        "element",
        "expanded_parent",
        "options",
        "inside_list",
        "type_key",
        "type_scoped_ctx",
    ],
    "_expand": [
        "self",
        "active_ctx",
        "active_property",
        "element",
        "options",
        "inside_list",
        "inside_index",
        "type_scoped_ctx",
    ],
    "_get_initial_context": ["self", "options"],
    "_expand_iri": ["self", "active_ctx", "value", "base", "vocab", "local_ctx", "defined"],
    "_create_node_map": [
        "self",
        "input_",
        "graph_map",
        "active_graph",
        "issuer",
        "active_subject",
        "active_property",
        "list_",
    ],
    "_graph_to_rdf": ["self", "graph", "issuer", "options"],
}


def _declared(name: str) -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in project["dependencies"]:
        if requirement.lower().startswith(name):
            return str(requirement)
    raise AssertionError(f"{name} is imported by badgeservice.credentials but not declared")


def test_pyld_is_pinned_to_the_minor_version_the_overrides_were_written_for() -> None:
    assert _declared("pyld") == "pyld>=3.3.0,<3.4"
    installed = version("pyld")
    assert installed.startswith("3.3."), (
        f"pyld {installed} is installed but jsonld.py was written against 3.3.x: review the "
        "overridden private methods, then move the pin"
    )


def test_pyld_private_methods_we_override_keep_their_signatures() -> None:
    changed = {}
    for name, expected in PATCHED.items():
        method = getattr(pyld_jsonld.JsonLdProcessor, name, None)
        got = None if method is None else list(inspect.signature(method).parameters)
        if got != expected:
            changed[name] = got
    assert not changed, f"pyld changed methods badgeservice overrides: {changed}"


def test_pyld_still_converts_direction_to_an_i18n_datatype() -> None:
    expanded = [{"urn:x:p": [{"@value": "v", "@language": "ar", "@direction": "rtl"}]}]
    expanded[0]["@id"] = "urn:x:s"  # type: ignore[assignment]
    dataset = pyld_jsonld.to_rdf(expanded, {"rdfDirection": "i18n-datatype"})
    (triple,) = dataset["@default"]
    assert triple["object"]["datatype"] == "https://www.w3.org/ns/i18n#ar_rtl"


def test_what_the_credential_library_imports_is_declared() -> None:
    _declared("frozendict")
    _declared("cachetools")
    # pyld itself lists frozendict; we import it directly, so we declare it too.
    assert any(r.startswith("frozendict") for r in requires("pyld") or [])


def test_processed_contexts_keep_the_shape_the_fast_path_reads() -> None:
    """The fast path (termtables.py) reads pyld's processed active contexts directly: their
    term definitions and how a type-scoped context remembers the one before it."""
    from badgeservice.credentials.contexts import OB_V3P0, VC_V2
    from badgeservice.credentials.jsonld import JsonLdProcessor

    processor = JsonLdProcessor()
    active = processor._process(processor._initial_context(), [VC_V2, OB_V3P0], False, True)
    assert {"mappings", "_uuid"} <= set(active)
    term = active["mappings"]["OpenBadgeCredential"]
    assert {"@id", "reverse", "_prefix", "protected"} <= set(term)
    scoped = active["mappings"]["VerifiableCredential"]["@context"]
    typed = processor._process(active, scoped, False, False)
    assert typed["previousContext"] is active
    issuer = typed["mappings"]["issuer"]
    assert issuer["@id"] == "https://www.w3.org/2018/credentials#issuer"
    assert issuer["@type"] == "@id"
    assert typed["mappings"]["proof"]["@container"] == ["@graph"]  # containers are lists
