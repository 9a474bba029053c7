"""Loading organisation folders: complete, idempotent, versioning issued achievements."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from badgeservice.achievements.models import Achievement
from badgeservice.db import database, session_scope
from badgeservice.definitions.loader import load_definitions
from badgeservice.errors import BadRequest
from badgeservice.issuing.models import Credential
from badgeservice.models import Base
from badgeservice.paths.models import Path as PathRow
from badgeservice.paths.models import SubGoal, Trigger
from badgeservice.people.models import Person
from tests.conftest import ROOT


def _load(app: Any, root: Path) -> list[str]:
    with app.test_request_context(), session_scope(database()) as session:
        return list(load_definitions(session, root, app))


def _snapshot(app: Any) -> dict[str, int]:
    with app.app_context(), session_scope(database()) as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def issuers_dir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    return tmp_path / "issuers"


def test_example_organisation_loads_completely_and_idempotently(
    app: Any, issuers_dir: Path
) -> None:
    first = _load(app, issuers_dir)
    assert first[0].startswith("esimerkkiopisto: ")
    assert "achievements created" in first[0]
    counts = _snapshot(app)
    assert counts["paths"] >= 5
    assert counts["sub_goals"] >= 12
    assert counts["triggers"] >= 12
    assert counts["people"] >= 8
    assert counts["competences"] == 26  # DigComp 2.2: 5 areas + 21 competences
    second = _load(app, issuers_dir)
    assert "created" not in second[0] and "updated" not in second[0], second
    assert _snapshot(app) == counts
    with app.app_context(), session_scope(database()) as session:
        kinds = set(session.scalars(select(PathRow.kind)))
        assert kinds == {"organisation", "team", "individual"}
        lms = session.scalars(select(Trigger).where(Trigger.kind == "lms")).all()
        assert lms and all(t.connection and t.activity for t in lms)


def test_changed_achievement_is_edited_until_issued_then_versioned(
    app: Any, client: Any, make_tenant: Any, issuers_dir: Path
) -> None:
    _load(app, issuers_dir)
    toml = issuers_dir / "esimerkkiopisto" / "achievements.toml"
    text = toml.read_text(encoding="utf-8")
    with app.app_context(), session_scope(database()) as session:
        goal = session.scalars(select(SubGoal).order_by(SubGoal.position)).first()
        assert goal is not None
        achievement = session.get(Achievement, goal.achievement_id)
        assert achievement is not None
        slug, name = achievement.slug, achievement.current.name
        person = session.scalars(select(Person).order_by(Person.employee_number)).first()
        assert person is not None
        goal_id, person_id = str(goal.id), str(person.id)
    assert f'"{name}"' in text
    toml.write_text(text.replace(f'"{name}"', f'"{name} (revised)"', 1), encoding="utf-8")
    assert "achievements edited" in _load(app, issuers_dir)[0]

    from badgeservice.organisations.services import create_client, organisation_by_slug

    with app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        token = create_client(
            session,
            org,
            name="t",
            scopes=["awards:write"],
            keystore=app.extensions["badgeservice.keystore"],
        ).token
    response = client.post(
        "/api/v1/awards",
        headers={"Authorization": f"Bearer {token}"},
        json={"subGoal": goal_id, "person": person_id},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["achievementVersion"] == 1

    toml.write_text(text.replace(f'"{name}"', f'"{name} (second revision)"', 1), encoding="utf-8")
    assert "achievements versioned" in _load(app, issuers_dir)[0]
    with app.app_context(), session_scope(database()) as session:
        achievement = session.scalar(select(Achievement).where(Achievement.slug == slug))
        assert achievement is not None
        assert [v.version for v in achievement.versions] == [1, 2]
        assert achievement.versions[0].name == f"{name} (revised)"
        assert achievement.current.name == f"{name} (second revision)"
        issued = session.scalar(select(Credential))
        assert issued is not None
        assert issued.achievement_version_id == achievement.versions[0].id
        assert issued.document["credentialSubject"]["achievement"]["name"] == f"{name} (revised)"


def test_broken_definitions_report_every_problem_and_change_nothing(
    app: Any, issuers_dir: Path
) -> None:
    paths = issuers_dir / "esimerkkiopisto" / "paths.toml"
    text = paths.read_text(encoding="utf-8")
    paths.write_text(
        text.replace('achievement = "', 'achievement = "missing-', 2), encoding="utf-8"
    )
    with pytest.raises(BadRequest) as info:
        _load(app, issuers_dir)
    assert str(info.value).count("missing-") >= 2
    assert _snapshot(app)["organisations"] == 0
    with pytest.raises(BadRequest, match="no such folder"):
        _load(app, issuers_dir / "nowhere")


def test_the_organisation_ordering_is_loaded(app: Any, issuers_dir: Path) -> None:
    from badgeservice.organisations.models import Organisation

    toml = issuers_dir / "esimerkkiopisto" / "organisation.toml"
    line = 'slug = "esimerkkiopisto"'
    toml.write_text(toml.read_text().replace(line, line + '\nnquads_ordering = "code-point"', 1))
    _load(app, issuers_dir)
    with app.app_context(), session_scope(database()) as session:
        organisation = session.scalar(select(Organisation))
        assert organisation is not None
        assert organisation.nquads_ordering == "code-point"
