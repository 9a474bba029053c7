"""Who acts, when no request says so: the command line and the worker declare themselves
(:func:`acting`). Kept free of Flask so the command line can declare itself without
loading the web stack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["OPERATOR", "SYSTEM", "WORKER", "Actor", "Source", "acting", "declared"]


@dataclass(frozen=True)
class Actor:
    kind: str  # person, client, operator, worker, system
    name: str
    id: str | None = None


@dataclass(frozen=True)
class Source:
    channel: str  # api, page, scim, cli, worker, system
    ip: str | None = None
    user_agent: str | None = None


OPERATOR = Actor("operator", "operator (command line)")
WORKER = Actor("worker", "worker")
SYSTEM = Actor("system", "system")

_declared: ContextVar[tuple[Actor, Source] | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting(actor: Actor, channel: str) -> Iterator[None]:
    """Everything recorded inside is by ``actor`` through ``channel`` (the command line,
    the worker), unless a request says otherwise."""
    token = _declared.set((actor, Source(channel)))
    try:
        yield
    finally:
        _declared.reset(token)


def declared() -> tuple[Actor, Source] | None:
    """Who declared themselves here, if anyone."""
    return _declared.get()
