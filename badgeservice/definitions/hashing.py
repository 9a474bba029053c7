"""The content hash of an achievement: "same" or "changed" across loads.

The hash covers exactly what ends up in an issued badge, so editing a comment or reordering
entries in the file does not create a new achievement version, while a new description or a
redrawn image does. ``HASH_VERSION`` is part of the hashed text: changing the recipe changes
every hash at once, deliberately, instead of silently mixing two recipes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from .model import AlignmentDefinition

__all__ = ["HASH_VERSION", "achievement_content_hash"]

HASH_VERSION = 1


def achievement_content_hash(
    *,
    slug: str,
    issuer: str,
    name: str,
    description: str,
    criteria_narrative: str,
    criteria_url: str | None,
    achievement_type: str,
    tags: Sequence[str],
    alignments: Sequence[AlignmentDefinition],
    image_format: str,
    image_bytes: bytes,
    valid_for_days: int | None = None,
    image_caption: str | None = None,
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """sha256 (hex) of a canonical JSON of the badge-visible fields and the image bytes."""
    document = {
        "hash_version": HASH_VERSION,
        "slug": slug,
        "issuer": issuer,
        "name": name,
        "description": description,
        "criteria": {"narrative": criteria_narrative, "url": criteria_url},
        "achievement_type": achievement_type,
        # Order is kept: tags and alignments are shown in the order the issuer chose.
        "tags": list(tags),
        "alignments": [
            {"framework": item.framework, "competence": item.competence, "level": item.level}
            for item in alignments
        ],
        "image": {"format": image_format, "sha256": hashlib.sha256(image_bytes).hexdigest()},
    }
    # Only when set, so achievements without a validity keep their hashes.
    if valid_for_days is not None:
        document["valid_for_days"] = valid_for_days
    if image_caption is not None:
        document["image_caption"] = image_caption
    if texts:
        document["texts"] = {key: dict(value) for key, value in texts.items()}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
