"""Matching a completion: the person it names (created when the connection says so) and
the sub-goals it completes on that person's paths. Asked of the people, organisations and
paths services; nothing here reads their tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..organisations.services import find_connection
from ..paths.models import Path, SubGoal
from ..paths.progress import paths_of
from ..paths.services import triggered_sub_goals
from ..people.models import Person
from ..people.services import LmsAccountData, PersonData, create_person, person_by_identifiers
from .completion import Completion, PersonRef

__all__ = ["Goals", "person_for", "sub_goals_for"]


def person_for(
    session: Session, organisation_id: uuid.UUID, connection: str, ref: PersonRef
) -> Person | None:
    """The person ``ref`` names; when nobody matches and the connection creates unknown
    people, a new person (only from an employee number or e-mail, which find them again)."""
    account = LmsAccountData(connection, ref.account) if ref.account else None
    found = person_by_identifiers(
        session,
        organisation_id,
        employee_number=ref.employee_number,
        lms_account=account,
        email=ref.email,
        mbox_sha1sum=ref.mbox_sha1sum,
    )
    if found is not None:
        return found
    settings = find_connection(session, organisation_id, connection)
    if settings is None or settings.unknown_person != "create" or not ref.findable:
        return None
    data = PersonData(
        employee_number=ref.employee_number,
        email=ref.email,
        given_name=ref.given_name,
        family_name=ref.family_name,
        lms_accounts=[account] if account is not None else [],
    )
    return create_person(session, organisation_id, data)


@dataclass(frozen=True)
class Goals:
    """What a completion completes for a person: ``triggered`` says whether any trigger
    knows the activity at all; ``goals`` are those on the person's ``paths``, one per
    achievement."""

    paths: list[Path]
    triggered: bool
    goals: list[SubGoal]


def sub_goals_for(
    session: Session, person: Person, connection: str, completion: Completion
) -> Goals:
    triggered = triggered_sub_goals(
        session,
        person.organisation_id,
        connection=connection,
        activity=completion.activity or "",
        kinds=completion.kinds,
    )
    # The person's paths are kept for the awards: they need the same ones, and holding
    # them keeps the rows in the session's identity map (a later lookup costs no query).
    paths = paths_of(session, person) if triggered else []
    own = {path.id for path in paths}
    goals: dict[uuid.UUID, SubGoal] = {}
    for goal in triggered:
        if goal.path_id in own:
            goals.setdefault(goal.achievement_id, goal)
    return Goals(paths, bool(triggered), list(goals.values()))
