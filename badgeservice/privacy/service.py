"""What the API, the pages and the command line call: a person's export as a temporary
file, and their erasure, each recorded in the audit trail."""

from __future__ import annotations

import tempfile
from typing import IO

from sqlalchemy.orm import Session

from ..organisations.services import record_event
from ..people.models import Person
from .erasure import ErasureReport, erase_person
from .export import SCHEMA_PATH, write_export

__all__ = ["SCHEMA_PATH", "erase", "export_file", "export_filename", "schema_url"]


def schema_url(public_url: str) -> str:
    """Where the service publishes the export's JSON Schema."""
    return f"{public_url.rstrip('/')}/{SCHEMA_PATH}"


def export_filename(person: Person) -> str:
    return f"personal-data-{person.id}.zip"


def export_file(session: Session, person: Person, actor: str, public_url: str) -> IO[bytes]:
    """The person's archive in a temporary file (deleted when closed), at its start."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller streams and closes it
    try:
        document = write_export(session, person, out, schema_url(public_url))
    except BaseException:
        out.close()
        raise
    record_event(
        session,
        person.organisation_id,
        actor,
        "person.exported",
        f"person {person.id}",
        {"files": len(document["files"])},
    )
    out.seek(0)
    return out


def erase(session: Session, person: Person, actor: str) -> ErasureReport:
    """Erase the person (one transaction: the caller's); the report of what was done."""
    return erase_person(session, person, actor)
