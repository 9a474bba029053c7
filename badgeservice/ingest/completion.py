"""The one thing every inbound channel produces: a typed :class:`Completion`.

Each channel's ``parse`` (the webhook's, xAPI's, Moodle's) turns what it received into a
Completion without touching the database; the inbox stores it (as JSON, beside the raw
body) and processing reads it back. Matching and awarding know nothing of the channels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Completion", "PersonRef"]

# PersonRef field -> its key in the stored JSON
_PERSON_KEYS = {
    "employee_number": "employeeNumber",
    "email": "email",
    "account": "account",
    "given_name": "givenName",
    "family_name": "familyName",
    "mbox_sha1sum": "mboxSha1sum",
    "openid": "openid",
}


@dataclass(frozen=True)
class PersonRef:
    """Who completed: whatever identifiers the channel knows (none may be known)."""

    employee_number: str | None = None
    email: str | None = None
    account: str | None = None  # the person's account in the sending LMS
    given_name: str | None = None
    family_name: str | None = None
    mbox_sha1sum: str | None = None  # xAPI: SHA-1 of the ``mailto:`` IRI, lower case
    openid: str | None = None

    @property
    def findable(self) -> bool:
        """Whether a person created from this could be found by it again."""
        return bool(self.employee_number or self.email)

    def describe(self) -> str:
        known = (("account", self.account), ("email", self.email))
        parts = [
            f"{key} {value!r}"
            for key, value in (*known, ("employeeNumber", self.employee_number))
            if value
        ]
        return ", ".join(parts) or "no identifier"

    def to_json(self) -> dict[str, str]:
        return {
            key: value
            for name, key in _PERSON_KEYS.items()
            if (value := getattr(self, name)) is not None and value != ""
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PersonRef:
        return cls(**{name: str(data[key]) for name, key in _PERSON_KEYS.items() if data.get(key)})


@dataclass(frozen=True)
class Completion:
    """An activity reported done (or not) by a person, as any channel reports it.

    ``completed`` False with a ``reason`` is an event that completes nothing (it is kept and
    answered, then ignored); ``void`` names an earlier event (an xAPI statement id) whose
    credentials are revoked. ``kinds``: the trigger kinds it may match; ``details`` keeps
    channel facts for the record (the xAPI verb, the Moodle event name)."""

    person: PersonRef
    activity: str | None
    completed: bool
    time: str
    kinds: tuple[str, ...]
    reason: str | None = None
    activity_name: str | None = None
    result: Mapping[str, Any] = field(default_factory=dict)
    void: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The stored form (the inbox's ``normalized`` column)."""
        stored: dict[str, Any] = {
            **self.details,
            "person": self.person.to_json(),
            "activity": self.activity,
            "activityName": self.activity_name,
            "completed": self.completed,
            "reason": self.reason,
            "result": dict(self.result),
            "time": self.time,
            "kinds": list(self.kinds),
        }
        if self.void is not None:
            stored["void"] = self.void
        return stored

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Completion:
        own = {"person", "activity", "activityName", "completed", "reason", "result", "time"}
        own |= {"kinds", "void"}
        return cls(
            person=PersonRef.from_json(data.get("person") or {}),
            activity=None if data.get("activity") is None else str(data["activity"]),
            completed=bool(data.get("completed")),
            time=str(data.get("time") or ""),
            kinds=tuple(data.get("kinds") or ("lms", "xapi")),
            reason=data.get("reason"),
            activity_name=data.get("activityName"),
            result=dict(data.get("result") or {}),
            void=None if data.get("void") is None else str(data["void"]),
            details={key: value for key, value in data.items() if key not in own},
        )
