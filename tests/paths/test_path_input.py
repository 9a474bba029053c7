"""Bad input for every path write: each answer is a precise 4xx problem+json, nothing is
stored, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import API, add_path, problem, seed_achievements, seed_competence

Body = dict[str, Any]


@pytest.fixture
def acme(app: Any, make_tenant: Any) -> Any:
    tenant = make_tenant("acme")
    tenant.achievements = seed_achievements(app, tenant, "a", "b", "c")
    tenant.competence = seed_competence(app, tenant)
    return tenant


def _goal(slug: str, achievement: str, **fields: Any) -> Body:
    return {"slug": slug, "name": slug.upper(), "achievement": achievement, **fields}


def _path(ids: dict[str, str], competence: str) -> Body:
    return {
        "slug": "p",
        "kind": "organisation",
        "name": "P",
        "targets": [{"competence": competence, "level": 4, "share": 0.5, "due": "2027-06-30"}],
        "subGoals": [_goal("a", ids["a"]), _goal("b", ids["b"], prerequisites=["a"])],
    }


def _set(*keys: str | int, value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        node = body
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _drop(*keys: str | int) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        node = body
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return change


CASES: list[tuple[str, Callable[[Body], None], str, str]] = [
    ("unknown field", _set("colour", value="red"), "colour", "Unknown field"),
    ("unknown sub-goal field", _set("subGoals", 0, "weight", value=2), "subGoals", "Unknown"),
    (
        "unknown trigger field",
        _set("subGoals", 0, "triggers", value=[{"kind": "manual", "course": 1}]),
        "subGoals",
        "Unknown",
    ),
    ("missing slug", _drop("slug"), "slug", "Missing"),
    ("missing kind", _drop("kind"), "kind", "Missing"),
    ("missing sub-goal achievement", _drop("subGoals", 0, "achievement"), "subGoals", "Missing"),
    ("bad slug", _set("slug", value="Digital Content"), "slug", "slug"),
    ("bad sub-goal slug", _set("subGoals", 0, "slug", value="a_b"), "subGoals", "slug"),
    ("bad kind", _set("kind", value="department"), "kind", "Must be one of"),
    ("name wrong type", _set("name", value=["P"]), "name", "Not a valid string"),
    ("blank name", _set("name", value="  "), "name", "blank"),
    # "badge-1" could be an achievement slug: it names none.
    ("achievement unknown", _set("achievement", value="badge-1"), "achievement", "no achievement"),
    ("subGoals not a list", _set("subGoals", value={"a": 1}), "subGoals", "list"),
    (
        "required not a boolean",
        _set("subGoals", 0, "required", value="yes"),
        "subGoals",
        "true or false",
    ),
    ("level too high", _set("subGoals", 0, "level", value=9), "subGoals", "1 to 8"),
    ("level as text", _set("subGoals", 0, "level", value="4"), "subGoals", "integer"),
    ("target level zero", _set("targets", 0, "level", value=0), "targets", "1 to 8"),
    ("share zero", _set("targets", 0, "share", value=0), "targets", "above 0"),
    ("share above one", _set("targets", 0, "share", value=1.5), "targets", "at most 1"),
    ("bad due date", _set("targets", 0, "due", value="2027-02-30"), "targets", "date"),
    ("missing share", _drop("targets", 0, "share"), "targets", "Missing"),
    (
        "bad trigger kind",
        _set("subGoals", 0, "triggers", value=[{"kind": "email"}]),
        "subGoals",
        "Must be one of",
    ),
    (
        "lms without connection",
        _set("subGoals", 0, "triggers", value=[{"kind": "lms", "activity": "course:1"}]),
        "subGoals",
        "need a connection",
    ),
    (
        "xapi without activity",
        _set("subGoals", 0, "triggers", value=[{"kind": "xapi", "connection": "lrs"}]),
        "subGoals",
        "need an activity",
    ),
    (
        "manual with connection",
        _set("subGoals", 0, "triggers", value=[{"kind": "manual", "connection": "moodle"}]),
        "subGoals",
        "have no connection",
    ),
    (
        "evidence with activity",
        _set("subGoals", 0, "triggers", value=[{"kind": "evidence", "activity": "x"}]),
        "subGoals",
        "have no activity",
    ),
    (
        "activity with spaces",
        _set(
            "subGoals",
            0,
            "triggers",
            value=[{"kind": "lms", "connection": "moodle", "activity": "course 1"}],
        ),
        "subGoals",
        "spaces",
    ),
    (
        "unknown prerequisite",
        _set("subGoals", 1, "prerequisites", value=["z"]),
        "subGoals",
        "'z' is not a sub-goal of this path",
    ),
    (
        "own prerequisite",
        _set("subGoals", 1, "prerequisites", value=["b"]),
        "subGoals",
        "own prerequisite",
    ),
    (
        "two-step cycle",
        _set("subGoals", 0, "prerequisites", value=["b"]),
        "subGoals",
        "cycle: a → b → a",
    ),
    ("duplicate sub-goal slug", _set("subGoals", 1, "slug", value="a"), "subGoals", "used twice"),
    (
        "unknown achievement",
        _set("subGoals", 0, "achievement", value="00000000-0000-4000-8000-000000000000"),
        "subGoals",
        "no achievement",
    ),
    (
        "unknown competence",
        _set("targets", 0, "competence", value="00000000-0000-4000-8000-000000000000"),
        "targets",
        "no competence",
    ),
    (
        "too many sub-goals",
        lambda body: body.update(
            subGoals=[_goal(f"g{i}", body["subGoals"][0]["achievement"]) for i in range(201)]
        ),
        "subGoals",
        "at most 200",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_path_input(
    client: Any, acme: Any, change: Callable[[Body], None], field: str, text: str
) -> None:
    body = _path(acme.achievements, acme.competence)
    change(body)
    answer = problem(client.post(f"{API}/paths", json=body, headers=acme.headers), 400)
    assert field in answer["errors"], answer
    assert text in str(answer["errors"][field]), answer
    assert client.get(f"{API}/paths", headers=acme.headers).get_json()["items"] == []


def test_long_cycle_is_named(client: Any, acme: Any) -> None:
    ids = acme.achievements
    body = _path(ids, acme.competence)
    body["subGoals"] = [
        _goal("a", ids["a"], prerequisites=["c"]),
        _goal("b", ids["b"], prerequisites=["a"]),
        _goal("c", ids["c"], prerequisites=["b"]),
    ]
    answer = problem(client.post(f"{API}/paths", json=body, headers=acme.headers), 400)
    assert "cycle: a → c → b → a" in answer["detail"]


def test_two_hundred_sub_goals_are_fine(client: Any, acme: Any) -> None:
    body = _path(acme.achievements, acme.competence)
    body["subGoals"] = [_goal(f"g{i}", acme.achievements["a"]) for i in range(200)]
    response = client.post(f"{API}/paths", json=body, headers=acme.headers)
    assert response.status_code == 201
    path = response.get_json()
    assert len(path["subGoals"]) == 200
    more = {"addSubGoals": [_goal("one-more", acme.achievements["b"])]}
    answer = problem(
        client.patch(f"{API}/paths/{path['id']}", json=more, headers=acme.headers), 400
    )
    assert "at most 200" in answer["detail"]


def test_bad_patches(client: Any, acme: Any) -> None:
    ids = acme.achievements
    path = add_path(
        client,
        acme,
        "p",
        subGoals=[_goal("a", ids["a"]), _goal("b", ids["b"], prerequisites=["a"])],
    )
    url = f"{API}/paths/{path['id']}"

    def refused(body: Any, status: int = 400) -> Body:
        return problem(client.patch(url, json=body, headers=acme.headers), status)

    assert "at least one field" in refused({})["detail"]
    assert "kind" in refused({"kind": "team"})["errors"]
    assert "slug" in refused({"slug": "q"})["errors"]
    assert "not both" in refused({"subGoals": [], "addSubGoals": []})["detail"]
    assert "name" in refused({"name": None})["errors"]
    # A new sub-goal may build on kept ones, but no cycle through them.
    cycle = refused(
        {
            "subGoals": [
                _goal("a", ids["a"], prerequisites=["b"]),
                _goal("b", ids["b"], prerequisites=["a"]),
            ]
        }
    )
    assert "cycle" in cycle["detail"]
    missing = refused({"subGoals": [_goal("b", ids["b"], prerequisites=["a"])]})
    assert "'a' is not a sub-goal" in missing["detail"]
    headers = {**acme.headers, "Content-Type": "application/json"}
    problem(client.patch(url, data="{", headers=headers), 400)
    problem(client.patch(url, data='{"name": "' + "x" * (1024 * 1024) + '"}', headers=headers), 413)
    stored = client.get(url, headers=acme.headers).get_json()
    assert [g["prerequisites"] for g in stored["subGoals"]] == [[], ["a"]]


def test_bad_bodies(client: Any, acme: Any) -> None:
    headers = {**acme.headers, "Content-Type": "application/json"}
    assert (
        "not valid JSON"
        in problem(client.post(f"{API}/paths", data="{'slug': 'p'}", headers=headers), 400)[
            "detail"
        ]
    )
    problem(client.post(f"{API}/paths", data='"p"', headers=headers), 400)
    problem(client.post(f"{API}/paths", data="slug=p", headers=acme.headers), 400)
    huge = '{"slug": "p", "kind": "organisation", "name": "' + "x" * (1024 * 1024) + '"}'
    problem(client.post(f"{API}/paths", data=huge, headers=headers), 413)
    problem(client.get(f"{API}/paths?team=nope", headers=acme.headers), 404)  # a team slug
    problem(client.get(f"{API}/paths?limit=5000", headers=acme.headers), 400)
