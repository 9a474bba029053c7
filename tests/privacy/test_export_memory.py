"""A large export is written one row at a time into a temporary file: with 60 MiB of
evidence files the export's peak of Python memory stays near one file, not the whole."""

from __future__ import annotations

import os
import tracemalloc
import zipfile
from typing import Any

from badgeservice.db import database, session_scope
from badgeservice.evidence.models import EvidenceClaim, EvidenceFile
from badgeservice.people.models import Person
from badgeservice.privacy.service import export_file
from tests.factories import load_example

MIB = 1024 * 1024
FILES = 12


def test_the_export_streams_large_evidence_through_a_temporary_file(
    app: Any, tmp_path: Any
) -> None:
    example = load_example(app, tmp_path)
    with app.test_request_context(), session_scope(database()) as session:
        person = Person(organisation_id=example.organisation_id, employee_number="BIG-1")
        session.add(person)
        session.flush()
        person_id = person.id
        for index in range(FILES):
            claim = EvidenceClaim(
                organisation_id=example.organisation_id,
                person_id=person.id,
                sub_goal_id=example.sub_goal_id,
                narrative=f"claim {index}",
                state="returned",
            )
            data = os.urandom(5 * MIB)
            claim.files = [
                EvidenceFile(
                    position=0,
                    filename=f"f{index}.bin",
                    media_type="application/pdf",
                    size=len(data),
                    data=data,
                )
            ]
            session.add(claim)
            session.flush()
            session.expunge_all()  # the bytes are not kept in this test's memory either
    del data
    with app.test_request_context(), session_scope(database()) as session:
        person = session.get(Person, person_id)
        assert person is not None
        tracemalloc.start()
        try:
            out = export_file(session, person, "test", app.config["PUBLIC_URL"])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        with out, zipfile.ZipFile(out) as archive:
            sizes = [
                info.file_size
                for info in archive.infolist()
                if info.filename.startswith("evidence/")
            ]
    assert sizes == [5 * MIB] * FILES
    # 60 MiB went through; the export held about one file (and its copy) at a time.
    assert peak < 25 * MIB, f"peak {peak / MIB:.1f} MiB"
    print(f"export of {FILES * 5} MiB of evidence: peak {peak / MIB:.1f} MiB")
