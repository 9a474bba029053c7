"""Status-list entries: random free indexes in the issuer's newest list, a new list when it
is full (the probe in the list query, the further probes, reading the used indexes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from badgeservice.achievements.services import AchievementContent, upsert_achievement
from badgeservice.credentials.statuslist import MIN_ENTRIES
from badgeservice.db import database, session_scope
from badgeservice.issuers.models import Issuer, StatusList
from badgeservice.issuing.models import Credential
from badgeservice.issuing.services import IssuingService
from badgeservice.people.models import Person


def test_entries_are_distinct_and_a_full_list_is_followed_by_a_new_one(
    app: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    with app.test_request_context(), session_scope(database()) as session:
        person = Person(organisation_id=tenant.organisation_id, employee_number="E1")
        session.add(person)
        achievement, _ = upsert_achievement(
            session,
            organisation_id=tenant.organisation_id,
            issuer_id=tenant.issuer_id,
            slug="teamwork",
            content=AchievementContent(
                name="Teamwork", description="Works in a team.", criteria_narrative="Peers."
            ),
        )
        session.flush()
        issuing = IssuingService(
            session,
            public_url=app.config["PUBLIC_URL"],
            keystore=app.extensions["badgeservice.keystore"],
        )
        issuer = session.get(Issuer, tenant.issuer_id)
        assert issuer is not None
        # The first credential opens list 1; shrink it to 5 entries so that it fills up.
        first = issuing.issue(person=person, version=achievement.current, occurrence="o0")
        lists = session.scalars(select(StatusList).where(StatusList.issuer_id == issuer.id))
        (status_list,) = list(lists)
        status_list.length = 5
        if first.credential.status_index >= 5:
            first.credential.status_index = 0
        session.flush()
        for number in range(1, 9):
            issuing.issue(person=person, version=achievement.current, occurrence=f"o{number}")
        rows = session.execute(
            select(StatusList.number, Credential.status_index)
            .join(StatusList, StatusList.id == Credential.status_list_id)
            .where(Credential.person_id == person.id)
        ).all()
    in_first = sorted(index for number, index in rows if number == 1)
    in_second = [index for number, index in rows if number == 2]
    assert in_first == [0, 1, 2, 3, 4]  # every entry of the full list used, none twice
    assert len(in_second) == 4
    assert len(set(in_second)) == 4
    assert all(0 <= index < MIN_ENTRIES for index in in_second)
