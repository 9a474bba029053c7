"""Organisations as data: read and check the issuer-definition folders under ``issuers/``.

``read_all(root)`` / ``read_organisation(folder)`` return frozen
:class:`OrganisationDefinition` trees or raise one :class:`DefinitionErrors` listing every
problem. The file format is described in ``issuers/README.md`` and fixed by the JSON Schemas
in ``schemas/definitions/``.
"""

from __future__ import annotations

from .errors import DefinitionError, DefinitionErrors
from .model import (
    AchievementDefinition,
    AlignmentDefinition,
    ConnectionDefinition,
    FrameworkRef,
    IssuerDefinition,
    LmsAccountDefinition,
    OrganisationDefinition,
    PathDefinition,
    PersonDefinition,
    SubGoalDefinition,
    TargetDefinition,
    TeamDefinition,
    TriggerDefinition,
)
from .reader import read_all, read_organisation

__all__ = [
    "AchievementDefinition",
    "AlignmentDefinition",
    "ConnectionDefinition",
    "DefinitionError",
    "DefinitionErrors",
    "FrameworkRef",
    "IssuerDefinition",
    "LmsAccountDefinition",
    "OrganisationDefinition",
    "PathDefinition",
    "PersonDefinition",
    "SubGoalDefinition",
    "TargetDefinition",
    "TeamDefinition",
    "TriggerDefinition",
    "read_all",
    "read_organisation",
]
