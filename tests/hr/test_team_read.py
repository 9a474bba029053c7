"""team:read: a supervisor's own token follows the teams they supervise, and nothing else
of the organisation is found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from badgeservice.db import database, session_scope
from badgeservice.errors import BadRequest
from badgeservice.organisations.services import create_client, organisation_by_slug
from badgeservice.people.services import get_person
from tests.factories import load_example

API = "/api/v1"
SUPERVISOR = "E1002"  # supervises the trainers (kouluttajat)


def _token(app: Any, supervisor: str | None, scopes: tuple[str, ...] = ("team:read",)) -> str:
    with app.test_request_context(), session_scope(database()) as session:
        org = organisation_by_slug(session, "esimerkkiopisto")
        person = get_person(session, org.id, supervisor) if supervisor else None
        issued = create_client(
            session,
            org,
            name=f"supervisor-{supervisor}-{'-'.join(scopes)}",
            scopes=scopes,
            keystore=app.extensions["badgeservice.keystore"],
            supervisor_id=person.id if person else None,
        )
        return issued.token


def test_a_supervisor_token_sees_only_the_supervised_teams(
    app: Any, client: Any, tmp_path: Path
) -> None:
    example = load_example(app, tmp_path)
    admin = example.admin_headers
    headers = {"Authorization": f"Bearer {_token(app, SUPERVISOR)}"}

    def status(url: str) -> int:
        return int(client.get(url, headers=headers).status_code)

    teams = client.get(f"{API}/teams", headers=headers).get_json()["items"]
    assert [t["slug"] for t in teams] == ["kouluttajat"]
    assert status(f"{API}/teams/kouluttajat") == 200
    overview = client.get(f"{API}/teams/kouluttajat/overview", headers=headers).get_json()
    members = set(overview["memberIds"])
    assert members
    for other in ("tietohallinto", "johto", "opiskelijapalvelut"):
        assert status(f"{API}/teams/{other}") == 404
        assert status(f"{API}/teams/{other}/overview") == 404
        assert status(f"{API}/hr/reserve?team={other}") == 404
    assert status(f"{API}/people/E1003") == 200  # a trainer
    assert status(f"{API}/people/E1003/paths") == 200
    assert status(f"{API}/people/E1001") == 404  # management, not a trainer
    assert status(f"{API}/people/E1009/paths") == 404  # ICT support
    assert status(f"{API}/hr/reserve?team=kouluttajat") == 200
    award = client.post(
        f"{API}/awards",
        headers=admin,
        json={"subGoal": "digital-strategy-2027/data-protection", "person": "E1003"},
    )
    assert award.status_code == 201
    holders = client.get(
        f"{API}/hr/holders?competence=digcomp22:4.2&team=kouluttajat", headers=headers
    ).get_json()["items"]
    assert [h["employeeNumber"] for h in holders] == ["E1003"]
    # Organisation-wide questions are not the supervisor's: refused, not answered.
    assert status(f"{API}/hr/reserve") == 403
    assert status(f"{API}/hr/holders?competence=digcomp22:4.2") == 403
    for url in ("/people", "/paths", "/credentials", "/hr/competences", "/events"):
        assert status(f"{API}{url}") == 403, url
    denied = client.post(
        f"{API}/awards",
        headers=headers,
        json={"subGoal": "digital-strategy-2027/data-protection", "person": "E1004"},
    )
    assert denied.status_code == 403

    # A supervisor who leaves (deactivated) sees nothing any more.
    assert client.delete(f"{API}/people/{SUPERVISOR}", headers=admin).status_code in (200, 204)
    assert client.get(f"{API}/teams", headers=headers).get_json()["items"] == []
    assert status(f"{API}/teams/kouluttajat/overview") == 404


def test_team_read_needs_a_supervisor(app: Any, client: Any, tmp_path: Path) -> None:
    load_example(app, tmp_path)
    with pytest.raises(BadRequest, match="supervisor"):
        _token(app, None)
    with pytest.raises(BadRequest, match="only a team:read"):
        _token(app, SUPERVISOR, ("hr:read",))
