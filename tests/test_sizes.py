"""The package stays readable in small pieces: no module over 400 lines and no function
over 60 lines of code (its docstring not counted), unless a ``# Size:`` comment at its top
says why — for a module before its first definition, for a function among its first lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import badgeservice

PACKAGE = Path(badgeservice.__file__).resolve().parent
MODULE_LINES = 400
FUNCTION_LINES = 60
MARK = "# Size:"


def _first_code_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    docstring = (
        isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )
    if docstring and len(body) > 1:
        return body[1].lineno
    return body[0].lineno if not docstring else (node.end_lineno or node.lineno)


def oversized(source: str, name: str) -> list[str]:
    """What in ``source`` is over the limits without a reason."""
    lines = source.splitlines()
    tree = ast.parse(source)
    found = []
    first_definition = min(
        (node.lineno for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))),
        default=len(lines),
    )
    if len(lines) > MODULE_LINES and not any(
        line.startswith(MARK) for line in lines[:first_definition]
    ):
        found.append(f"{name}: {len(lines)} lines")
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        start = _first_code_line(node)
        length = (node.end_lineno or start) - start + 1
        head = lines[node.lineno - 1 : start + 2]
        if length > FUNCTION_LINES and not any(line.strip().startswith(MARK) for line in head):
            found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_modules_and_functions_are_small_or_say_why() -> None:
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        found += oversized(file.read_text(encoding="utf-8"), str(file.relative_to(PACKAGE)))
    assert found == [], "\n".join(found)


def test_the_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    assert oversized(f'def f():\n    """Doc."""\n{body}\n', "m") == ["m:1 f: 61 lines"]
    reason = "    # Size: one table of sixty-one rows, clearer whole.\n"
    assert oversized(f'def f():\n    """Doc."""\n{reason}{body}\n', "m") == []


def test_the_check_sees_a_long_module() -> None:
    source = "\n".join(f"x{i} = {i}" for i in range(401)) + "\n"
    assert oversized(source, "m") == ["m: 401 lines"]
    assert oversized("# Size: generated constants.\n" + source, "m") == []
