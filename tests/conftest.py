"""Shared fixtures: the known-answer vectors in tests/data/testvectors, the service on a
fresh database, tenants."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.scratch import scratch_database, server_url

ROOT = Path(__file__).resolve().parent.parent


def _vectors_dir() -> Path:
    configured = os.environ.get("BADGESERVICE_TESTVECTORS")
    candidates = [Path(configured)] if configured else []
    candidates.append(ROOT / "tests" / "data" / "testvectors" / "eddsa-rdfc-2022")
    for candidate in candidates:
        if (candidate / "keyPair.json").is_file():
            return candidate
    raise RuntimeError("eddsa-rdfc-2022 test vectors not found (set BADGESERVICE_TESTVECTORS)")


VECTORS = _vectors_dir()


def load_vector(name: str) -> Any:
    """A JSON file of the vectors, parsed."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def read_vector(name: str) -> str:
    """A text file of the vectors, exactly as stored (hashed bytes included)."""
    return (VECTORS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vectors() -> Path:
    return VECTORS


# -- the service: a migrated database (SQLite, or PostgreSQL when configured) -------------

TEST_DATABASE_URL = server_url()
PUBLIC_URL = "https://badges.example.org"
LOOPBACK = "127.0.0.0/8,::1"


@contextmanager
def fresh_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, migrated database: on the server named by ``BADGESERVICE_TEST_DATABASE_URL``
    (e.g. ``postgresql+psycopg://postgres@127.0.0.1/test``; created, then dropped), or a
    SQLite file in a temporary folder (see :mod:`tests.scratch`)."""
    with scratch_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's database, shared by the in-process tests (emptied after each)."""
    with fresh_database(tmp_path_factory) as url:
        yield url


def _empty_tables(engine: Any) -> None:
    from badgeservice.models import Base

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # The audit trail refuses deletes except the retention purge's.
            connection.execute(text("SET LOCAL badgeservice.purge = on"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """The web application on the session database, emptied after each test."""
    from badgeservice.app import create_app
    from badgeservice.db import database

    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "PUBLIC_URL": PUBLIC_URL,
            "SECRET_KEY": "test secret key, not for production",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            # The fake HR receivers listen on loopback: allowed here as an operator would.
            "OUTBOUND_ALLOW": LOOPBACK,
        }
    )
    yield application
    with application.app_context():
        engine = database().engine
        _empty_tables(engine)
        engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@dataclass
class Tenant:
    """An organisation with one issuer and an API token for it."""

    organisation_id: uuid.UUID
    slug: str
    issuer_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_tenant(app: Any) -> Callable[..., Tenant]:
    """Create organisations (each with an issuer and a token of the given scopes)."""
    from badgeservice.db import database, session_scope
    from badgeservice.issuers.models import Issuer
    from badgeservice.issuers.services import IssuerService
    from badgeservice.organisations.services import create_client, upsert_organisation

    def make(slug: str = "acme", scopes: tuple[str, ...] = ("admin",)) -> Tenant:
        with app.test_request_context(), session_scope(database()) as session:
            organisation = upsert_organisation(session, slug=slug, name=f"{slug.title()} Ltd")
            issuer = session.scalar(select(Issuer).where(Issuer.organisation_id == organisation.id))
            if issuer is None:
                issuer = Issuer(
                    organisation_id=organisation.id, slug="academy", name=f"{slug.title()} Academy"
                )
                session.add(issuer)
                session.flush()
            keystore = app.extensions["badgeservice.keystore"]
            IssuerService(session, public_url=PUBLIC_URL, keystore=keystore).ensure_key(issuer)
            issued = create_client(
                session,
                organisation,
                name=f"client-{uuid.uuid4().hex[:6]}",
                scopes=scopes,
                keystore=keystore,
            )
            return Tenant(organisation.id, slug, issuer.id, issued.token)

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that touch the database are marked ``db`` so CI can rerun them on PostgreSQL;
    property-based tests (Hypothesis) are marked ``fuzz``."""
    for item in items:
        if {"database_url", "app", "client", "make_tenant", "server", "workdir", "live"} & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.db)
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.fuzz)


# -- parallel runs (pytest-xdist) ----------------------------------------------------------

# Folders whose files all run on one worker: the browser tests share one served site, one
# OpenID Provider and one Chromium (a session fixture), started once rather than per worker.
ONE_WORKER = ("tests/browser/",)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Work is handed out a file at a time: a module's live server (a module-scoped fixture
    on the worker's session database) and the tests that use it stay together, in order.
    Every worker has its own session database (``database_url``: a SQLite file under the
    worker's own temporary folder, or a PostgreSQL database with a random name)."""
    from xdist.scheduler import LoadFileScheduling

    class ByFile(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((prefix for prefix in ONE_WORKER if path.startswith(prefix)), path)

    return ByFile(config, log)
