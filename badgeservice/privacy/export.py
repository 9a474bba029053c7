"""A person's data as a zip: ``export.json`` (described by the published JSON Schema
``schemas/privacy/personal-data-export.schema.json``, which it names in ``$schema``), each
credential's signed JSON and its image with the credential baked in, and each evidence
file. Written into a file the caller gives (a temporary file), one row at a time, so a
large export never sits in memory whole."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..achievements.models import AchievementVersion
from ..credentials import baking
from ..db import utcnow
from ..evidence.models import EvidenceFile
from ..issuing.models import Credential
from ..obapi.models import StoredCredential
from ..organisations.models import Organisation
from ..people.models import Person
from .collect import SECTIONS, profile_of, progress_of, section_rows

__all__ = ["EXPORT_FORMAT", "SCHEMA_PATH", "write_export"]

EXPORT_FORMAT = "badgeservice-personal-data"
SCHEMA_PATH = "schemas/privacy/personal-data-export.schema.json"
_EXTENSIONS = {"image/png": "png", "image/svg+xml": "svg"}


@dataclass
class _Archive:
    zip: zipfile.ZipFile
    files: list[dict[str, Any]] = field(default_factory=list)

    def add(self, path: str, data: bytes, media_type: str, describes: str) -> str:
        self.zip.writestr(path, data)
        self.files.append(
            {
                "path": path,
                "mediaType": media_type,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "describes": describes,
            }
        )
        return path


def write_export(
    session: Session, person: Person, out: IO[bytes], schema_url: str
) -> dict[str, Any]:
    """Write the person's archive into ``out``; returns ``export.json`` as written."""
    organisation = session.get(Organisation, person.organisation_id)
    assert organisation is not None
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = _Archive(archive)
        sections: dict[str, list[dict[str, Any]]] = {}
        for section in SECTIONS:
            rows = list(section_rows(session, section, person))
            if section.name == "credentials":
                rows = [_credential_files(session, files, row) for row in rows]
            elif section.name == "evidenceFiles":
                rows = [_evidence_file(session, files, row) for row in rows]
            elif section.name == "storedCredentials":
                rows = [_brought_image(session, files, row) for row in rows]
            sections[section.name] = rows
        document = {
            "$schema": schema_url,
            "format": EXPORT_FORMAT,
            "version": 1,
            "exportedAt": utcnow().isoformat(),
            "organisation": {
                "id": str(organisation.id),
                "slug": organisation.slug,
                "name": organisation.name,
            },
            "person": profile_of(session, person),
            "progress": progress_of(session, person),
            "sections": sections,
            "files": files.files,
        }
        body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        archive.writestr("export.json", body)
    return document


def _credential_files(session: Session, files: _Archive, row: dict[str, Any]) -> dict[str, Any]:
    """The credential's row naming its signed JSON and baked image (written beside it)."""
    document = row.pop("document")
    credential_id = row["id"]
    row["documentFile"] = files.add(
        f"credentials/{credential_id}.json",
        json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
        "application/ld+json",
        f"credentials/{credential_id}",
    )
    version = session.scalar(
        select(AchievementVersion)
        .join(Credential, Credential.achievement_version_id == AchievementVersion.id)
        .where(Credential.id == uuid.UUID(credential_id))
    )
    row["achievementName"] = version.name if version is not None else None
    row["imageFile"] = None
    if version is not None and version.image and version.image_media_type in _EXTENSIONS:
        extension = _EXTENSIONS[version.image_media_type]
        row["imageFile"] = files.add(
            f"credentials/{credential_id}.{extension}",
            baking.bake(version.image, document),
            version.image_media_type,
            f"credentials/{credential_id}",
        )
    return row


def _brought_image(session: Session, files: _Archive, row: dict[str, Any]) -> dict[str, Any]:
    """The brought badge's row naming its baked image as it was brought, written beside
    it (None when it came as text)."""
    data = session.scalar(
        select(StoredCredential.original).where(StoredCredential.id == uuid.UUID(row["id"]))
    )
    media_type = row.get("original_type")
    row["originalFile"] = None
    if data is not None and media_type in _EXTENSIONS:
        row["originalFile"] = files.add(
            f"brought/{row['id']}.{_EXTENSIONS[media_type]}",
            data,
            media_type,
            f"storedCredentials/{row['id']}",
        )
    return row


def _evidence_file(session: Session, files: _Archive, row: dict[str, Any]) -> dict[str, Any]:
    """The evidence file's row naming its bytes, written beside it."""
    data = session.scalar(select(EvidenceFile.data).where(EvidenceFile.id == uuid.UUID(row["id"])))
    safe = "".join(
        c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in row["filename"]
    )[-100:]
    row["file"] = files.add(
        f"evidence/{row['id']}/{safe or 'file'}",
        data or b"",
        row["media_type"],
        f"evidenceFiles/{row['id']}",
    )
    return row
