"""Where personal data lives is declared in one place (badgeservice/privacy/personal.py):
every column of ``people`` is either cleared by erasure or kept on purpose, and every
reference to a person (a foreign key to ``people``, read from the models' metadata) is
either deleted or kept on purpose. A column or table added later fails here until it is
classified; the whole-database scan of the erasure tests backs this up."""

from __future__ import annotations

from sqlalchemy import JSON, String

from badgeservice.models import Base
from badgeservice.people.models import Person
from badgeservice.privacy.erasure import is_confirmed
from badgeservice.privacy.mentions import identifiers_of
from badgeservice.privacy.personal import (
    DELETED_ROWS,
    KEPT_PERSON_COLUMNS,
    KEPT_REFERENCES,
    MENTIONS,
    PERSON_FIELDS,
)


def test_every_column_of_people_is_classified() -> None:
    columns = {column.name for column in Base.metadata.tables["people"].columns}
    assert set(PERSON_FIELDS) & KEPT_PERSON_COLUMNS == set()
    assert columns == set(PERSON_FIELDS) | KEPT_PERSON_COLUMNS


def test_every_reference_to_a_person_is_deleted_or_kept_on_purpose() -> None:
    references = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "people"
    }
    deleted = {f"{table}.{column}" for table, column in DELETED_ROWS.items()}
    assert deleted & set(KEPT_REFERENCES) == set()
    assert references == deleted | set(KEPT_REFERENCES)


def test_every_mention_names_a_text_or_json_column() -> None:
    for mention in MENTIONS:
        column = Base.metadata.tables[mention.table].c[mention.column]
        assert isinstance(column.type, JSON if mention.json else String), mention


def test_identifiers_and_confirmation() -> None:
    person = Person(
        employee_number="E77",
        email="Ann.Lee@example.org",
        given_name="Ann",
        family_name="Lee",
        user_name="alee",
    )
    found = identifiers_of(person)
    assert found[0] == "Ann.Lee@example.org"  # longest first
    assert {"Ann Lee", "Lee Ann", "Lee, Ann", "Ann", "Lee", "alee", "E77"} <= set(found)
    person.given_name = "Al"
    assert "Al" not in identifiers_of(person)  # too short to replace alone
    assert is_confirmed(person, " e77 ") and is_confirmed(person, "AL   lee")
    assert not is_confirmed(person, "Lee") and not is_confirmed(person, "")
