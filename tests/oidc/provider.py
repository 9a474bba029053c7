"""A real OpenID Provider on loopback: ``node op.mjs`` (the ``oidc-provider`` package from
npm, pinned by package-lock.json) started as a process for the sign-in tests.

Without node or ``tests/oidc/node_modules`` the tests that need it are skipped, or fail when
``BADGESERVICE_REQUIRE_OP=1`` (``make test`` sets it after ``npm ci --prefix tests/oidc``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests

OP_DIR = Path(__file__).resolve().parent
REQUIRE_ENV = "BADGESERVICE_REQUIRE_OP"

__all__ = ["OpenIdProvider", "log_in_at_provider", "require_provider", "start_provider"]


@dataclass
class OpenIdProvider:
    issuer: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)


def unavailable_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (OP_DIR / "node_modules" / "oidc-provider").is_dir():
        return "tests/oidc/node_modules is missing (run: npm ci --prefix tests/oidc)"
    return None


def require_provider() -> None:
    """Skip (or fail, when required) a test that needs the OpenID Provider."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"the OpenID Provider is required ({REQUIRE_ENV}=1) but {reason}")
    pytest.skip(f"OpenID Provider unavailable: {reason}")


@contextmanager
def start_provider(
    clients: Sequence[Mapping[str, Any]], accounts: Mapping[str, Mapping[str, Any]]
) -> Iterator[OpenIdProvider]:
    """Run the provider with ``clients`` (client_id, client_secret, redirect_uris) and
    ``accounts`` (login name → claims) until the block ends."""
    require_provider()
    settings = {"port": 0, "clients": list(clients), "accounts": dict(accounts)}
    process = subprocess.Popen(
        ["node", str(OP_DIR / "op.mjs"), json.dumps(settings)],
        cwd=OP_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    match = None
    while match is None:
        line = process.stdout.readline()
        if not line:  # it exited
            process.kill()
            pytest.fail(f"the OpenID Provider did not start: {''.join(seen)}")
        seen.append(line)  # the package warns about its development defaults first
        match = re.search(r"ready (http://127\.0\.0\.1:\d+)", line)
    provider = OpenIdProvider(match.group(1), process, seen)

    def drain() -> None:  # keep reading so the process never blocks on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            provider.output.append(line)

    threading.Thread(target=drain, daemon=True).start()
    try:
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=30)


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = values.get("action")
        if tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def log_in_at_provider(authorize_url: str, login: str, redirect_prefix: str) -> str:
    """Walk the provider's own login form as a browser would (no JavaScript needed) and
    return the URL it finally redirects to under ``redirect_prefix`` (the callback with the
    code and state)."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(20):
        if url.startswith(redirect_prefix):
            return url
        answer = browser.get(url, allow_redirects=False, timeout=30)
        if answer.is_redirect:
            url = urllib.parse.urljoin(url, answer.headers["Location"])
            continue
        form = _Form()
        form.feed(answer.text)
        assert form.action, f"no form at {url}: {answer.status_code} {answer.text[:500]}"
        data = dict(form.fields)
        data.update(login=login, password="any password")
        posted = browser.post(
            urllib.parse.urljoin(url, form.action), data=data, allow_redirects=False, timeout=30
        )
        assert posted.is_redirect, f"{posted.status_code} {posted.text[:500]}"
        url = urllib.parse.urljoin(url, posted.headers["Location"])
    raise AssertionError(f"no redirect to {redirect_prefix} after 20 steps")
