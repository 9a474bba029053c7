"""The short addresses of the role pages lead to the organisation's own: the signed-in
person's, else the only one; with several and nobody signed in, the list to choose from."""

from __future__ import annotations

from typing import Any

from badgeservice.db import database, session_scope
from badgeservice.organisations.services import upsert_organisation
from tests.web.conftest import Org, signed_in
from tests.web.test_public_pages import BROWSER

CASES = {
    "/teams/kouluttajat": "/o/acme/teams/kouluttajat",
    "/teams": "/o/acme/teams",
    "/assess": "/o/acme/assess",
    "/hr": "/o/acme/hr/reserve",
    "/hr/holders?competence=digcomp22:4.2": "/o/acme/hr/holders?competence=digcomp22:4.2",
    "/admin": "/o/acme/admin",
    "/admin/events?state=parked": "/o/acme/admin/events?state=parked",
}


def _location(client: Any, path: str) -> str:
    answer = client.get(path, headers={"Accept": BROWSER})
    assert answer.status_code == 303, (path, answer.status_code)
    return str(answer.headers["Location"])


def test_the_short_addresses_lead_to_the_organisations_pages(
    web_app: Any, acme: Org, provider: Any
) -> None:
    signed_out = web_app.test_client()
    for short, long in CASES.items():
        assert _location(signed_out, short).endswith(long), short
    # ... where a signed-out browser is asked to sign in
    assert "/o/acme/sign-in" in _location(signed_out, "/o/acme/admin")
    with web_app.test_request_context(), session_scope(database()) as session:
        upsert_organisation(session, slug="globex", name="Globex")
    assert _location(signed_out, "/admin").endswith("/")  # several: choose one first
    aino = signed_in(web_app, acme, provider)
    assert _location(aino, "/assess").endswith("/o/acme/assess")  # hers
