"""A fake HR receiver on loopback: a threaded HTTP server in the test process that checks
Standard Webhooks signatures with its own code (not the service's), records what it
accepted, and misbehaves on demand (answers 500, hangs past the sender's timeout, drops the
connection without an answer), at random or for chosen messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeReceiver", "Receipt", "verify_standard_webhook"]

TOLERANCE = 300


def verify_standard_webhook(secret: str, headers: Any, body: bytes) -> bool:
    """Standard Webhooks ``v1``: HMAC-SHA256 keyed with the base64-decoded ``whsec_``
    secret over ``id.timestamp.body``; a fresh timestamp."""
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature") or ""
    if not message_id or not timestamp or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE:
        return False
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    content = message_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(value, expected)
        for version, _, value in (item.partition(",") for item in signatures.split())
    )


@dataclass(frozen=True)
class Receipt:
    """A message the receiver accepted (answered 2xx, or began to before the sender gave up)."""

    webhook_id: str
    body: bytes
    headers: dict[str, str]
    verified: bool
    late: bool  # accepted after the sender's timeout: the sender saw a failure

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


# What the receiver does with one request.
OK, FAIL, HANG, DROP = "ok", "500", "hang", "drop"


class FakeReceiver:
    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret
        self.receipts: list[Receipt] = []
        self.requests = 0
        self.status = 200
        self.hang_seconds = 2.0
        self.delay = 0.0  # seconds before each 2xx answer
        self.extra_headers: dict[str, str] = {}
        self._lock = threading.Lock()
        self._rules: list[Callable[[str], str | None]] = []
        self._chaos: tuple[random.Random, float, float, float] | None = None
        self.holding = threading.Event()  # set while a request is held (see hold())
        self._release = threading.Event()
        self._release.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                receiver._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/competences"

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    # -- behaviour --------------------------------------------------------------------

    def chaos(self, seed: int, fail: float, hang: float, drop: float) -> None:
        """Misbehave at random: answer 500, hang past the timeout or drop the connection."""
        self._chaos = (random.Random(seed), fail, hang, drop)

    def recover(self) -> None:
        self._chaos = None
        self._rules.clear()
        self.status = 200

    def rule(self, decide: Callable[[str], str | None]) -> None:
        """``decide(webhook_id)`` returns OK, FAIL, HANG, DROP, or None for the default."""
        self._rules.append(decide)

    def hold(self) -> None:
        """Accept the next messages but do not answer until :meth:`release`."""
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def accepted(self) -> list[Receipt]:
        with self._lock:
            return list(self.receipts)

    def ids(self) -> list[str]:
        return [receipt.webhook_id for receipt in self.accepted()]

    def _decide(self, webhook_id: str) -> str:
        for decide in self._rules:
            answer = decide(webhook_id)
            if answer is not None:
                return answer
        if self._chaos is not None:
            rng, fail, hang, drop = self._chaos
            with self._lock:
                draw = rng.random()
            if draw < fail:
                return FAIL
            if draw < fail + hang:
                return HANG
            if draw < fail + hang + drop:
                return DROP
        return OK

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        webhook_id = request.headers.get("webhook-id") or ""
        with self._lock:
            self.requests += 1
        action = self._decide(webhook_id)
        if action == DROP:
            request.close_connection = True
            return  # no answer: the sender sees the connection close
        if action == FAIL or not 200 <= self.status < 300:
            status = 500 if action == FAIL else self.status
            self._answer(request, status, b'{"error":"temporarily unavailable"}')
            return
        receipt = Receipt(
            webhook_id,
            body,
            {key.lower(): value for key, value in request.headers.items()},
            self.secret is not None and verify_standard_webhook(self.secret, request.headers, body),
            late=action == HANG,
        )
        with self._lock:
            self.receipts.append(receipt)
        if action == HANG:
            time.sleep(self.hang_seconds)
        elif self.delay:
            time.sleep(self.delay)
        if not self._release.is_set():
            self.holding.set()
            self._release.wait(30)
        self._answer(request, self.status, b"")

    def _answer(self, request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        try:
            request.send_response(status)
            request.send_header("Content-Length", str(len(body)))
            for name, value in self.extra_headers.items():
                request.send_header(name, value)
            request.send_header("Connection", "close")
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass  # the sender gave up already
        request.close_connection = True
