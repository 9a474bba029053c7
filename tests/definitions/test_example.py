"""The example organisation is what a new user sees first: complete, consistent, realistic."""

from __future__ import annotations

import re

from defusedxml import ElementTree as SafeET

from badgeservice.definitions import OrganisationDefinition, read_all
from badgeservice.definitions.badge_images import regenerate
from badgeservice.definitions.digcomp import area_of

from .conftest import EXAMPLE, ROOT

SVG = "{http://www.w3.org/2000/svg}"


def test_reads_without_errors_among_all_organisations() -> None:
    """read_all finds the example in issuers/."""
    slugs = [organisation.slug for organisation in read_all(ROOT / "issuers")]
    assert "esimerkkiopisto" in slugs
    assert slugs == sorted(slugs)


def test_profile(example: OrganisationDefinition) -> None:
    """One issuer, DigComp 2.2, example domains only."""
    assert example.slug == "esimerkkiopisto"
    assert [issuer.name for issuer in example.issuers] == ["Esimerkkiopiston Henkilöstöakatemia"]
    # Written in Finnish, Swedish and English, completely: loading it warns of nothing.
    assert (example.default_language, example.languages) == ("fi", ("fi", "sv", "en"))
    assert example.warnings == ()
    assert example.issuers[0].texts["name"]["en"] == "Esimerkkiopisto Staff Academy"
    for badge in example.achievements:
        for field in ("name", "description", "criteria_narrative", "image_caption"):
            assert set(badge.texts[field]) == {"fi", "sv", "en"}, (badge.slug, field)
            assert len(set(badge.texts[field].values())) == 3, (badge.slug, field)
    assert [(f.slug, f.source, f.file) for f in example.frameworks] == [
        ("digcomp22", "digcomp22", None)
    ]
    for url in [example.url, *(issuer.url for issuer in example.issuers)]:
        assert re.match(r"https://[a-z.]+\.example\.(fi|org)(/|$)", url)


def test_paths_of_every_kind(example: OrganisationDefinition) -> None:
    """One organisation path with per-team targets, ≥2 team and ≥3 individual paths."""
    kinds = [path.kind for path in example.paths]
    assert kinds.count("organisation") == 1
    assert kinds.count("team") >= 2
    assert kinds.count("individual") >= 3
    organisation_path = next(p for p in example.paths if p.kind == "organisation")
    target_teams = {target.team for target in organisation_path.targets}
    assert None in target_teams
    assert len(target_teams - {None}) >= 2
    assert all(0 < target.share <= 1 for target in organisation_path.targets)


def test_team_paths_have_path_badges(example: OrganisationDefinition) -> None:
    """Completing a team path earns a path badge that is not a sub-goal badge."""
    for path in example.paths:
        if path.kind == "team":
            assert path.achievement is not None
            badge = example.achievement(path.achievement)
            assert badge.achievement_type == "LearningProgram"


def test_individual_paths_mix_required_and_own_goals(example: OrganisationDefinition) -> None:
    """Each individual path has required and optional sub-goals; some are approved."""
    individual = [path for path in example.paths if path.kind == "individual"]
    approved = 0
    for path in individual:
        assert {subgoal.required for subgoal in path.subgoals} == {True, False}, path.slug
        assert path.person is not None
        person = example.person(path.person)
        if path.approved_by is not None:
            supervisors = {s for team in person.teams for s in example.team(team).supervisors}
            assert path.approved_by in supervisors
            approved += 1
    assert approved >= 1


def test_subgoals_cover_all_areas(example: OrganisationDefinition) -> None:
    """At least a dozen distinct sub-goals, each with its own achievement, in all 5 areas."""
    subgoals = {s.achievement: s for path in example.paths for s in path.subgoals}
    assert len(subgoals) >= 12
    areas = {area_of(s.competence[1]) for s in subgoals.values() if s.competence}
    assert areas == {"1", "2", "3", "4", "5"}
    competency = {a.slug for a in example.achievements if a.achievement_type == "Competency"}
    assert set(subgoals) == competency


def test_triggers_of_every_kind(example: OrganisationDefinition) -> None:
    """Moodle course and module ids, xAPI activity IRIs and manual awards all appear."""
    triggers = [t for path in example.paths for s in path.subgoals for t in s.triggers]
    activities = {t.activity for t in triggers if t.connection == "moodle"}
    assert any(a and a.startswith("course:") for a in activities)
    assert any(a and a.startswith("cm:") for a in activities)
    xapi = {t.activity for t in triggers if t.kind == "xapi"}
    assert xapi
    assert all(
        a and a.startswith("https://lms.esimerkkiopisto.example.org/xapi/activities/") for a in xapi
    )
    assert {"lms", "xapi", "manual", "evidence"} <= {t.kind for t in triggers}


def test_connections(example: OrganisationDefinition) -> None:
    """Moodle parks unknown people; the xAPI source creates them."""
    assert example.connection("moodle").kind == "moodle"
    assert example.connection("moodle").unknown_person == "park"
    assert example.connection("xapi-lrs").kind == "xapi"
    assert example.connection("xapi-lrs").unknown_person == "create"


def test_people_and_teams(example: OrganisationDefinition) -> None:
    """About ten fictional people with example-domain emails; every team supervised."""
    assert 8 <= len(example.people) <= 14
    assert len(example.teams) >= 2
    for person in example.people:
        assert re.fullmatch(r"E\d{4}", person.employee_number)
        assert re.fullmatch(r"[a-z]+\.[a-z]+@esimerkkiopisto\.example\.org", person.email)
    assert any(person.lms_accounts for person in example.people)
    assert all(team.supervisors for team in example.teams)


def test_every_achievement_has_its_own_image(example: OrganisationDefinition) -> None:
    """Images exist inside the folder, one per achievement, none left over."""
    images = [achievement.image for achievement in example.achievements]
    assert len(set(images)) == len(images)
    for image in images:
        assert image.is_file()
        assert image.parent == EXAMPLE / "images"
    assert set(images) == set((EXAMPLE / "images").iterdir())


def test_images_are_small_well_formed_svg_with_title() -> None:
    """Every image parses as XML, has an <svg> root, a title and a description."""
    files = sorted((EXAMPLE / "images").glob("*"))
    assert files
    for file in files:
        assert file.suffix == ".svg"
        assert file.stat().st_size < 4096, file.name
        root = SafeET.fromstring(file.read_bytes())
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        title = root.find(f"{SVG}title")
        assert title is not None
        assert title.text
        assert root.find(f"{SVG}desc") is not None


def test_images_match_the_generator() -> None:
    """The committed SVGs are exactly what badge_images renders (regenerate after edits)."""
    assert regenerate(EXAMPLE, check=True) == []


def test_content_hashes_are_distinct(example: OrganisationDefinition) -> None:
    """Every achievement has its own 64-hex-digit hash."""
    hashes = [achievement.content_hash for achievement in example.achievements]
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in hashes)
    assert len(set(hashes)) == len(hashes)
