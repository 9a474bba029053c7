"""Drive the reference JavaScript Data Integrity stack (``jsstack.mjs``) from pytest.

``js(request)`` sends one JSON request to ``node jsstack.mjs`` and returns its JSON
answer; batch many credentials into one request (one node start-up each).

Tests get it through the session fixture ``jsstack``, which skips them when ``node``
or ``tests/interop/node_modules`` is missing, or fails them instead when
``BADGESERVICE_REQUIRE_INTEROP=1`` (CI sets it after ``npm ci --prefix tests/interop``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_vector, read_vector

INTEROP_DIR = Path(__file__).resolve().parent
ROOT = INTEROP_DIR.parent.parent
HARNESS = INTEROP_DIR / "jsstack.mjs"
REQUIRE_ENV = "BADGESERVICE_REQUIRE_INTEROP"
TIMEOUT_SECONDS = 300

JsStack = Callable[[dict[str, Any]], dict[str, Any]]


class JsStackError(RuntimeError):
    """The harness refused a whole request (bad input, unknown op, key mismatch...)."""


def unavailable_reason() -> str | None:
    """Why the harness cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (INTEROP_DIR / "node_modules").is_dir():
        return "tests/interop/node_modules is missing (run: npm ci --prefix tests/interop)"
    return None


def js(request: dict[str, Any]) -> dict[str, Any]:
    """Run one request through ``node jsstack.mjs`` and return the parsed response."""
    node = shutil.which("node")
    if node is None:
        raise JsStackError("node is not installed")
    proc = subprocess.run(
        [node, str(HARNESS)],
        input=json.dumps(request).encode("ascii"),
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
        cwd=INTEROP_DIR,
        check=False,
    )
    stdout = proc.stdout.decode("utf-8")
    stderr = proc.stderr.decode("utf-8", errors="replace").strip()
    try:
        response: dict[str, Any] = json.loads(stdout)
    except json.JSONDecodeError:
        raise JsStackError(
            f"jsstack.mjs exited {proc.returncode} without a JSON answer; "
            f"stdout={stdout[:2000]!r} stderr={stderr[:4000]!r}"
        ) from None
    if proc.returncode != 0 or "error" in response:
        raise JsStackError(f"jsstack.mjs: {response.get('error')} (stderr: {stderr[:2000]!r})")
    return response


@pytest.fixture(scope="session")
def jsstack() -> JsStack:
    """The ``js`` helper, once the harness is known to start and answer."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"interop harness required ({REQUIRE_ENV}=1) but {reason}")
        pytest.skip(f"interop harness unavailable: {reason}")
    smoke = js({"op": "canonize", "document": {"@id": "urn:x:a", "urn:x:p": "v"}})
    assert smoke == {"nquads": '<urn:x:a> <urn:x:p> "v" .\n'}, smoke
    return js


def controller_document(
    controller: str, verification_method: str, public_key_multibase: str
) -> dict[str, Any]:
    """A controller document with one Multikey listed in assertionMethod.

    The DID v1 context comes first on purpose: jsonld-signatures' ControllerProofPurpose
    then reads ``assertionMethod`` directly. With any other first context it JSON-LD-frames
    the document with security/v2 in safe mode, and e.g. a multikey-only context makes
    that fail ("assertionMethod" does not expand).
    """
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [
            {
                "id": verification_method,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": public_key_multibase,
            }
        ],
        "assertionMethod": [verification_method],
    }


# -- the known-answer vectors (tests/data/testvectors) -------------------------------------

vector_json = load_vector
vector_text = read_vector


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if INTEROP_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.interop)
