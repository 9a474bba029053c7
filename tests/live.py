"""A real server process on loopback, for the tests that must talk HTTP to one."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

__all__ = ["free_port", "http", "serve_example"]


# Ports for the tests' servers come from below the kernel's ephemeral range (32768 and up
# on Linux), so no outgoing connection can take one between "free" and the server's bind;
# each process walks its own stretch of it, so parallel workers do not hand out the same.
_PORTS = range(20000, 32000)
_next_port = [(os.getpid() * 997) % len(_PORTS)]


def free_port() -> int:
    """A loopback port nobody listens on, for a server the test is about to start."""
    for _ in range(len(_PORTS)):
        port = _PORTS[_next_port[0] % len(_PORTS)]
        _next_port[0] += 1
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port between 20000 and 32000")


def http(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


# The operator's token for /metrics on the servers of serve_example.
METRICS_TOKEN = "metrics token of the live tests"


def serve_example(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    prepare: Callable[[Path], Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """The example organisations (and what ``prepare`` adds to the copy of ``issuers/``)
    loaded into a ``badgeservice serve`` on loopback."""
    folder = tmp_path_factory.mktemp("service")
    shutil.copytree(ROOT / "issuers", folder / "issuers")
    if prepare is not None:
        prepare(folder / "issuers")
    port = free_port()
    env = {
        **os.environ,
        "BADGESERVICE_DATABASE_URL": database_url,
        "BADGESERVICE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BADGESERVICE_SECRET_KEY": "interop test secret",
        # Tests may point HR endpoints at loopback receivers (an operator's allow-list).
        "BADGESERVICE_OUTBOUND_ALLOW": "127.0.0.0/8,::1",
        "BADGESERVICE_METRICS_TOKEN": METRICS_TOKEN,
    }

    def cli(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "badgeservice", *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    cli("db", "upgrade")
    cli("issuers", "load")
    client = json.loads(
        cli("clients", "create", "--organisation", "esimerkkiopisto", "--scopes", "admin", "--json")
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "badgeservice", "serve", "--port", str(port), "--workers", "2"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if http("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
        yield {"base": base, "token": client["token"], "cli": cli, "metrics": METRICS_TOKEN}
    finally:
        process.terminate()
        process.wait(timeout=30)
