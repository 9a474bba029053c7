"""The DigComp 2.2 identifiers the definition files may name.

DigComp 2.2 is fixed (5 areas, 21 competences, 8 proficiency levels), so the codes are kept
here rather than read from a data file; the frameworks domain owns titles and descriptions.
"""

from __future__ import annotations

__all__ = ["AREAS", "CODES", "COMPETENCES", "MAX_LEVEL", "area_of"]

AREAS: dict[str, str] = {
    "1": "Information and data literacy",
    "2": "Communication and collaboration",
    "3": "Digital content creation",
    "4": "Safety",
    "5": "Problem solving",
}

_COMPETENCE_COUNTS = {"1": 3, "2": 6, "3": 4, "4": 4, "5": 4}

COMPETENCES: frozenset[str] = frozenset(
    f"{area}.{number}"
    for area, count in _COMPETENCE_COUNTS.items()
    for number in range(1, count + 1)
)

#: Areas and competences alike may be aligned to ("4" = the whole Safety area).
CODES: frozenset[str] = frozenset(AREAS) | COMPETENCES

MAX_LEVEL = 8


def area_of(code: str) -> str:
    """The area code of a DigComp code: ``"3.1"`` → ``"3"``, ``"4"`` → ``"4"``."""
    return code.split(".", 1)[0]
