"""Notices by e-mail against a real SMTP server on loopback (aiosmtpd): an award sends one
e-mail in its earner's language, with the badge inline and links that resolve; a server
that is down gets the notice later, once; a person who turned a kind off gets none;
reminders come at the organisation's offsets and digests once a week (clock injected)."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from badgeservice.db import database, session_scope, utcnow
from badgeservice.notices.models import Notice, NoticeState
from badgeservice.notices.queueing import queue_digests, queue_expiry_reminders
from badgeservice.notices.sending import SmtpSettings
from badgeservice.people.models import Person
from badgeservice.web.notice_steps import NoticeSteps
from tests.live import free_port
from tests.web.conftest import Org, signed_in
from tests.web.test_public_pages import BROWSER

pytestmark = pytest.mark.db


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _steps(web_app: Any, port: int, when: datetime | None = None) -> NoticeSteps:
    transport = SmtpSettings.from_url(f"smtp://127.0.0.1:{port}").send
    return NoticeSteps(web_app, transport=transport, clock=lambda: when or utcnow(), queue_every=0)


def _award(client: Any, acme: Org, badge: str, person: str = "E1003") -> dict[str, Any]:
    answer = client.post(
        "/api/v1/awards", headers=acme.headers, json={"achievement": badge, "person": person}
    )
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def _notices(web_app: Any) -> list[Notice]:
    with web_app.app_context(), session_scope(database()) as session:
        rows = list(session.scalars(select(Notice).order_by(Notice.created_at)))
        session.expunge_all()
        return rows


def _set(web_app: Any, number: str, **values: Any) -> None:
    with web_app.app_context(), session_scope(database()) as session:
        person = session.scalar(select(Person).where(Person.employee_number == number))
        assert person is not None
        for key, value in values.items():
            setattr(person, key, value)


def test_an_award_sends_one_email_in_the_earners_language(
    web_app: Any, acme: Org, provider: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    aino = signed_in(web_app, acme, provider)
    awarded = _award(aino, acme, "data-protection")
    assert _steps(web_app, port).send() == 1
    assert _steps(web_app, port).send() == 0  # once
    (message,) = inbox.messages
    assert message["To"] == "aino.virtanen@acme.example"
    assert message["Subject"].startswith("Sinulla on uusi osaamismerkki")  # Finnish, hers
    assert message["Message-ID"].startswith(f"<notice-{_notices(web_app)[0].id}@")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    badge_link = f"/o/acme/badges/{awarded['id']}"
    assert badge_link in text and badge_link in html
    assert "Henkilötietojen suojaaminen" in text
    # The image travels inline; nothing is fetched from anywhere (no tracking pixel).
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"]
    assert "<img" in html and 'src="http' not in html
    page = aino.get(badge_link, headers={"Accept": BROWSER})
    assert page.status_code == 200  # the link resolves, for her
    # Swedish for Sanna, whose badges are in Swedish.
    _award(aino, acme, "data-protection", "E1006")
    _steps(web_app, port).send()
    assert inbox.messages[-1]["Subject"].startswith("Du har fått ett nytt märke")


def test_a_server_that_is_down_gets_the_notice_later_once(
    web_app: Any, acme: Org, provider: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    client = signed_in(web_app, acme, provider)
    _award(client, acme, "digital-wellbeing")
    down = free_port()
    assert _steps(web_app, down).send() == 0
    (notice,) = _notices(web_app)
    assert notice.state == NoticeState.PENDING and notice.attempts == 1
    assert "ConnectionRefusedError" in (notice.last_error or "")
    assert _steps(web_app, port).send() == 0  # not due yet: it waits
    later = utcnow() + timedelta(minutes=2)
    assert _steps(web_app, port, later).send() == 1
    assert _steps(web_app, port, later + timedelta(hours=1)).send() == 0
    assert len(inbox.messages) == 1 and _notices(web_app)[0].state == NoticeState.SENT


def test_a_kind_turned_off_sends_nothing(
    web_app: Any, acme: Org, provider: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    aino = signed_in(web_app, acme, provider)
    html = aino.get("/o/acme/settings", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert 'name="notice_issued" checked' in html
    assert 'name="notice_digest"' not in html  # a supervisor's choice only
    from tests.web.conftest import form_token

    saved = aino.post(
        "/o/acme/settings",
        data={"csrf_token": form_token(html), "public_name": "full", "notice_expiry": "on"},
    )
    assert saved.status_code == 303
    _award(aino, acme, "sustainable-it")
    assert _notices(web_app) == []
    assert _steps(web_app, port).send() == 0 and inbox.messages == []


def test_reminders_at_the_offsets_and_a_weekly_digest(
    web_app: Any, acme: Org, provider: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    client = signed_in(web_app, acme, provider)
    changed = client.patch(
        "/api/v1/achievements/phishing-awareness", headers=acme.headers, json={"validForDays": 40}
    )
    assert changed.status_code == 200, changed.get_json()
    _award(client, acme, "phishing-awareness")
    now = utcnow()

    def reminders(when: datetime) -> int:
        with web_app.app_context(), session_scope(database()) as session:
            return queue_expiry_reminders(session, when)

    assert reminders(now + timedelta(days=5)) == 0  # 35 days left
    assert reminders(now + timedelta(days=11)) == 1  # 29 left: the 30-day reminder
    assert reminders(now + timedelta(days=12)) == 0  # once
    assert reminders(now + timedelta(days=34)) == 1  # 6 left: the 7-day one
    keys = [n.key for n in _notices(web_app) if n.kind == "expiry"]
    assert [key.rsplit(":", 1)[1] for key in keys] == ["30", "7"]
    _steps(web_app, port, now + timedelta(days=34)).send()
    subjects = [m["Subject"] for m in inbox.messages]
    assert any(s.startswith("Osaamismerkkisi") and "vanhenee pian" in s for s in subjects)
    expiry = inbox.messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Tietojenkalastelun tunnistaminen" in expiry

    _set(web_app, "E1002", notice_settings={"digest": True})  # Mikko supervises trainers

    def digests(when: datetime) -> int:
        with web_app.app_context(), session_scope(database()) as session:
            return queue_digests(session, when)

    assert digests(now) == 1
    assert digests(now + timedelta(hours=1)) == 0
    assert digests(now + timedelta(days=7)) == 1  # the next week's


def test_an_organisations_own_offsets(web_app: Any, acme: Org, provider: Any) -> None:
    from badgeservice.organisations.models import Organisation

    client = signed_in(web_app, acme, provider)
    client.patch(
        "/api/v1/achievements/digital-wellbeing", headers=acme.headers, json={"validForDays": 20}
    )
    _award(client, acme, "digital-wellbeing")
    with web_app.app_context(), session_scope(database()) as session:
        organisation = session.get(Organisation, acme.id)
        assert organisation is not None
        organisation.reminder_days = [14]
    with web_app.app_context(), session_scope(database()) as session:
        assert queue_expiry_reminders(session, utcnow() + timedelta(days=3)) == 0  # 17 left
        assert queue_expiry_reminders(session, utcnow() + timedelta(days=7)) == 1  # 13 left
    assert [n.key.rsplit(":", 1)[1] for n in _notices(web_app) if n.kind == "expiry"] == ["14"]


def test_badges_issued_before_the_notice_went_are_one_email(
    web_app: Any, acme: Org, provider: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    client = signed_in(web_app, acme, provider)
    for badge in ("data-protection", "digital-wellbeing", "sustainable-it"):
        _award(client, acme, badge)
    (notice,) = _notices(web_app)
    assert len(notice.payload["credentials"]) == 3
    assert _steps(web_app, port).send() == 1
    (message,) = inbox.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.count("/o/acme/badges/") == 3
    _award(client, acme, "phishing-awareness")  # after it went: a new one
    assert _steps(web_app, port).send() == 1 and len(inbox.messages) == 2


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"SMTP_URL": "http://mail.example.org"}, "use smtp://, smtp+starttls:// or smtps://"),
        ({"SMTP_URL": "smtp://mail.example.org:twentyfive"}, "the port is not a number"),
        ({"SMTP_URL": "smtps://user:s3cret@"}, "with a host"),
        ({"MAIL_FROM": "badges"}, "BADGESERVICE_MAIL_FROM: an e-mail address"),
        ({"MAIL_FROM": "a@b.example\r\nBcc: x@y.example"}, "BADGESERVICE_MAIL_FROM"),
    ],
)
def test_mail_settings_are_checked_when_the_service_starts(
    tmp_path: Any, overrides: dict[str, str], words: str
) -> None:
    """A malformed SMTP address or sender stops the web server at start with the setting
    named (never echoing a password), not the worker at its first notice."""
    from badgeservice.app import create_app
    from badgeservice.config import ConfigurationError

    config = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "SECRET_KEY": "x",
        "INSTANCE_PATH": str(tmp_path),
        "PUBLIC_URL": "http://127.0.0.1:5000",
    }
    with pytest.raises(ConfigurationError, match=re.escape(words)) as raised:
        create_app({**config, **overrides})
    assert "s3cret" not in str(raised.value)
    create_app({**config, "SMTP_URL": "smtp+starttls://u:p@mail.example.org"})  # a good one
