"""The ``badgeservice`` command line for operators and other tools.

Every command answers unusable input (malformed JSON, a missing file, an unknown context,
an unsafe document, a wrong key format) with one ``error: …`` line and exit status 2.

Commands import what they need when they run: ``--help`` and the quick commands start
without the JSON-LD stack or the web application.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .clitools import InputError, fail, handles_errors
from .credentials.errors import CredentialError

if TYPE_CHECKING:
    from .credentials.proofs import SigningOrdering

MAX_INPUT_BYTES = 64 * 1024 * 1024


def read_bytes(source: str) -> bytes:
    """Read a file, or standard input for ``-``, within the size limit."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{source}: no such file")
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{source}: larger than {MAX_INPUT_BYTES} bytes")
    return data


def read_json(source: str) -> Any:
    """Read and parse JSON, naming the file and position of a syntax error."""
    data = read_bytes(source)
    name = "standard input" if source == "-" else source
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text") from None
    except RecursionError:
        raise InputError(f"{name}: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def read_credential(source: str) -> Any:
    """A credential (or a JSON array of them) from a JSON file, a VC-JWT (a file holding a
    compact JWS, returned as the string), or what a PNG or SVG badge image carries."""
    data = read_bytes(source)
    name = "standard input" if source == "-" else source
    if data.startswith(b"\x89PNG") or data.lstrip().startswith(b"<"):
        from .credentials import baking

        baked = baking.unbake(data)
        if baked.credential is None and baked.jws is None:
            raise InputError(f"{name}: the image carries no credential to verify")
        return baked.credential if baked.credential is not None else baked.jws
    from .credentials.jose import looks_like_compact_jws

    text = data.decode("utf-8", "replace")
    if looks_like_compact_jws(text):
        return text.strip()
    return read_json(source)


def write_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def parse_now(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from .credentials.proofs import parse_datetime

    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise InputError(f"{option}: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="badgeservice")
def cli() -> None:
    """Open Badges 3.0 issuing and competence recognition."""


@cli.group()
def keys() -> None:
    """Signing keys."""


@keys.command("generate")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the key file here (mode 600).")
@handles_errors
def keys_generate(out: str | None) -> None:
    """Generate an Ed25519 key pair as Multikey JSON."""
    from .credentials.multikey import KeyPair

    text = json.dumps(KeyPair.generate().to_json(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


@cli.group()
def credentials() -> None:
    """Sign, verify, bake and unbake credentials."""


@credentials.command("sign")
@click.option("--key", "key_file", required=True, help="Key file (keys generate).")
@click.option("--created", help="Proof creation time (ISO 8601); default now.")
@click.option("--verification-method", help="Verification method URL; default the key's did:key.")
@click.option(
    "--no-schema",
    is_flag=True,
    help="Sign even what the verifier would reject (not a VerifiableCredential, or an Open "
    "Badge that breaks the 1EdTech JSON Schema).",
)
@click.option(
    "--ordering",
    type=click.Choice(["refuse", "code-point", "utf-16"]),
    default="refuse",
    show_default=True,
    help="When code-point (RDFC-1.0) and UTF-16 (JavaScript verifiers) order would sort the "
    "statements differently: refuse, or sign in the order given.",
)
@click.argument("source", default="-")
@handles_errors
def credentials_sign(
    key_file: str,
    created: str | None,
    verification_method: str | None,
    no_schema: bool,
    ordering: SigningOrdering,
    source: str,
) -> None:
    """Sign a credential (or a JSON array of them) with eddsa-rdfc-2022.

    What the verifier would reject is refused (exit 2, with the JSON path at fault) unless
    --no-schema is given.
    """
    from .credentials.multikey import KeyPair
    from .credentials.proofs import sign
    from .credentials.verify import check_signable

    key = KeyPair.from_json_text(read_bytes(key_file).decode("utf-8", "replace"))
    document = read_json(source)
    when: datetime | str = created if created is not None else datetime.now(UTC)

    def one(item: Any, index: int | None) -> dict[str, Any]:
        try:
            signed = sign(
                item, key, verification_method=verification_method, created=when, ordering=ordering
            )
            if not no_schema:
                # After signing, so unusable JSON-LD is reported as such first.
                check_signable(item)
            return signed
        except CredentialError as exc:
            if index is None:
                raise
            raise InputError(f"element {index}: {exc}") from None

    if isinstance(document, list):
        write_json([one(d, i) for i, d in enumerate(document)])
    else:
        write_json(one(document, None))


@credentials.command("verify")
@click.option(
    "--did-document",
    "did_documents",
    multiple=True,
    help="A controller (DID) document to resolve keys from; repeatable.",
)
@click.option(
    "--status-list",
    "status_lists",
    multiple=True,
    help="A signed status list credential; repeatable.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Fetch nothing: keys and status lists only from --did-document and --status-list.",
)
@click.option(
    "--no-status",
    is_flag=True,
    help="Do not check revocation status (the report then warns that it was not checked).",
)
@click.option(
    "--allow-loopback-http",
    is_flag=True,
    help="Allow plain HTTP to loopback addresses (local test servers); otherwise HTTPS only.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=300),
    default=10.0,
    show_default=True,
    help="Seconds allowed for each document fetched.",
)
@click.option("--now", help="Check validity at this time (ISO 8601) instead of now.")
@click.argument("source", default="-")
@handles_errors
def credentials_verify(
    did_documents: tuple[str, ...],
    status_lists: tuple[str, ...],
    offline: bool,
    no_status: bool,
    allow_loopback_http: bool,
    timeout: float,
    now: str | None,
    source: str,
) -> None:
    """Verify a credential (or a JSON array, a VC-JWT file, or a baked PNG or SVG badge);
    exit 0 verified, 1 not, 2 unusable input.

    did:web documents and status lists are fetched over HTTPS unless --offline is given.
    A credential whose status cannot be checked is not verified (unless --no-status).
    """
    from .credentials.fetch import Fetcher
    from .credentials.verify import verify_credential, verify_vc_jwt

    documents = [read_json(path) for path in did_documents]
    lists = {}
    for path in status_lists:
        entry = read_json(path)
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise InputError(f"{path}: a status list credential must be an object with an id")
        lists[entry["id"]] = entry
    moment = parse_now(now, "--now")
    document = read_credential(source)
    fetcher = None
    if not offline:
        fetcher = Fetcher(
            allow_loopback_http=allow_loopback_http,
            timeout=timeout,
            documents=tuple(documents),
            status_lists=lists,
        )
    batch = document if isinstance(document, list) else [document]
    reports = []
    for index, item in enumerate(batch):
        verify = verify_vc_jwt if isinstance(item, str) else verify_credential
        try:
            reports.append(
                verify(
                    item,
                    resolver=fetcher,
                    documents=documents,
                    status_lists=lists,
                    status_source=fetcher,
                    check_status=not no_status,
                    now=moment,
                )
            )
        except CredentialError as exc:
            prefix = f"element {index}: " if isinstance(document, list) else ""
            raise InputError(prefix + str(exc)) from None
    output = [r.to_json() for r in reports]
    write_json(output if isinstance(document, list) else output[0])
    for warning in sorted({w for r in reports for w in r.warnings}):
        click.echo(f"warning: {warning}", err=True)
    sys.exit(0 if all(r.verified for r in reports) else 1)


@credentials.command("bake")
@click.option("--image", required=True, help="PNG or SVG image to bake into.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Baked image file.")
@click.argument("source", default="-")
@handles_errors
def credentials_bake(image: str, out: str, source: str) -> None:
    """Embed a signed credential in a PNG or SVG badge image."""
    from .credentials import baking

    credential = read_json(source)
    if not isinstance(credential, dict):
        raise InputError("the credential to bake must be a JSON object")
    Path(out).write_bytes(baking.bake(read_bytes(image), credential))


@credentials.command("unbake")
@click.argument("image")
@handles_errors
def credentials_unbake(image: str) -> None:
    """Print the credential baked into a PNG or SVG image."""
    from .credentials import baking

    baked = baking.unbake(read_bytes(image))
    if baked.credential is not None:
        write_json(baked.credential)
    else:
        click.echo(baked.jws or baked.text)


@credentials.command("demo")
@handles_errors
def credentials_demo() -> None:
    """Issue an example credential with the library alone, bake it, verify, revoke."""
    from .demo import run_demo

    if not run_demo(click.echo):
        fail("the demo credential did not verify as expected")


def main() -> None:
    """Console entry point."""
    from . import commands
    from .audit.actors import OPERATOR, acting

    commands.register(cli)
    try:
        with acting(OPERATOR, "cli"):
            cli(prog_name="badgeservice")
    except KeyboardInterrupt:
        fail("interrupted")
