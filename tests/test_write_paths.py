"""Each record type has one write path: a Person, a Team, a Path and an Issuer row is made
in exactly one function, which the API, the definition loader, SCIM and ingest all call."""

from __future__ import annotations

import ast
from pathlib import Path

import badgeservice

PACKAGE = Path(badgeservice.__file__).resolve().parent

# The model class, the module that defines it, and the one function allowed to make a row.
MAKERS = {
    "Person": ("people.models", "badgeservice/people/services.py:add_person"),
    "Team": ("people.models", "badgeservice/people/teams.py:create_team"),
    "Path": ("paths.models", "badgeservice/paths/services.py:create_path"),
    "Issuer": ("issuers.models", "badgeservice/issuers/services.py:IssuerService.upsert_issuer"),
}


def _local_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of a module, class or function body, not those of nested definitions."""
    nodes: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        nodes.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            todo.extend(ast.iter_child_nodes(node))
    return nodes


def _imports(nodes: list[ast.AST], outer: dict[str, str]) -> dict[str, str]:
    """Local name → model class, for the model classes imported from their own module (an
    import of another ``Path``, say pathlib's, hides the model's)."""
    names = dict(outer)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                spec = MAKERS.get(alias.name)
                module = node.module or ""
                if spec and (module.endswith(spec[0]) or (node.level and module == "models")):
                    names[local] = alias.name
                else:
                    names.pop(local, None)
    return names


def _constructions(tree: ast.Module, where: str) -> list[tuple[str, str]]:
    """(class, function) of every call of an imported model class in the module."""
    found: list[tuple[str, str]] = []

    def visit(scope: ast.AST, names: list[str], outer: dict[str, str]) -> None:
        nodes = _local_nodes(scope)
        models = _imports(nodes, outer)
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(node, [*names, node.name], models)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in models
            ):
                found.append((models[node.func.id], f"{where}:{'.'.join(names)}"))

    visit(tree, [], {})
    return found


def test_each_record_is_made_in_one_function() -> None:
    made: dict[str, set[str]] = {name: set() for name in MAKERS}
    for file in sorted(PACKAGE.rglob("*.py")):
        where = file.relative_to(PACKAGE.parent).as_posix()
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for model, function in _constructions(tree, where):
            made[model].add(function)
    assert made == {name: {function} for name, (_, function) in MAKERS.items()}
