"""The generic completion webhook's parse: a validated ``CompletionEventSchema`` body into
the typed completion every channel produces."""

from __future__ import annotations

from typing import Any

from .completion import Completion, PersonRef

__all__ = ["parse"]


def parse(data: dict[str, Any]) -> Completion:
    """The completion a webhook body (as loaded by its schema) reports."""
    result = data["result"]
    completed = bool(result["completion"]) and result.get("success") is not False
    person = data["person"]
    return Completion(
        person=PersonRef(
            employee_number=person.get("employee_number"),
            email=person.get("email"),
            account=person.get("account"),
            given_name=person.get("given_name"),
            family_name=person.get("family_name"),
        ),
        activity=data["activity"]["id"],
        activity_name=data["activity"].get("name"),
        completed=completed,
        reason=None if completed else "the result is not a successful completion",
        result={key: value for key, value in result.items() if key != "completion"},
        time=data["time"].isoformat(),
        kinds=("lms", "xapi"),
    )
