"""The background steps of notices by e-mail, composed with the pages' rendering: queue
the expiry reminders and weekly digests that have come due (once a minute), and send what
is due over SMTP (each round). Without ``BADGESERVICE_SMTP_URL`` nothing is sent: notices
wait in the outbox until a server is configured."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from flask import Flask

from ..db import database, session_scope, utcnow
from ..notices.queueing import queue_digests, queue_expiry_reminders
from ..notices.sending import SmtpSettings, Transport, send_due
from .mail import render_notice

__all__ = ["NoticeSteps"]


class NoticeSteps:
    def __init__(
        self,
        app: Flask,
        *,
        echo: Callable[[str], object] = print,
        transport: Transport | None = None,
        clock: Callable[[], datetime] = utcnow,
        queue_every: float = 60.0,
    ) -> None:
        self.app = app
        self.echo = echo
        self.clock = clock
        self.queue_every = queue_every
        self._queued_at = float("-inf")
        url = str(app.config.get("SMTP_URL") or "")
        self.transport = transport or (SmtpSettings.from_url(url).send if url else None)

    def queue(self) -> int:
        """Reminders and digests due now (at most once per ``queue_every`` seconds)."""
        if time.monotonic() - self._queued_at < self.queue_every:
            return 0
        self._queued_at = time.monotonic()
        now = self.clock()
        with self.app.test_request_context(), session_scope(database()) as session:
            return queue_expiry_reminders(session, now) + queue_digests(session, now)

    def send(self) -> int:
        """Send the due notices (none without an SMTP server)."""
        if self.transport is None:
            return 0
        with self.app.test_request_context(), session_scope(database()) as session:
            sent = send_due(session, render_notice, self.transport, self.clock())
        if sent:
            self.echo(f"notices: {sent} e-mail(s) sent")
        return sent
