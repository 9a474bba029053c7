"""Recognition of prior learning through the real application: a learner submits evidence
(text, a link, files) for a step of their path; an assessor of the organisation returns it
with a reason, the learner submits again, the assessor accepts; the badge carries the
evidence and its HR event the method ``assessor``; files are downloads for the learner and
the assessors only; nobody assesses their own evidence; every decision is in the audit
trail."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import select

from badgeservice.db import database, session_scope
from badgeservice.evidence.models import ClaimState, EvidenceClaim
from badgeservice.hr.models import CompetenceEvent
from tests.web.conftest import Org, form_token, signed_in
from tests.web.test_public_pages import BROWSER, page, text_of

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOTES = b"Course plan notes: Moodle quiz and AI-assisted feedback.\n"


def _evidence_link(client: Any, step: str = "AI in teaching") -> str:
    html = page(client, "/o/acme/path")
    links = re.findall(r'href="(/o/acme/path/evidence/[0-9a-f-]+)">([^<]+)<span', html)
    assert links, "the path offers evidence for some steps"
    for href, _words in links:
        if step in page(client, href):
            return str(href)
    raise AssertionError(f"no evidence link for {step}")


def _submit(client: Any, link: str, narrative: str, files: list[tuple[bytes, str]]) -> Any:
    html = page(client, link)
    data: dict[str, Any] = {
        "csrf_token": form_token(html),
        "narrative": narrative,
        "url": "https://portfolio.example.org/aino/ai-feedback",
        "files": [(io.BytesIO(content), name) for content, name in files],
    }
    return client.post(
        link, data=data, content_type="multipart/form-data", headers={"Accept": BROWSER}
    )


def _claims(web_app: Any) -> list[EvidenceClaim]:
    with web_app.app_context(), session_scope(database()) as session:
        rows = list(session.scalars(select(EvidenceClaim).order_by(EvidenceClaim.submitted_at)))
        session.expunge_all()
        return rows


def test_evidence_is_submitted_returned_resubmitted_and_accepted(
    web_app: Any, acme: Org, provider: Any
) -> None:
    aino = signed_in(web_app, acme, provider)
    link = _evidence_link(aino)
    answer = _submit(aino, link, "I gave AI-assisted feedback.", [(PDF, "plan.pdf")])
    assert answer.status_code == 303, answer.data[:300]
    path = text_of(page(aino, "/o/acme/path?submitted=1"))
    assert "Your evidence was submitted." in path
    assert "waiting for an assessor" in path
    again = _submit(aino, link, "Twice", [])
    assert again.status_code == 409  # one claim per step waits at a time
    assert page(aino, "/o/acme/assess", status=403)  # a learner does not assess

    riikka = signed_in(web_app, acme, provider, "riikka")
    queue = page(riikka, "/o/acme/assess")
    assert "Aino Virtanen" in text_of(queue)
    claim_page = re.search(r'href="(/o/acme/assess/[0-9a-f-]+)"', queue)
    assert claim_page
    html = page(riikka, claim_page.group(1))
    assert "I gave AI-assisted feedback." in text_of(html)
    download = re.search(r'href="(/o/acme/assess/[^"]+/files/[^"]+)"', html)
    assert download
    got = riikka.get(download.group(1))
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert aino.get(download.group(1)).status_code == 403  # not an assessor

    token = form_token(html)
    no_reason = riikka.post(claim_page.group(1), data={"csrf_token": token, "decision": "return"})
    assert no_reason.status_code == 400
    assert "Say why" in text_of(no_reason.get_data(as_text=True))
    returned = riikka.post(
        claim_page.group(1),
        data={"csrf_token": token, "decision": "return", "reason": "Add the quiz results."},
    )
    assert returned.status_code == 303
    assert "Add the quiz results." in text_of(page(aino, "/o/acme/path"))

    resubmitted = _submit(aino, link, "Now with the quiz results.", [(NOTES, "notes.txt")])
    assert resubmitted.status_code == 303
    second = _claims(web_app)[-1]
    html = page(riikka, f"/o/acme/assess/{second.id}")
    assert "Add the quiz results." in text_of(html)  # the history of the step
    accepted = riikka.post(
        f"/o/acme/assess/{second.id}",
        data={"csrf_token": form_token(html), "decision": "accept", "reason": "Convincing."},
    )
    assert accepted.status_code == 303

    first, last = _claims(web_app)
    assert (first.state, last.state) == (ClaimState.RETURNED, ClaimState.ACCEPTED)
    assert last.credential_id is not None and last.decided_by_id is not None
    credential = aino.get(f"/api/v1/credentials/{last.credential_id}", headers=acme.headers)
    document = credential.get_json()["credential"]
    (evidence,) = document["evidence"]
    assert evidence["narrative"] == "Now with the quiz results."
    assert evidence["id"] == "https://portfolio.example.org/aino/ai-feedback"
    assert evidence["description"] == "Convincing."
    with web_app.app_context(), session_scope(database()) as session:
        payloads = [
            event.payload
            for event in session.scalars(select(CompetenceEvent))
            if event.payload["data"]["evidence"]["credential_id"].endswith(str(last.credential_id))
        ]
    assert payloads and all(p["data"]["assessment"]["method"] == "assessor" for p in payloads), (
        payloads
    )
    audit = aino.get("/api/v1/audit", headers=acme.headers).get_json()["items"]
    assert [e["action"] for e in audit if e["action"].startswith("evidence.")] == [
        "evidence.accepted",
        "evidence.returned",
    ]
    assert "waiting for an assessor" not in text_of(page(riikka, "/o/acme/assess"))


def test_only_safe_files_are_taken(web_app: Any, acme: Org, provider: Any) -> None:
    aino = signed_in(web_app, acme, provider)
    link = _evidence_link(aino)
    for content, name in (
        (b"<html><script>alert(1)</script></html>", "page.txt"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image.png"),
        (b"\x00\x01\x02binary", "tool.exe"),
        (b"", "empty.pdf"),
    ):
        answer = _submit(aino, link, "Evidence", [(content, name)])
        assert answer.status_code == 400, name
        assert name in text_of(answer.get_data(as_text=True))
    answer = _submit(aino, link, "Evidence", [(PDF, f"p{n}.pdf") for n in range(4)])
    assert "at most 3 files" in text_of(answer.get_data(as_text=True))
    assert _claims(web_app) == []


def test_nobody_assesses_their_own_evidence(web_app: Any, acme: Org, provider: Any) -> None:
    riikka = signed_in(web_app, acme, provider, "riikka")
    link = _evidence_link(riikka)
    assert _submit(riikka, link, "My own work", []).status_code == 303
    (claim,) = _claims(web_app)
    html = page(riikka, f"/o/acme/assess/{claim.id}")
    assert "another assessor decides it" in text_of(html)
    answer = riikka.post(
        f"/o/acme/assess/{claim.id}",
        data={"csrf_token": form_token(html), "decision": "accept"},
        headers={"Accept": BROWSER},
    )
    assert answer.status_code == 403
    assert _claims(web_app)[0].state == ClaimState.SUBMITTED
    page(riikka, "/o/acme/assess/00000000-0000-4000-8000-000000000000", status=404)


def test_an_assessor_sees_only_their_organisations_evidence(
    web_app: Any, acme: Org, provider: Any
) -> None:
    import pytest

    from badgeservice.errors import NotFound
    from badgeservice.evidence.services import claim_for_assessor, queue
    from badgeservice.organisations.services import upsert_organisation

    aino = signed_in(web_app, acme, provider)
    assert _submit(aino, _evidence_link(aino), "Mine", []).status_code == 303
    (claim,) = _claims(web_app)
    with web_app.test_request_context(), session_scope(database()) as session:
        other = upsert_organisation(session, slug="globex", name="Globex")
        assert queue(session, other.id) == []
        assert [c.id for c in queue(session, acme.id)] == [claim.id]
        with pytest.raises(NotFound):
            claim_for_assessor(session, other.id, claim.id)
