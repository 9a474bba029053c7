"""Where a new credential's revocation bit goes: a random free index in its issuer's newest
status list, or a new list when that one is full.

Here rather than with the issuer's lists (:mod:`..issuers.services`): a free index is one
no credential holds, and credentials are issuing's.
"""

from __future__ import annotations

import secrets

from sqlalchemy import BigInteger, Integer, cast, literal, select
from sqlalchemy.orm import Session, defer

from ..credentials.statuslist import MIN_ENTRIES, allocate_index
from ..credentials.statuslist import StatusList as Bits
from ..issuers.models import Issuer, StatusList
from ..issuers.services import IssuerService
from .models import Credential

__all__ = ["allocate_status", "allocate_statuses"]

# Random probes for a free status-list index before reading the used ones (a list stays
# under 1 % full for its first thousand credentials, so one probe nearly always suffices).
PROBES = 8


def allocate_status(issuers: IssuerService, issuer: Issuer) -> tuple[StatusList, int]:
    """A random free index in the issuer's newest list (a new list when it is full).

    A few random probes of the database find a free index while the list has room (each an
    indexed lookup, so the cost does not grow with the list); only when they all miss are
    the used indexes read, to choose among the rest or open a new list. The uniqueness rule
    on (list, index) settles races between concurrent issuers.
    """
    session = issuers.session
    rng = secrets.SystemRandom()
    draw = rng.getrandbits(62)
    found = _newest_list(session, issuer, draw)
    if found is not None:
        current, used_first = found
        if not used_first:
            return current, draw % current.length
        for _ in range(PROBES - 1):
            candidate = rng.randrange(current.length)
            if not _used(session, current, candidate):
                return current, candidate
        taken = set(
            session.scalars(
                select(Credential.status_index).where(Credential.status_list_id == current.id)
            )
        )
        if len(taken) < current.length:
            return current, allocate_index(taken, current.length, rng=rng)
    number = 1 if found is None else found[0].number + 1
    fresh = StatusList(
        issuer_id=issuer.id,
        number=number,
        length=MIN_ENTRIES,
        bits=Bits(MIN_ENTRIES).to_bytes(),
        purpose="revocation",
    )
    session.add(fresh)
    session.flush()
    issuers.sign_status_list(issuer, fresh)
    return fresh, rng.randrange(fresh.length)


def _newest_list(session: Session, issuer: Issuer, draw: int) -> tuple[StatusList, bool] | None:
    """The issuer's newest list and whether the first probe is taken, in one query: the probe
    is the random 62-bit ``draw`` modulo the list's length, taken by the database for the
    list it finds (the bias of the modulo is below length / 2**62, nil for a power of two)."""
    first_used = (
        select(Credential.id)
        .where(
            Credential.status_list_id == StatusList.id,
            Credential.status_index == cast(literal(draw, BigInteger) % StatusList.length, Integer),
        )
        .exists()
    )
    row = session.execute(
        select(StatusList, first_used)
        # The bits (16 KiB and more) are read only when a revocation needs them.
        .options(defer(StatusList.bits))
        .where(StatusList.issuer_id == issuer.id)
        .order_by(StatusList.number.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], bool(row[1]))


def _used(session: Session, status_list: StatusList, index: int) -> bool:
    taken = session.scalar(
        select(Credential.id).where(
            Credential.status_list_id == status_list.id, Credential.status_index == index
        )
    )
    return taken is not None


def allocate_statuses(
    issuers: IssuerService, issuer: Issuer, count: int
) -> tuple[StatusList, list[int]] | None:
    """``count`` distinct random free indexes in the issuer's newest list, in two queries
    whatever ``count`` (the list, then which of twice as many random candidates are
    taken); None when the issuer has no list yet or too few candidates were free (then
    each credential takes :func:`allocate_status`'s way, which also opens new lists).

    A concurrent issuer may draw the same free index: the batch's insert skips what the
    uniqueness rule refuses and issues that credential again on its own."""
    session = issuers.session
    current = session.scalar(
        select(StatusList)
        .options(defer(StatusList.bits))
        .where(StatusList.issuer_id == issuer.id)
        .order_by(StatusList.number.desc())
        .limit(1)
    )
    if current is None or count > current.length // 4:
        return None
    rng = secrets.SystemRandom()
    candidates: set[int] = set()
    while len(candidates) < 2 * count:
        candidates.add(rng.randrange(current.length))
    taken = set(
        session.scalars(
            select(Credential.status_index).where(
                Credential.status_list_id == current.id,
                Credential.status_index.in_(sorted(candidates)),
            )
        )
    )
    free = [index for index in candidates if index not in taken]
    return (current, free[:count]) if len(free) >= count else None
