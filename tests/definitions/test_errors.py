"""Broken folders: every problem is reported at its file and key, in words an operator can use."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from badgeservice.definitions import (
    DefinitionError,
    DefinitionErrors,
    OrganisationDefinition,
    read_all,
    read_organisation,
)

from .conftest import LABEL, append, edit

Problems = Callable[[Path], list[str]]

EXTRA_PATH = """
[[paths]]
slug = "extra"
kind = "organisation"
name = "Extra"
"""


def subgoal(slug: str, achievement: str, *lines: str, trigger: str = 'kind = "manual"') -> str:
    body = "\n".join(lines)
    return f"""
[[paths.subgoals]]
slug = "{slug}"
achievement = "{achievement}"
{body}
[[paths.subgoals.triggers]]
{trigger}
"""


def test_error_text_names_file_and_path() -> None:
    """The format of one error, with and without a path inside the file."""
    error = DefinitionError("issuers/acme/paths.toml", "paths[2].subgoals[0].achievement", "x")
    assert str(error) == "issuers/acme/paths.toml: paths[2].subgoals[0].achievement: x"
    assert str(DefinitionError("issuers/acme/paths.toml", "", "file not found")) == (
        "issuers/acme/paths.toml: file not found"
    )
    assert isinstance(error, Exception)
    many = DefinitionErrors([error, error])
    assert str(many).splitlines()[0] == "2 problems in issuer definitions:"
    with pytest.raises(ValueError, match="at least one"):
        DefinitionErrors([])


def test_unknown_achievement(
    org_copy: Path, example: OrganisationDefinition, problems: Problems
) -> None:
    append(org_copy / "paths.toml", EXTRA_PATH + subgoal("first", "foo"))
    index = len(example.paths)
    assert problems(org_copy) == [
        f"{LABEL}/paths.toml: paths[{index}].subgoals[0].achievement: unknown achievement 'foo'"
    ]


def test_unknown_issuer_suggests_the_close_one(org_copy: Path, problems: Problems) -> None:
    edit(org_copy / "achievements.toml", 'issuer = "staff-academy"', 'issuer = "staff-acadmy"')
    assert problems(org_copy) == [
        f"{LABEL}/achievements.toml: achievements[0].issuer: "
        "unknown issuer 'staff-acadmy' (did you mean 'staff-academy'?)"
    ]


@pytest.mark.parametrize("code", ["1.4", "6", "2.7", "0.1", "3.1.1"])
def test_unknown_competence_code(org_copy: Path, problems: Problems, code: str) -> None:
    edit(org_copy / "achievements.toml", 'competence = "1.1"', f'competence = "{code}"')
    assert problems(org_copy) == [
        f"{LABEL}/achievements.toml: achievements[0].alignments[0].competence: "
        f"unknown competence '{code}' in framework 'digcomp22' "
        "(DigComp 2.2 has areas '1' to '5' and competences '1.1' to '5.4')"
    ]


def test_area_codes_are_competences(org_copy: Path) -> None:
    """A whole DigComp area ("4") is a valid alignment target."""
    edit(org_copy / "achievements.toml", 'competence = "1.1"', 'competence = "1"')
    organisation = read_organisation(org_copy)
    assert organisation.achievement("search-strategies").alignments[0].competence == "1"


def test_unknown_framework_in_a_target(
    org_copy: Path, example: OrganisationDefinition, problems: Problems
) -> None:
    append(
        org_copy / "paths.toml",
        EXTRA_PATH
        + """
[[paths.targets]]
framework = "esco"
competence = "3.1"
level = 4
share = 0.5
due = 2027-01-31
"""
        + subgoal("first", "data-protection"),
    )
    index = len(example.paths)
    assert problems(org_copy) == [
        f"{LABEL}/paths.toml: paths[{index}].targets[0].framework: unknown framework 'esco'"
    ]


def test_prerequisite_cycle(
    org_copy: Path, example: OrganisationDefinition, problems: Problems
) -> None:
    append(
        org_copy / "paths.toml",
        EXTRA_PATH
        + subgoal("a", "data-protection", 'prerequisites = ["c"]')
        + subgoal("b", "phishing-awareness", 'prerequisites = ["a"]')
        + subgoal("c", "digital-wellbeing", 'prerequisites = ["b"]')
        + subgoal("d", "sustainable-it", 'prerequisites = ["d", "nope"]'),
    )
    index = len(example.paths)
    assert problems(org_copy) == [
        f"{LABEL}/paths.toml: paths[{index}].subgoals[0].prerequisites: "
        "prerequisites form a cycle: a → c → b → a",
        f"{LABEL}/paths.toml: paths[{index}].subgoals[3].prerequisites: "
        "prerequisites form a cycle: d → d",
        f"{LABEL}/paths.toml: paths[{index}].subgoals[3].prerequisites[1]: "
        "unknown sub-goal 'nope' (prerequisites name sub-goals of the same path)",
    ]


def test_unknown_key_is_a_schema_error(org_copy: Path, problems: Problems) -> None:
    edit(org_copy / "people.toml", 'given_name = "Aino"', 'givenname = "Aino"')
    assert problems(org_copy) == [
        f"{LABEL}/people.toml: people[2].given_name: required key is missing",
        f"{LABEL}/people.toml: people[2].givenname: unknown key (did you mean 'given_name'?)",
    ]


def test_unknown_top_level_table(org_copy: Path, problems: Problems) -> None:
    edit(org_copy / "connections.toml", "[[connections]]", "[[connection]]", count=2)
    found = problems(org_copy)
    assert f"{LABEL}/connections.toml: connection: unknown key (did you mean 'connections'?)" in (
        found
    )


@pytest.mark.parametrize("slug", ["Search-Strategies", "-search", "search strategies", "a" * 64])
def test_bad_slug(org_copy: Path, problems: Problems, slug: str) -> None:
    edit(org_copy / "achievements.toml", 'slug = "search-strategies"', f'slug = "{slug}"')
    found = problems(org_copy)
    assert found[0].startswith(
        f"{LABEL}/achievements.toml: achievements[0].slug: must be a slug: 1-63 lower-case "
        f"letters, digits or hyphens, starting with a letter or digit (got '{slug[:20]}"
    )


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("../../outside.svg", "'../../outside.svg' must be a path inside the organisation folder"),
        ("/etc/badge.svg", "'/etc/badge.svg' must be a path inside the organisation folder"),
        (
            "images/../../x.svg",
            "'images/../../x.svg' must be a path inside the organisation folder",
        ),
        ("images\\\\x.svg", "use forward slashes in file paths (got 'images\\\\x.svg')"),
        ("images/missing.svg", "file not found: 'images/missing.svg'"),
    ],
)
def test_image_must_stay_inside_the_folder(
    org_copy: Path, problems: Problems, image: str, message: str
) -> None:
    (org_copy.parent.parent / "outside.svg").write_text("<svg/>", encoding="utf-8")
    edit(
        org_copy / "achievements.toml",
        'image = "images/search-strategies.svg"',
        f'image = "{image}"',
    )
    assert problems(org_copy) == [f"{LABEL}/achievements.toml: achievements[0].image: {message}"]


def test_symlinked_image_leading_outside(
    org_copy: Path, tmp_path: Path, problems: Problems
) -> None:
    outside = tmp_path / "secret.svg"
    outside.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    (org_copy / "images" / "search-strategies.svg").unlink()
    (org_copy / "images" / "search-strategies.svg").symlink_to(outside)
    assert problems(org_copy) == [
        f"{LABEL}/achievements.toml: achievements[0].image: "
        "'images/search-strategies.svg' leads outside the organisation folder"
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><title>x</svg>", "is not well-formed SVG"),
        (b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "is not an SVG image"),
        (b"\x89PNG\r\n\x1a\n", "is not well-formed SVG"),
    ],
)
def test_image_content_is_checked(
    org_copy: Path, problems: Problems, content: bytes, problem: str
) -> None:
    (org_copy / "images" / "search-strategies.svg").write_bytes(content)
    [found] = problems(org_copy)
    image = "'images/search-strategies.svg'"
    assert found.startswith(f"{LABEL}/achievements.toml: achievements[0].image: {image} {problem}")


def test_png_image_must_be_png(org_copy: Path, problems: Problems) -> None:
    (org_copy / "images" / "fake.png").write_bytes(b"<svg/>")
    edit(org_copy / "achievements.toml", "images/search-strategies.svg", "images/fake.png")
    assert problems(org_copy) == [
        f"{LABEL}/achievements.toml: achievements[0].image: 'images/fake.png' is not a PNG image"
    ]


def test_missing_required_file(org_copy: Path, problems: Problems) -> None:
    """Only the missing file is reported: references into it are not judged."""
    (org_copy / "achievements.toml").unlink()
    assert problems(org_copy) == [f"{LABEL}/achievements.toml: file not found"]


def test_missing_optional_file_explains_unknown_names(org_copy: Path, problems: Problems) -> None:
    (org_copy / "connections.toml").unlink()
    found = problems(org_copy)
    assert (
        f"{LABEL}/paths.toml: paths[0].subgoals[1].triggers[0].connection: "
        + ("unknown connection 'moodle' (connections.toml is missing)")
        in found
    )


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DefinitionErrors) as caught:
        read_organisation(tmp_path / "issuers" / "nowhere")
    assert [str(e) for e in caught.value.errors] == [
        "issuers/nowhere: organisation folder not found"
    ]


def test_malformed_toml_reports_the_line(org_copy: Path, problems: Problems) -> None:
    people = org_copy / "people.toml"
    line = people.read_text(encoding="utf-8").splitlines().index('given_name = "Aino"') + 1
    edit(people, 'given_name = "Aino"', 'given_name = "Aino')
    [found] = problems(org_copy)
    assert found.startswith(f"{LABEL}/people.toml: malformed TOML: ")
    assert f"(at line {line}, column" in found


def test_stray_toml_file(org_copy: Path, problems: Problems) -> None:
    (org_copy / "achievement.toml").write_text("", encoding="utf-8")
    assert problems(org_copy) == [
        f"{LABEL}/achievement.toml: unexpected file; an organisation folder holds "
        "organisation.toml, achievements.toml, paths.toml, people.toml, connections.toml"
    ]


def test_slug_must_name_the_folder(org_copy: Path, problems: Problems) -> None:
    edit(org_copy / "organisation.toml", 'slug = "esimerkkiopisto"', 'slug = "esimerkki"')
    assert problems(org_copy) == [
        f"{LABEL}/organisation.toml: organisation.slug: "
        "slug 'esimerkki' must equal the folder name 'esimerkkiopisto'"
    ]


def test_multiple_errors_are_all_reported(
    org_copy: Path, example: OrganisationDefinition, problems: Problems
) -> None:
    """Problems in every file come together, ordered by file and position."""
    edit(org_copy / "achievements.toml", 'issuer = "staff-academy"', 'issuer = "nobody"')
    edit(org_copy / "connections.toml", 'unknown_person = "park"', 'unknown_person = "parked"')
    edit(org_copy / "people.toml", 'teams = ["johto"]', 'teams = ["board"]')
    edit(org_copy / "people.toml", 'supervisors = ["E1009"]', 'supervisors = ["E9999"]')
    append(
        org_copy / "paths.toml",
        EXTRA_PATH
        + subgoal("a", "no-such-badge", 'prerequisites = ["b"]')
        + subgoal("b", "data-protection", 'prerequisites = ["a"]'),
    )
    index = len(example.paths)
    assert problems(org_copy) == [
        f"{LABEL}/achievements.toml: achievements[0].issuer: unknown issuer 'nobody'",
        f"{LABEL}/paths.toml: paths[{index}].subgoals[0].achievement: "
        "unknown achievement 'no-such-badge'",
        f"{LABEL}/paths.toml: paths[{index}].subgoals[0].prerequisites: "
        "prerequisites form a cycle: a → b → a",
        f"{LABEL}/people.toml: teams[3].supervisors[0]: unknown person 'E9999'",
        f"{LABEL}/people.toml: people[0].teams[0]: unknown team 'board'",
        f"{LABEL}/connections.toml: connections[0].unknown_person: must be 'create' (make a "
        "person from the event) or 'park' (hold the event until an operator maps it) "
        "(got 'parked')",
    ]


def test_one_bad_entry_does_not_hide_the_others(
    org_copy: Path, example: OrganisationDefinition, problems: Problems
) -> None:
    """A schema error skips its own entry only; references elsewhere are still checked."""
    append(
        org_copy / "paths.toml",
        EXTRA_PATH + 'colour = "blue"\n' + subgoal("a", "data-protection"),
    )
    append(org_copy / "paths.toml", EXTRA_PATH.replace("extra", "extra-2") + subgoal("b", "nope"))
    index = len(example.paths)
    assert problems(org_copy) == [
        f"{LABEL}/paths.toml: paths[{index}].colour: unknown key (known keys: achievement, "
        "approved_by, description, kind, name, out_of_order, person, slug, subgoals, targets, "
        "team)",
        f"{LABEL}/paths.toml: paths[{index + 1}].subgoals[0].achievement: "
        "unknown achievement 'nope'",
    ]


def test_read_all_collects_every_folder(tmp_path: Path, org_copy: Path) -> None:
    """Folders without organisation.toml are skipped; problems of all folders come together."""
    root = org_copy.parent
    (root / "notes").mkdir()
    second = root / "acme"
    second.mkdir()
    (second / "organisation.toml").write_text("[organisation]\n", encoding="utf-8")
    edit(org_copy / "achievements.toml", 'issuer = "staff-academy"', 'issuer = "nobody"')
    with pytest.raises(DefinitionErrors) as caught:
        read_all(root)
    files = {error.file for error in caught.value.errors}
    assert files == {
        "issuers/acme/organisation.toml",
        "issuers/acme/achievements.toml",
        f"{LABEL}/achievements.toml",
    }


def test_read_all_sorts_by_slug(org_copy: Path) -> None:
    root = org_copy.parent
    twin = root / "aaa-opisto"
    shutil.copytree(org_copy, twin)
    edit(twin / "organisation.toml", 'slug = "esimerkkiopisto"', 'slug = "aaa-opisto"')
    assert [o.slug for o in read_all(root)] == ["aaa-opisto", "esimerkkiopisto"]


CASE_PACKAGE = {
    "CFDocument": {
        "identifier": "b7f1c2e0-0000-4000-8000-000000000001",
        "uri": "https://frameworks.example.org/skills",
        "title": "Example skills",
    },
    "CFItems": [
        {
            "identifier": "b7f1c2e0-0000-4000-8000-000000000002",
            "uri": "https://frameworks.example.org/skills/s-1",
            "humanCodingScheme": "S-1",
            "fullStatement": "Uses the booking system.",
        },
    ],
}


def add_case_framework(folder: Path, package: object) -> None:
    (folder / "frameworks").mkdir()
    (folder / "frameworks" / "skills.json").write_text(json.dumps(package), encoding="utf-8")
    append(
        folder / "organisation.toml",
        '[[frameworks]]\nslug = "skills"\nsource = "case"\nfile = "frameworks/skills.json"\n',
    )
    append(
        folder / "achievements.toml",
        '[[achievements.alignments]]\nframework = "skills"\ncompetence = "S-1"\n',
    )


def test_case_framework(org_copy: Path, problems: Problems) -> None:
    """A CASE package in the folder supplies the codes its alignments may use."""
    add_case_framework(org_copy, CASE_PACKAGE)
    organisation = read_organisation(org_copy)
    assert organisation.frameworks[1].file == (org_copy / "frameworks" / "skills.json").resolve()
    # An item with a humanCodingScheme is known by that code only.
    identifier = "b7f1c2e0-0000-4000-8000-000000000002"
    edit(org_copy / "achievements.toml", 'competence = "S-1"', f'competence = "{identifier}"')
    last = len(organisation.achievements) - 1
    assert problems(org_copy) == [
        f"{LABEL}/achievements.toml: achievements[{last}].alignments[2].competence: "
        f"unknown competence '{identifier}' in framework 'skills'"
    ]


def test_unusable_case_package(org_copy: Path, problems: Problems) -> None:
    """The package is judged as the frameworks domain will import it; codes are not."""
    add_case_framework(org_copy, {"CFItems": []})
    assert problems(org_copy) == [
        f"{LABEL}/organisation.toml: frameworks[1].file: "
        "not a usable CASE package: $.CFDocument: is required"
    ]


@pytest.mark.parametrize(
    ("trigger", "where", "message"),
    [
        (
            'kind = "xapi"\nconnection = "moodle"\nactivity = "https://x.example.org/a"',
            "triggers[0].connection",
            "a xapi trigger needs a xapi connection; 'moodle' is moodle",
        ),
        (
            'kind = "lms"\nconnection = "moodle"\nactivity = "course-101"',
            "triggers[0].activity",
            "a Moodle activity is 'course:<course id>' or 'cm:<course module id>' "
            "(got 'course-101')",
        ),
        (
            'kind = "manual"\nconnection = "moodle"',
            "triggers[0].connection",
            "not allowed here: only lms and xapi triggers name a connection and an activity",
        ),
        ('kind = "lms"\nconnection = "moodle"', "triggers[0].activity", "required key is missing"),
        (
            'kind = "xapi"\nconnection = "xapi-lrs"\nactivity = "not an iri"',
            "triggers[0].activity",
            "must be an activity IRI such as https://lms.example.org/xapi/activities/course-1 "
            "(got 'not an iri')",
        ),
        (
            'kind = "email"',
            "triggers[0].kind",
            "must be 'lms', 'xapi', 'manual' or 'evidence' (got 'email')",
        ),
    ],
)
def test_trigger_problems(
    org_copy: Path,
    example: OrganisationDefinition,
    problems: Problems,
    trigger: str,
    where: str,
    message: str,
) -> None:
    append(org_copy / "paths.toml", EXTRA_PATH + subgoal("a", "data-protection", trigger=trigger))
    index = len(example.paths)
    assert problems(org_copy) == [
        f"{LABEL}/paths.toml: paths[{index}].subgoals[0].{where}: {message}"
    ]


def test_path_kind_rules(
    org_copy: Path, example: OrganisationDefinition, problems: Problems
) -> None:
    """Team paths name their team, individual paths their person, and nothing else."""
    append(
        org_copy / "paths.toml",
        EXTRA_PATH.replace("organisation", "team") + subgoal("a", "data-protection"),
    )
    append(
        org_copy / "paths.toml",
        EXTRA_PATH.replace('"organisation"', '"individual"').replace("extra", "extra-2")
        + 'team = "kouluttajat"\n'
        + subgoal("a", "data-protection"),
    )
    index = len(example.paths)
    assert problems(org_copy) == [
        f"{LABEL}/paths.toml: paths[{index}].team: required key is missing",
        f"{LABEL}/paths.toml: paths[{index + 1}].person: required key is missing",
        f"{LABEL}/paths.toml: paths[{index + 1}].team: "
        "not allowed here: only team paths name a team",
    ]


def test_approver_must_supervise(org_copy: Path, problems: Problems) -> None:
    edit(org_copy / "paths.toml", 'approved_by = "E1006"', 'approved_by = "E1002"')
    [found] = problems(org_copy)
    assert found.endswith(
        ".approved_by: E1002 does not supervise E1007's teams or a team above them"
    )


def test_approver_above_the_team_is_accepted(org_copy: Path) -> None:
    """The head of the centre supervises the team above every team."""
    edit(org_copy / "paths.toml", 'approved_by = "E1006"', 'approved_by = "E1001"')
    read_organisation(org_copy)


def test_duplicates(org_copy: Path, problems: Problems) -> None:
    edit(org_copy / "people.toml", 'employee_number = "E1011"', 'employee_number = "E1003"')
    # Leena's Moodle user id 2104 becomes Aino's (2102): one account, two people.
    edit(org_copy / "people.toml", 'account = "2104"', 'account = "2102"')
    found = problems(org_copy)
    assert found == [
        f"{LABEL}/people.toml: people[4].lms_accounts[0].account: "
        "account '2102' already belongs to E1003",
        f"{LABEL}/people.toml: people[5].employee_number: "
        "duplicate employee number 'E1003' (first at people[2].employee_number)",
    ]


def test_team_parent_cycle(org_copy: Path, problems: Problems) -> None:
    edit(
        org_copy / "people.toml",
        'name = { fi = "Johto", sv = "Ledning", en = "Management" }',
        'name = "M"\nparent = "kouluttajat"',
    )
    assert problems(org_copy) == [
        f"{LABEL}/people.toml: teams[0].parent: parent teams form a cycle: "
        "johto → kouluttajat → johto"
    ]
