"""Pages: an application on a plain-http loopback public URL (so the session cookie is not
Secure and the test client sends it), organisations with people, and a real OpenID
Provider on loopback."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _empty_tables
from tests.oidc.provider import OpenIdProvider, start_provider

PUBLIC = "http://127.0.0.1:5999"
SECRETS = {"acme": "acme client secret", "globex": "globex client secret"}

# Who can log in at the provider (login name → claims it vouches for).
ACCOUNTS = {
    "aino": {
        "email": "Aino.Virtanen@acme.example",
        "email_verified": True,
        "given_name": "Aino",
        "employee_number": "A-100",
    },
    "olli": {"email": "olli@acme.example", "email_verified": True, "employee_number": "A-101"},
    # The example's admin and assessor (matched by e-mail, as the acme organisation signs in).
    "tuomas": {
        "email": "tuomas.lehtonen@esimerkkiopisto.example.org",
        "email_verified": True,
        "employee_number": "A-109",
    },
    "riikka": {
        "email": "riikka.jarvinen@esimerkkiopisto.example.org",
        "email_verified": True,
        "employee_number": "A-108",
    },
    "stranger": {"email": "nobody@elsewhere.example", "email_verified": True},
    "sly": {"email": "aino.virtanen@acme.example", "email_verified": False},
    "ville": {"email": "ville@globex.example", "email_verified": True, "employee_number": "G-7"},
    # The example organisation's supervisor of the trainers, and its HR (who supervises
    # the management team).
    "mikko": {"email": "mikko.laaksonen@esimerkkiopisto.example.org", "email_verified": True},
    "helena": {"email": "helena.korhonen@esimerkkiopisto.example.org", "email_verified": True},
}


@pytest.fixture(scope="session")
def provider() -> Iterator[OpenIdProvider]:
    clients = [
        {
            "client_id": f"{slug}-pages",
            "client_secret": secret,
            "redirect_uris": [f"{PUBLIC}/o/{slug}/sign-in/callback"],
        }
        for slug, secret in SECRETS.items()
    ]
    with start_provider(clients, ACCOUNTS) as running:
        yield running


def make_app(database_url: str, tmp_path: Path, **overrides: Any) -> Any:
    from badgeservice.app import create_app

    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "PUBLIC_URL": PUBLIC,
        "SECRET_KEY": "page test secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def web_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    from badgeservice.db import database

    application = make_app(database_url, tmp_path)
    yield application
    with application.app_context():
        _empty_tables(database().engine)
        database().engine.dispose()


@pytest.fixture
def browser(web_app: Any) -> Any:
    """A test client that sends what a browser sends: ``Accept: text/html``."""
    client = web_app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "text/html,application/xhtml+xml,*/*;q=0.8"
    return client


@dataclass
class Org:
    id: uuid.UUID
    slug: str
    people: dict[str, uuid.UUID]
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_org(web_app: Any) -> Callable[..., Org]:
    """An organisation with people (key → (given name, e-mail, employee number, active)),
    an admin token, and optionally teams and grants."""
    return functools.partial(create_org, web_app)


def create_org(
    app: Any,
    slug: str,
    people: dict[str, tuple[str, str, str, bool]],
    *,
    supervises: dict[str, str] | None = None,
    grants: dict[str, list[str]] | None = None,
    accent: str | None = None,
) -> Org:
    """An organisation in ``app``'s database (see :func:`make_org`)."""
    from badgeservice.access.models import RoleGrant
    from badgeservice.db import database, session_scope
    from badgeservice.organisations.services import create_client, upsert_organisation
    from badgeservice.people.models import Person, Team, TeamMember

    with app.test_request_context(), session_scope(database()) as session:
        org = upsert_organisation(
            session, slug=slug, name=f"{slug.title()} Oy", accent_color=accent
        )
        ids = {}
        for key, (given, email, number, active) in people.items():
            person = Person(
                organisation_id=org.id,
                given_name=given,
                family_name="Testinen",
                email=email,
                employee_number=number,
                active=active,
            )
            session.add(person)
            session.flush()
            ids[key] = person.id
        for key, team_name in (supervises or {}).items():
            team = Team(organisation_id=org.id, slug=team_name.lower(), name=team_name)
            session.add(team)
            session.flush()
            session.add(TeamMember(team_id=team.id, person_id=ids[key], role="supervisor"))
        for key, roles in (grants or {}).items():
            for role in roles:
                session.add(RoleGrant(organisation_id=org.id, person_id=ids[key], role=role))
        issued = create_client(
            session,
            org,
            name="admin",
            scopes=["admin"],
            keystore=app.extensions["badgeservice.keystore"],
        )
        return Org(org.id, slug, ids, issued.token)


def configure_sign_in(
    client: Any, org: Org, provider: OpenIdProvider, *, match: str = "email"
) -> dict[str, Any]:
    response = client.put(
        f"/api/v1/organisations/{org.id}/sign-in",
        json={
            "issuer": provider.issuer,
            "clientId": f"{org.slug}-pages",
            "clientSecret": SECRETS[org.slug],
            "match": match,
        },
        headers={**org.headers, "Accept": "application/json"},
    )
    assert response.status_code in (200, 201), response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def sign_in_through_provider(client: Any, slug: str, login: str, next_path: str = "") -> Any:
    """Start at the page's sign-in link, log in at the provider, come back; returns the
    answer of the callback."""
    from tests.oidc.provider import log_in_at_provider

    query = f"?next={next_path}" if next_path else ""
    start = client.get(f"/o/{slug}/sign-in/start{query}")
    assert start.status_code == 302, start.data[:500]
    back = log_in_at_provider(start.headers["Location"], login, PUBLIC)
    return client.get(back.removeprefix(PUBLIC))


@pytest.fixture
def acme(web_app: Any, tmp_path: Path) -> Org:
    """The example organisation loaded from its files under the slug the test provider
    knows (acme), Aino's e-mail the provider's; an admin token."""
    import shutil

    from badgeservice.db import database, session_scope
    from badgeservice.definitions.loader import load_definitions
    from badgeservice.organisations.services import create_client, organisation_by_slug
    from tests.conftest import ROOT

    example = "esimerkkiopisto"
    folder = tmp_path / "issuers" / "acme"
    shutil.copytree(ROOT / "issuers" / example, folder)
    for name, old, new in (
        ("organisation.toml", f'slug = "{example}"', 'slug = "acme"'),
        ("people.toml", "aino.virtanen@esimerkkiopisto.example.org", "aino.virtanen@acme.example"),
    ):
        text = (folder / name).read_text(encoding="utf-8")
        assert old in text
        (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    keystore = web_app.extensions["badgeservice.keystore"]
    with web_app.test_request_context(), session_scope(database()) as session:
        list(load_definitions(session, folder.parent, web_app))
        org = organisation_by_slug(session, "acme")
        token = create_client(session, org, name="t", scopes=["admin"], keystore=keystore).token
        return Org(org.id, "acme", {}, token)


def signed_in(web_app: Any, org: Org, provider: OpenIdProvider, login: str = "aino") -> Any:
    """A test client signed in to ``org`` as the provider's ``login`` (sign-in configured
    to match by e-mail), landed on the start page."""
    client = web_app.test_client()
    configure_sign_in(client, org, provider)
    landed = sign_in_through_provider(client, org.slug, login)
    assert landed.headers["Location"].endswith(f"/o/{org.slug}/home"), landed.headers
    return client
