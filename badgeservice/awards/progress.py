"""A person's progress on their paths: the paths they are on, with what they hold."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..issuing.holdings import achieved_achievements
from ..paths.progress import PathProgress, paths_of, progress
from ..people.models import Person

__all__ = ["person_progress"]


def person_progress(session: Session, person: Person) -> list[PathProgress]:
    """Every path of the person with their progress on it."""
    paths = paths_of(session, person)
    held = achieved_achievements(session, person.id)
    return [progress(session, person, path, paths=paths, held=held) for path in paths]
