"""Browser tests: Playwright's Python package driving Debian's Chromium (never a browser
Playwright downloads) against a real server process and a real OpenID Provider, both on
127.0.0.1, with axe-core (from npm, pinned by package-lock.json) injected into every page.

Without Chromium, Playwright or ``tests/browser/node_modules`` the tests are skipped, or
fail when ``BADGESERVICE_REQUIRE_BROWSER=1`` (``make test`` sets it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, fresh_database
from tests.live import free_port
from tests.oidc.provider import OpenIdProvider, start_provider

BROWSER_DIR = Path(__file__).resolve().parent
AXE = BROWSER_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = BROWSER_DIR / "screenshots"
CHROMIUM = os.environ.get("BADGESERVICE_CHROMIUM", "/usr/bin/chromium")
REQUIRE_ENV = "BADGESERVICE_REQUIRE_BROWSER"
ORG = "esimerkkiopisto"
NEIGHBOUR = "naapuriopisto"
SECRET_ENV = "BROWSER_TEST_OIDC_SECRET"
# The closed network of a test machine: nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# People of the example organisation who can log in at the provider (login → claims).
ACCOUNTS = {
    "aino": {"employee_number": "E1003", "email": "aino.virtanen@esimerkkiopisto.example.org"},
    "helena": {"employee_number": "E1001", "email": "helena.korhonen@esimerkkiopisto.example.org"},
    "riikka": {"employee_number": "E1008", "email": "riikka.jarvinen@esimerkkiopisto.example.org"},
    "tuomas": {"employee_number": "E1009", "email": "tuomas.lehtonen@esimerkkiopisto.example.org"},
    "mikko": {"employee_number": "E1002", "email": "mikko.laaksonen@esimerkkiopisto.example.org"},
    "stranger": {"employee_number": "E9999", "email": "stranger@elsewhere.example"},
}


def verify_with_cli(path: Path) -> None:
    """``badgeservice credentials verify`` accepts the file (JSON, or a baked PNG or SVG),
    resolving keys and status lists from the site over loopback HTTP."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "badgeservice",
            "credentials",
            "verify",
            "--allow-loopback-http",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def unavailable_reason() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not AXE.is_file():
        return "tests/browser/node_modules is missing (run: npm ci --prefix tests/browser)"
    return None


def require_browser() -> None:
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"browser tests are required ({REQUIRE_ENV}=1) but {reason}")
    pytest.skip(f"browser tests unavailable: {reason}")


@dataclass
class Site:
    base: str
    provider: OpenIdProvider
    token: str = ""  # an admin API token of the example organisation
    # The server's environment (its database, public URL and secret), for a test that runs
    # a background step of its own against the same site.
    env: dict[str, str] = field(default_factory=dict)


def _neighbour(issuers: Path) -> None:
    """A second organisation (a copy of the example under another slug and colour), so the
    front door lists organisations and tenants can be told apart."""
    folder = issuers / NEIGHBOUR
    shutil.copytree(issuers / ORG, folder)
    profile = folder / "organisation.toml"
    text = profile.read_text(encoding="utf-8")
    text = text.replace(f'slug = "{ORG}"', f'slug = "{NEIGHBOUR}"', 1)
    text = text.replace('name = "Esimerkkiopisto"', 'name = "Naapuriopisto"', 1)
    text = text.replace('accent_color = "#0b5b6b"', 'accent_color = "#7a1f5c"', 1)
    profile.write_text(text, encoding="utf-8")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example organisations served by ``badgeservice serve`` on loopback, signing in
    through the provider (matched by employee number, from UserInfo)."""
    require_browser()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = {
        "client_id": "badgeservice-pages",
        "client_secret": "browser test client secret",
        "redirect_uris": [f"{base}/o/{ORG}/sign-in/callback"],
    }
    with (
        start_provider([client], ACCOUNTS) as provider,
        fresh_database(tmp_path_factory) as database_url,
    ):
        folder = tmp_path_factory.mktemp("site")
        shutil.copytree(ROOT / "issuers", folder / "issuers")
        with (folder / "issuers" / ORG / "organisation.toml").open("a", encoding="utf-8") as fh:
            fh.write(
                f'\n[sign_in]\nissuer = "{provider.issuer}"\nclient_id = "badgeservice-pages"\n'
                f'client_secret_env = "{SECRET_ENV}"\nmatch = "employee_number"\n'
            )
        _neighbour(folder / "issuers")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BADGESERVICE_")}
        env.update(
            BADGESERVICE_DATABASE_URL=database_url,
            BADGESERVICE_PUBLIC_URL=base,
            BADGESERVICE_SECRET_KEY="browser test secret",
            **{SECRET_ENV: client["client_secret"]},
        )
        for args in (["db", "upgrade"], ["issuers", "load"]):
            done = subprocess.run(
                [sys.executable, "-m", "badgeservice", *args],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, done.stderr
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "badgeservice",
                "clients",
                "create",
                "--organisation",
                ORG,
                "--scopes",
                "admin",
                "--json",
            ],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        token = json.loads(made.stdout)["token"]
        server = subprocess.Popen(
            [sys.executable, "-m", "badgeservice", "serve", "--port", str(port), "--workers", "2"],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=5)
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                pytest.fail("the server did not start")
            yield Site(base, provider, token, env)
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, each launch with a fresh temporary profile."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(chromium: Any) -> Iterator[Any]:
    """Make isolated browser contexts (own cookies) in a language, with axe-core injected
    into every document."""
    made: list[Any] = []

    def make(language: str = "en", width: int = 1280) -> Any:
        locale = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}[language]
        context = chromium.new_context(
            locale=locale,
            viewport={"width": width, "height": 900},
            extra_http_headers={"Accept-Language": f"{locale},{language};q=0.9"},
            reduced_motion="reduce",
        )
        context.add_init_script(path=str(AXE))
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
