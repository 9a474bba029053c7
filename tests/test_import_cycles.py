"""No import cycles between the package's files, function-local imports included (they
hide a cycle from the interpreter, not from a reader)."""

from __future__ import annotations

import ast
from pathlib import Path

import badgeservice
from badgeservice.graphs import find_cycles

PACKAGE = Path(badgeservice.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for file in PACKAGE.rglob("*.py"):
        parts = file.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = file
    return found


def _imports(name: str, file: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its file."""
    package = name.split(".") if file.name == "__init__.py" else name.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{module}.{alias.name}" in modules:
                    targets.add(f"{module}.{alias.name}")
                elif module in modules:
                    targets.add(module)
    return targets - {name}


def test_no_import_cycles_between_files() -> None:
    modules = _modules()
    graph = {name: sorted(_imports(name, file, modules)) for name, file in modules.items()}
    assert find_cycles(graph) == []


def test_the_check_sees_a_cycle() -> None:
    assert find_cycles({"a": ["b"], "b": ["a"]}) == [["a", "b", "a"]]
