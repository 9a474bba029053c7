"""``badgeservice obapi push``: push a credential to another Open Badges 3.0 Host, as the
1EdTech certification of the optional write client asks (the certification suite plays the
Host; whoever runs the test consents in a browser)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import click

from ..clitools import InputError, handles_errors

__all__ = ["obapi_group"]

_CALLBACK_PATH = "/callback"


@click.group("obapi")
def obapi_group() -> None:
    """The Open Badges 3.0 API as a consumer of other Hosts."""


@obapi_group.command("push")
@click.option("--host", "host_url", required=True, help="The Host's base URL (before /ims/).")
@click.option(
    "--credential",
    "credential_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The credential: a JSON document, or a VC-JWT (compact JWS) in a .jws/.jwt file.",
)
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Profile (JSON) to PUT after the credential (asks for profile.update too).",
)
@click.option(
    "--redirect-uri",
    help="Register this redirect URI and read the callback URL the browser arrives at from "
    "standard input (default: a listener on 127.0.0.1 receives it).",
)
@click.option("--port", default=0, show_default="any free", help="Port of the loopback listener.")
@click.option("--wait", default=600, show_default=True, help="Seconds to wait for the consent.")
@click.option("--client-name", default="badgeservice", show_default=True)
@click.option("--client-uri", help="The home page registered (default: BADGESERVICE_PUBLIC_URL).")
@handles_errors
def obapi_push(
    host_url: str,
    credential_file: Path,
    profile_file: Path | None,
    redirect_uri: str | None,
    port: int,
    wait: int,
    client_name: str,
    client_uri: str | None,
) -> None:
    """Discovery, registration, authorization (open the printed URL and consent), token,
    upsertCredential (and putProfile). Prints the Host's answers."""
    from ..config import load_config
    from ..egress import EgressPolicy
    from ..obapi.client import PushError, WriteClient

    credential = _read_credential(credential_file)
    profile = _read_json(profile_file) if profile_file else None
    config = load_config()
    try:
        client = WriteClient(
            EgressPolicy.from_config(config),
            client_name=client_name,
            client_uri=client_uri or config["PUBLIC_URL"],
        )
        host = client.discover(host_url)
        click.echo(f"discovery: {host.api_url}", err=True)
        listener = None if redirect_uri else _Listener(port)
        try:
            uri = redirect_uri or listener.redirect_uri  # type: ignore[union-attr]
            registration = client.register(host, uri, profile=profile is not None)
            click.echo(f"registered as client {registration.client_id}", err=True)
            authorization = client.authorization(host, registration)
            click.echo("Open this URL in a browser, sign in and consent:", err=True)
            click.echo(authorization.url)
            if listener is not None:
                callback = listener.wait(wait)
            else:
                callback = click.prompt("The URL the browser arrived at", err=True).strip()
        finally:
            if listener is not None:
                listener.close()
        tokens = client.exchange(host, registration, authorization, callback)
        result = client.upsert_credential(host, registration, tokens, credential)
        words = "created" if result.created else "replaced"
        click.echo(f"upsertCredential: {result.status} {words}")
        if profile is not None:
            put = client.put_profile(host, registration, result.tokens, profile)
            click.echo(f"putProfile: {put.status}")
    except PushError as exc:
        raise InputError(str(exc)) from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"{path}: not a JSON document") from None


def _read_credential(path: Path) -> Any:
    """A JSON document as its object; anything else (a compact JWS) as its text."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    if text.startswith("{"):
        return _read_json(path)
    if text.count(".") != 2 or any(ch.isspace() for ch in text):
        raise InputError(f"{path}: neither a JSON credential nor a compact JWS")
    return text


class _Listener:
    """The loopback redirect URI (RFC 8252 §7.3): one GET to /callback is the answer."""

    def __init__(self, port: int) -> None:
        arrived: list[str] = []
        done = threading.Event()

        class Callback(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = self.path.startswith(_CALLBACK_PATH)
                if found and not done.is_set():
                    arrived.append(self.path)
                    done.set()
                body = b"You may close this window and return to the command line.\n"
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass  # the query carries the code

        self._server = HTTPServer(("127.0.0.1", port), Callback)
        self._arrived = arrived
        self._done = done
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_port}{_CALLBACK_PATH}"

    def wait(self, seconds: float) -> str:
        if not self._done.wait(seconds):
            raise InputError(f"no callback arrived within {seconds:g} s")
        return self.redirect_uri.removesuffix(_CALLBACK_PATH) + self._arrived[0]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
