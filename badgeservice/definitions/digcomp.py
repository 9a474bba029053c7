"""DigComp 2.2 as the definition files use it: codes to check, area titles to draw.

The frameworks domain ships the data (:func:`badgeservice.frameworks.sources.load_digcomp22`);
reading it here too means the reader accepts exactly the codes the loader can install.
"""

from __future__ import annotations

from functools import cache

from ..frameworks.sources import FrameworkSource, load_digcomp22

__all__ = ["area_of", "area_title", "codes", "max_level"]


@cache
def _framework() -> FrameworkSource:
    return load_digcomp22()


def codes() -> frozenset[str]:
    """Every DigComp 2.2 code: areas ``"1"``..``"5"`` and competences ``"1.1"``..``"5.4"``."""
    return frozenset(item.code for item in _framework().items)


def area_title(area: str) -> str:
    """The official title of a competence area (``"4"`` → ``"Safety"``)."""
    item = _framework().item(area)
    if item.kind != "area":
        raise KeyError(area)
    return item.name


def max_level() -> int:
    """The top proficiency level (8)."""
    return max(level.level for level in _framework().levels)


def area_of(code: str) -> str:
    """The area code of a DigComp code: ``"3.1"`` → ``"3"``, ``"4"`` → ``"4"``."""
    return code.split(".", 1)[0]
