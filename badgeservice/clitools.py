"""What every command shares: one error line and exit 2 instead of a traceback.

Kept apart from :mod:`.cli` so that the service commands (:mod:`.commands`) can use it
without importing the command line they are added to."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from .credentials.errors import CredentialError

__all__ = ["InputError", "fail", "handles_errors"]

F = TypeVar("F", bound=Callable[..., Any])


class InputError(Exception):
    """Unusable input given on the command line."""


def fail(message: str) -> NoReturn:
    """Print one error line and exit 2."""
    # A message may quote input that is not text (a lone surrogate): escape, never crash.
    line = f"error: {message}".encode("utf-8", "backslashreplace").decode("utf-8")
    click.echo(line.replace("\n", " "), err=True)
    sys.exit(2)


def handles_errors(func: F) -> F:
    """Turn library and input errors into one line and exit 2; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (CredentialError, InputError) as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))

    return wrapper  # type: ignore[return-value]
