"""What the service commands share: the application, and a session inside its context."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clitools import InputError

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from ..keystore import KeyStore

__all__ = ["DEFAULT_ISSUERS", "app_for_command", "plain_session", "session_in"]


DEFAULT_ISSUERS = Path("issuers")


def app_for_command(overrides: dict[str, Any] | None = None) -> Flask:
    """The web application; a configuration it cannot start with is one error line."""
    from ..app import create_app
    from ..config import ConfigurationError

    try:
        return create_app(overrides)
    except ConfigurationError as exc:
        raise InputError(str(exc)) from None


@contextmanager
def session_in(app: Flask) -> Iterator[Session]:
    from ..db import database, session_scope
    from ..errors import AppError

    with app.app_context(), session_scope(database()) as session:
        try:
            yield session
        except AppError as exc:
            raise InputError(exc.detail) from None


@contextmanager
def plain_session() -> Iterator[tuple[Session, KeyStore]]:
    """A session and the key store without the web application, for quick commands."""
    from ..config import load_config
    from ..db import Database, session_scope
    from ..errors import AppError
    from ..keyconfig import keystore_from_config

    config = load_config()
    database = Database(config["DATABASE_URL"])
    try:
        with session_scope(database) as session:
            try:
                yield session, keystore_from_config(config)
            except AppError as exc:
                raise InputError(exc.detail) from None
    finally:
        database.engine.dispose()


def echo_issued_client(result: dict[str, str], *, as_json: bool) -> None:
    """Print a client's id, token and secret once (created or rotated): JSON or aligned lines."""
    import click

    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"client  {result['id']}")
    click.echo(f"token   {result['token']}")
    click.echo(f"secret  {result['secret']}")
