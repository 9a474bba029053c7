"""Sending the outbox over SMTP: ``BADGESERVICE_SMTP_URL`` (``smtp://user:pass@host:25``,
``smtp+starttls://…:587``, ``smtps://…:465``) from ``BADGESERVICE_MAIL_FROM``. Each due
notice is claimed (locked, skipping those another worker holds), drawn by the caller's
``render`` and handed to the server; on failure it waits and tries again (1 min, 5 min,
30 min, 2 h, 6 h, then every 6 h) until two days have passed. The Message-ID is the
notice's own, so a receiver can tell a resent copy (a crash between the server's answer
and the commit) from a new notice."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Notice, NoticeState

__all__ = ["MAX_AGE", "SmtpSettings", "Transport", "send_due"]

RETRIES = (60, 300, 1800, 7200, 21600)
MAX_AGE = timedelta(days=2)
Transport = Callable[[EmailMessage], None]
Render = Callable[[Session, Notice], EmailMessage | None]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how mail is handed over; the password never appears in ``repr``."""

    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    user: str | None
    password: str | None = None
    timeout: float = 30.0

    def __repr__(self) -> str:
        return f"SmtpSettings({self.security}://{self.host}:{self.port}, user={self.user!r})"

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """ValueError naming what is wrong with ``url`` (never echoing a password)."""
        parts = urlsplit(url)
        security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}.get(parts.scheme)
        if security is None or not parts.hostname:
            raise ValueError(
                "BADGESERVICE_SMTP_URL: use smtp://, smtp+starttls:// or smtps:// with a host"
            )
        default = {"plain": 25, "starttls": 587, "tls": 465}[security]
        try:
            port = parts.port or default
        except ValueError:
            raise ValueError("BADGESERVICE_SMTP_URL: the port is not a number") from None
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.hostname, port, security, user, password)

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server (raises ``smtplib.SMTPException`` or ``OSError``)."""
        context = ssl.create_default_context()
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)


def send_due(
    session: Session, render: Render, transport: Transport, now: datetime, limit: int = 20
) -> int:
    """Send up to ``limit`` due notices, each recorded as it goes; returns how many were
    sent. ``render`` returns None for a notice with nothing left to tell (the badge was
    revoked meanwhile): it is closed without an e-mail."""
    due = list(
        session.scalars(
            select(Notice)
            .where(Notice.state == NoticeState.PENDING, Notice.next_attempt_at <= now)
            .order_by(Notice.next_attempt_at, Notice.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    sent = 0
    for notice in due:
        message = render(session, notice)
        if message is None:
            notice.state, notice.last_error = NoticeState.SENT, "nothing to tell any more"
            continue
        try:
            transport(message)
        except (smtplib.SMTPException, OSError) as exc:
            _failed(notice, now, f"{type(exc).__name__}: {exc}"[:500])
            continue
        notice.state, notice.sent_at, notice.last_error = NoticeState.SENT, now, None
        notice.attempts += 1
        sent += 1
    session.flush()
    return sent


def _failed(notice: Notice, now: datetime, error: str) -> None:
    notice.attempts += 1
    notice.last_error = error
    if now - notice.created_at >= MAX_AGE:
        notice.state = NoticeState.DEAD
        return
    wait = RETRIES[min(notice.attempts - 1, len(RETRIES) - 1)]
    notice.next_attempt_at = now + timedelta(seconds=wait)
