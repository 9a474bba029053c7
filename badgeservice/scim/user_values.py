"""A User document checked and reduced to what a person stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..languages import is_tag, normal_tag
from .errors import invalid_value
from .schema import ENTERPRISE_USER

__all__ = ["UserValues", "user_values"]


@dataclass(frozen=True)
class UserValues:
    """A User document, checked and reduced to what a person stores."""

    user_name: str
    external_id: str | None
    given_name: str | None
    family_name: str | None
    email: str | None
    title: str | None
    active: bool
    employee_number: str | None
    department: str | None
    manager: str | None
    preferred_language: str | None = None


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid_value(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise invalid_value(f"{name} must be a string")
    text = value.strip()
    if len(text) > limit:
        raise invalid_value(f"{name} must be at most {limit} characters")
    return text


def _boolean(value: Any, name: str) -> bool:
    if value is None:
        return True
    # Entra ID has sent "True"/"False" as strings; they are unambiguous, so accepted.
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise invalid_value(f"{name} must be true or false")
    return value


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_value(f"{name} must be an object")
    return value


def _email(value: Any) -> str | None:
    """The address stored: the primary one, else the work one, else the first."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_value("emails must be a list")
    candidates: list[tuple[int, str]] = []
    for index, element in enumerate(value):
        element = _object(element, f"emails[{index}]")
        address = _text(element.get("value"), f"emails[{index}].value", 320)
        if address is None:
            continue
        if "@" not in address or any(c.isspace() for c in address):
            raise invalid_value(f"emails[{index}].value {address!r} is not an e-mail address")
        kind = element.get("type")
        rank = (
            0
            if element.get("primary") is True
            else 1
            if isinstance(kind, str) and kind.lower() == "work"
            else 2
        )
        candidates.append((rank, address))
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def _preferred_language(value: Any) -> str | None:
    """The most preferred tag of ``preferredLanguage`` (an Accept-Language list such as
    ``"sv-FI, en;q=0.8"``, RFC 7643 §4.1.2)."""
    text = _text(value, "preferredLanguage", 200)
    if text is None:
        return None
    ranked = []
    for position, item in enumerate(text.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                raise invalid_value(f"preferredLanguage: {item.strip()!r} has no valid q") from None
        if not is_tag(tag.strip()):
            raise invalid_value(f"preferredLanguage: {tag.strip()!r} is not a language tag")
        ranked.append((-quality, position, normal_tag(tag.strip())))
    return min(ranked)[2] if ranked else None


def user_values(doc: dict[str, Any]) -> UserValues:
    """Check a User document; ``invalidValue`` says what is wrong."""
    name = _object(doc.get("name"), "name")
    enterprise = _object(doc.get(ENTERPRISE_USER), ENTERPRISE_USER)
    manager = enterprise.get("manager")
    manager_value = _object(manager, "manager").get("value") if manager is not None else None
    return UserValues(
        user_name=_text(doc.get("userName"), "userName", 300, required=True) or "",
        external_id=_text(doc.get("externalId"), "externalId", 300),
        given_name=_text(name.get("givenName"), "name.givenName", 200),
        family_name=_text(name.get("familyName"), "name.familyName", 200),
        email=_email(doc.get("emails")),
        title=_text(doc.get("title"), "title", 200),
        active=_boolean(doc.get("active"), "active"),
        employee_number=_text(enterprise.get("employeeNumber"), "employeeNumber", 100),
        department=_text(enterprise.get("department"), "department", 200),
        manager=_text(manager_value, "manager.value", 300),
        preferred_language=_preferred_language(doc.get("preferredLanguage")),
    )
