"""The key store the service uses, from configuration.

With nothing configured (the embedded default) a random secret is created once under
``instance/`` (mode 600) so the one-command demo works; production sets
``BADGESERVICE_KEY_ENCRYPTION_KEY`` or ``BADGESERVICE_SECRET_KEY``.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .keystore import KeyStore, LocalKeyStore

__all__ = ["instance_secret", "keystore_from_config"]

log = logging.getLogger(__name__)


def instance_secret(folder: Path) -> str:
    """The instance's random secret (created once, mode 600)."""
    path = folder / "secret-key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    log.warning("no BADGESERVICE_SECRET_KEY set: created %s for this instance", path)
    return secret


def keystore_from_config(config: Mapping[str, Any]) -> KeyStore:
    """A :class:`LocalKeyStore` under the configured key-encryption key(s)."""
    secret = config.get("SECRET_KEY")
    kek = config.get("KEY_ENCRYPTION_KEY")
    if not secret and not kek:
        secret = instance_secret(Path(config.get("INSTANCE_PATH") or "instance"))
    return LocalKeyStore.from_config(secret, kek=kek)
