"""content_hash tells "changed" from "same" for achievement versions."""

from __future__ import annotations

from pathlib import Path

from badgeservice.definitions import OrganisationDefinition, read_organisation

from .conftest import append, edit


def hashes(organisation: OrganisationDefinition) -> dict[str, str]:
    return {a.slug: a.content_hash for a in organisation.achievements}


def test_stable_across_reads_and_folders(example: OrganisationDefinition, org_copy: Path) -> None:
    """Same content, same hash, wherever the folder lives."""
    assert hashes(read_organisation(org_copy)) == hashes(example)
    assert hashes(read_organisation(org_copy)) == hashes(read_organisation(org_copy))


def test_layout_and_comments_do_not_count(example: OrganisationDefinition, org_copy: Path) -> None:
    """Comments, blank lines and a moved achievement are not a new version."""
    achievements = org_copy / "achievements.toml"
    text = achievements.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n[[achievements]]\n")
    head, _, tail = rest.partition("\n[[achievements]]\n")
    # Move the first achievement to the end and add a comment.
    moved = f"{first}\n# reviewed 2026-01-05\n\n[[achievements]]\n{tail}\n[[achievements]]\n{head}"
    achievements.write_text(moved, encoding="utf-8")
    organisation = read_organisation(org_copy)
    assert organisation.achievements[-1].slug == example.achievements[0].slug
    assert hashes(organisation) == hashes(example)


def test_description_change_is_a_new_version(
    example: OrganisationDefinition, org_copy: Path
) -> None:
    edit(org_copy / "achievements.toml", "Plans a search before", "Plans every search before")
    before, after = hashes(example), hashes(read_organisation(org_copy))
    changed = {slug for slug in before if before[slug] != after[slug]}
    assert changed == {"search-strategies"}


def test_image_change_is_a_new_version(example: OrganisationDefinition, org_copy: Path) -> None:
    image = org_copy / "images" / "data-protection.svg"
    image.write_bytes(image.read_bytes().replace(b"#b02a2a", b"#b02a2b", 1))
    before, after = hashes(example), hashes(read_organisation(org_copy))
    changed = {slug for slug in before if before[slug] != after[slug]}
    assert changed == {"data-protection"}


def test_every_badge_field_counts(example: OrganisationDefinition, org_copy: Path) -> None:
    """Criteria, type, tags and alignment level each change the hash."""
    achievements = org_copy / "achievements.toml"
    edit(achievements, "documents them for colleagues", "documents them for everyone")
    edit(achievements, 'tags = ["DigComp 2.2", "collaboration"]', 'tags = ["collaboration"]')
    edit(achievements, 'competence = "4.4"\nlevel = 3', 'competence = "4.4"\nlevel = 4')
    edit(
        achievements,
        'Pass the phishing simulation on the learning platform."""',
        'Pass the phishing simulation on the learning platform twice."""',
    )
    edit(
        achievements,
        'image = "images/ict-support-specialist.svg"\nachievement_type = "LearningProgram"',
        'image = "images/ict-support-specialist.svg"\nachievement_type = "Badge"',
    )
    append(achievements, "")
    before, after = hashes(example), hashes(read_organisation(org_copy))
    changed = {slug for slug in before if before[slug] != after[slug]}
    assert changed == {
        "automating-routines",
        "shared-workspaces",
        "sustainable-it",
        "phishing-awareness",
        "ict-support-specialist",
    }
