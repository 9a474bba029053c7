"""A person's accounts in the organisation's LMS connections (how completions name them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..errors import BadRequest, Conflict
from .models import LmsAccount, Person

__all__ = ["LmsAccountData", "check_accounts", "replace_accounts"]


@dataclass(frozen=True)
class LmsAccountData:
    """A person's account name in one named LMS connection."""

    connection: str
    account: str


def check_accounts(session: Session, person: Person, accounts: Sequence[LmsAccountData]) -> None:
    """Each account listed once and nobody else's (409)."""
    pairs = [(a.connection, a.account.strip()) for a in accounts]
    for index, pair in enumerate(pairs):
        if pair in pairs[:index]:
            message = f"account {pair[1]!r} of {pair[0]!r} is listed twice"
            raise BadRequest(f"lmsAccounts: {message}", errors={"lmsAccounts": [message]})
    if not pairs:
        return
    taken = session.execute(
        select(LmsAccount.connection, LmsAccount.account).where(
            LmsAccount.organisation_id == person.organisation_id,
            LmsAccount.person_id != person.id,
            or_(*(and_(LmsAccount.connection == c, LmsAccount.account == a) for c, a in pairs)),
        )
    ).first()
    if taken is not None:
        raise Conflict(
            f"LMS account {taken[1]!r} of connection {taken[0]!r} belongs to another person"
        )


def replace_accounts(person: Person, accounts: Sequence[LmsAccountData]) -> None:
    """Make ``accounts`` the person's accounts."""
    # Keep matching rows: deleting and re-inserting the same account in one flush would
    # trip the uniqueness rule, because SQLAlchemy inserts before it deletes.
    wanted = [(a.connection, a.account.strip()) for a in accounts]
    person.lms_accounts = [a for a in person.lms_accounts if (a.connection, a.account) in wanted]
    have = {(a.connection, a.account) for a in person.lms_accounts}
    for connection, account in wanted:
        if (connection, account) not in have:
            person.lms_accounts.append(
                LmsAccount(
                    organisation_id=person.organisation_id, connection=connection, account=account
                )
            )
