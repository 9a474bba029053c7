"""Small graph algorithms shared by the layers that check declared structures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["find_cycles"]


def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Cycles of a directed graph, each once, as ``[a, b, a]``; edges to unknown nodes ignored.

    Not every elementary cycle is listed, but every node that lies on a cycle is on one that is,
    which is what an operator needs to break them.
    """
    state: dict[str, int] = {}  # 1 = on the current DFS stack, 2 = finished
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in graph:
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail = [start]
        state[start] = 1
        while stack:
            node, edge = stack[-1]
            edges = [target for target in graph.get(node, ()) if target in graph]
            if edge == len(edges):
                stack.pop()
                trail.pop()
                state[node] = 2
                continue
            stack[-1] = (node, edge + 1)
            target = edges[edge]
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target) :], target]
                if (members := frozenset(cycle)) not in seen:
                    seen.add(members)
                    cycles.append(cycle)
            elif target not in state:
                state[target] = 1
                stack.append((target, 0))
                trail.append(target)
    return cycles
