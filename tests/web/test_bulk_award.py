"""Bulk award through the real application: a CSV with ten bad lines among a hundred is
checked (every line's outcome shown, nothing issued), confirmed, awarded in batches by the
background step; confirming twice or uploading the same file again issues nothing twice;
unusable files are refused with the reason; only admins."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from badgeservice.bulkawards.services import process_batch
from badgeservice.db import database, session_scope
from badgeservice.issuing.models import Credential
from badgeservice.issuing.services import issuing_service
from badgeservice.people.models import Person
from tests.web.conftest import Org, form_token, signed_in
from tests.web.test_public_pages import BROWSER, page, text_of

BADGES = [
    "search-strategies",
    "evaluating-sources",
    "managing-learner-records",
    "digital-customer-service",
    "shared-workspaces",
    "online-etiquette",
    "copyright-and-licences",
    "phishing-awareness",
    "digital-wellbeing",
    "sustainable-it",
]


def _people(web_app: Any, count: int) -> list[str]:
    with web_app.app_context(), session_scope(database()) as session:
        org = session.scalar(
            select(Person.organisation_id).where(Person.employee_number == "E1003")
        )
        numbers = [f"B{index:04d}" for index in range(count)]
        for number in numbers:
            session.add(
                Person(organisation_id=org, employee_number=number, email=f"{number}@acme.example")
            )
        session.add(Person(organisation_id=org, employee_number="GONE", active=False))
    return numbers


def _csv(people: list[str]) -> bytes:
    lines = ["person;badge;narrative;evidence_url"]
    lines += [f"{person};{badge};Kurssi suoritettu;" for person in people for badge in BADGES]
    lines += [
        "NOBODY;data-protection;;",
        "nobody@acme.example;data-protection;;",
        "X999;data-protection;;",
        f"{people[0]};no-such-badge;;",
        f"{people[0]};trainers-digital-2027/no-such-step;;",
        f"{people[0]};data-protection;;ftp://files.example.org/x",
        f"{people[1]};data-protection;;javascript:alert(1)",
        f"{people[0]};{BADGES[0]};again;",  # repeats line 2
        "GONE;data-protection;;",
        f"{people[2]};{'x' * 10};;",
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _upload(client: Any, data: bytes, name: str = "awards.csv") -> Any:
    html = page(client, "/o/acme/admin/bulk")
    return client.post(
        "/o/acme/admin/bulk",
        data={"csrf_token": form_token(html), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers={"Accept": BROWSER},
    )


def _run(web_app: Any) -> int:
    total = 0
    while True:
        with web_app.test_request_context(), session_scope(database()) as session:
            done = process_batch(session, issuing_service(session), limit=40)
        if not done:
            return total
        total += done


def _credentials(web_app: Any) -> int:
    with web_app.app_context(), session_scope(database()) as session:
        return int(session.scalar(select(func.count()).select_from(Credential)) or 0)


def test_a_dry_run_then_the_awards_exactly_once(web_app: Any, acme: Org, provider: Any) -> None:
    tuomas = signed_in(web_app, acme, provider, "tuomas")
    data = _csv(_people(web_app, 9))
    answer = _upload(tuomas, data)
    assert answer.status_code == 303, answer.data[:300]
    job = answer.headers["Location"]
    preview = text_of(page(tuomas, job))
    assert "This is a dry run" in preview
    assert "With a problem (not awarded) 10" in preview and "To be issued 90" in preview
    for words in (
        "no such person",
        "no such badge or step",
        "not a web address",
        "the same person and badge as line 2",
        "deactivated",
    ):
        assert words in preview, words
    assert _credentials(web_app) == 0  # nothing issued by looking

    html = page(tuomas, job)
    assert tuomas.post(f"{job}/confirm", data={"csrf_token": form_token(html)}).status_code == 303
    again = tuomas.post(f"{job}/confirm", data={"csrf_token": form_token(html)})
    assert again.status_code == 303  # the button pressed twice: nothing more
    assert "0 of 90 lines processed" in text_of(page(tuomas, job))
    assert _run(web_app) == 90
    done = text_of(page(tuomas, job))
    assert "Done: every line has its outcome." in done
    assert "Issued 90" in done and "Already held 0" in done
    assert _credentials(web_app) == 90

    # The same file again: the same ten problems, and everything else already held.
    second = _upload(tuomas, data).headers["Location"]
    assert second != job
    preview = text_of(page(tuomas, second))
    assert "Already held (nothing to issue) 90" in preview and "To be issued 0" in preview
    html = page(tuomas, second)
    tuomas.post(f"{second}/confirm", data={"csrf_token": form_token(html)})
    assert _run(web_app) == 90
    assert "Issued 0" in text_of(page(tuomas, second))
    assert _credentials(web_app) == 90
    assert "awards.csv" in text_of(page(tuomas, "/o/acme/admin/bulk"))


def test_unusable_files_are_refused_with_the_reason(web_app: Any, acme: Org, provider: Any) -> None:
    tuomas = signed_in(web_app, acme, provider, "tuomas")
    cases = {
        b"name;badge\nE1003;data-protection\n": "must name the columns person and badge",
        "person;badge\nE1003;tietosuoja\n".encode("utf-16"): "not UTF-8",
        b"person,badge\n\n\n": "no award lines",
        b'person,badge\n"E1003,data-protection\n': "not valid CSV",
    }
    for data, words in cases.items():
        answer = _upload(tuomas, data)
        assert answer.status_code == 400, words
        assert words in text_of(answer.get_data(as_text=True)), words
    page(tuomas, "/o/acme/admin/bulk/00000000-0000-4000-8000-000000000000", status=404)
    aino = signed_in(web_app, acme, provider)
    page(aino, "/o/acme/admin/bulk", status=403)
