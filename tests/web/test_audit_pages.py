"""The admin's audit page through the real application: an action on a page is recorded
with the signed-in person and where they came from, the list filters and pages, the
downloads carry the filters, the retention form saves (and is itself recorded); only
admins enter, and only their own organisation's entries show."""

from __future__ import annotations

import csv
import io
from typing import Any

from badgeservice.audit.services import record
from badgeservice.db import database, session_scope
from tests.web.conftest import Org, form_token, signed_in
from tests.web.test_public_pages import BROWSER, page, text_of

AUDIT = "/o/acme/admin/audit"


def test_a_page_action_names_the_person_and_where_from(
    web_app: Any, acme: Org, provider: Any
) -> None:
    admin = signed_in(web_app, acme, provider, "tuomas")
    token = form_token(page(admin, "/o/acme/admin/clients"))
    created = admin.post(
        "/o/acme/admin/clients",
        data={"csrf_token": token, "name": "reporting", "scope": ["hr:read"]},
        headers={"Accept": BROWSER, "User-Agent": "Firefox/140 audit-test"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    assert created.status_code == 200
    shown = text_of(page(admin, f"{AUDIT}?action=client."))
    assert "client.created" in shown and "(reporting)" in shown
    tuomas = _person_id(web_app, "Tuomas")
    assert "Tuomas" in shown and tuomas in shown
    assert "198.51.100.23" in shown and "Firefox/140 audit-test" in shown
    assert "page" in shown  # the channel
    # The same entry in the CSV the page links to.
    download = admin.get(f"{AUDIT}.csv?action=client.created")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="audit.csv"'
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    mine = [row for row in rows if "reporting" in row["target"]]
    assert len(mine) == 1
    assert mine[0]["actor_kind"] == "person" and mine[0]["channel"] == "page"
    assert mine[0]["actor_id"] == tuomas
    assert all(row["action"].startswith("client.created") for row in rows)


def _person_id(web_app: Any, given_name: str) -> str:
    from sqlalchemy import select

    from badgeservice.people.models import Person

    with web_app.test_request_context(), session_scope(database()) as session:
        return str(session.scalar(select(Person.id).where(Person.given_name == given_name)))


def test_filters_paging_and_downloads(web_app: Any, acme: Org, provider: Any) -> None:
    with web_app.test_request_context(), session_scope(database()) as session:
        for number in range(55):
            record(session, acme.id, "test.entry", f"thing {number:02d}", {"n": number})
        record(session, acme.id, "other.entry", "something else")
    admin = signed_in(web_app, acme, provider, "tuomas")
    first = page(admin, f"{AUDIT}?action=test.")
    assert first.count("<tr>") == 50 + 1  # the header row and 50 entries
    assert "thing 54" in first and "thing 04" not in first
    older = page(admin, f"{AUDIT}?action=test.&page=2")
    assert older.count("<tr>") == 5 + 1 and "thing 00" in older and "Newer" in older
    assert 'href="/o/acme/admin/audit.csv?action=test."' in first
    assert 'href="/o/acme/admin/audit.jsonl?action=test."' in first
    lines = admin.get(f"{AUDIT}.jsonl?action=test.").get_data(as_text=True).splitlines()
    assert len(lines) == 55
    assert "something else" in page(admin, f"{AUDIT}?target=ELSE")
    assert "thing 0" not in text_of(page(admin, f"{AUDIT}?target=else"))
    assert "No entries match" in page(admin, f"{AUDIT}?action=test.&to=2000-01-01")
    assert "thing 54" in page(admin, f"{AUDIT}?action=test.&from=2000-01-01")
    page(admin, f"{AUDIT}?from=yesterday", status=400)
    page(admin, f"{AUDIT}?page=0", status=400)
    page(admin, f"{AUDIT}?actor={'x' * 301}", status=400)
    assert admin.get(f"{AUDIT}.xml").status_code in (400, 404)


def test_retention_is_set_on_the_page_within_bounds(web_app: Any, acme: Org, provider: Any) -> None:
    admin = signed_in(web_app, acme, provider, "tuomas")
    html = page(admin, AUDIT)
    assert 'name="audit" type="number" required min="90" max="36500" value="730"' in html
    token = form_token(html)
    saved = admin.post(
        "/o/acme/admin/retention",
        data={"csrf_token": token, "inbox": "30", "deliveries": "180", "audit": "400"},
        headers={"Accept": BROWSER},
    )
    assert saved.status_code == 303
    after = page(admin, saved.headers["Location"])
    assert "The retention periods were saved" in after and 'value="400"' in after
    assert "organisation.retention_changed" in after
    refused = admin.post(
        "/o/acme/admin/retention",
        data={"csrf_token": token, "inbox": "30", "deliveries": "180", "audit": "10"},
        headers={"Accept": BROWSER},
    )
    assert refused.status_code == 400
    assert 'value="400"' in page(admin, AUDIT)


def test_only_admins_and_only_their_own(
    web_app: Any, acme: Org, provider: Any, make_org: Any
) -> None:
    other = make_org("globex", {"x": ("Xena", "xena@globex.example", "G1", True)})
    with web_app.test_request_context(), session_scope(database()) as session:
        record(session, other.id, "test.secret", "globex thing")
    for login in ("aino", "helena", "mikko", "riikka"):
        visitor = signed_in(web_app, acme, provider, login)
        page(visitor, AUDIT, status=403)
        assert visitor.get(f"{AUDIT}.csv").status_code == 403
    admin = signed_in(web_app, acme, provider, "tuomas")
    assert "globex thing" not in page(admin, AUDIT)
    assert "globex thing" not in admin.get(f"{AUDIT}.csv").get_data(as_text=True)
    # Signed in to another organisation counts as signed out there.
    elsewhere = admin.get("/o/globex/admin/audit", headers={"Accept": BROWSER})
    assert elsewhere.status_code == 303 and "/o/globex/sign-in" in elsewhere.headers["Location"]


def test_the_page_speaks_finnish_and_swedish(web_app: Any, acme: Org, provider: Any) -> None:
    admin = signed_in(web_app, acme, provider, "tuomas")
    assert "Tapahtumaloki" in page(admin, AUDIT, "fi")
    assert "Granskningslogg" in page(admin, AUDIT, "sv")
