"""Where a person's personal data lives, declared in one place: erasure reads these lists,
and the erasure report is written from them. A new column or table holding personal data
is added here (and the whole-schema scan in the tests finds any that is forgotten).

- ``PERSON_FIELDS``: columns of ``people`` set to a value (the row stays as a tombstone).
- ``DELETED_ROWS``: tables whose rows of the person are deleted, by their person column.
- ``MENTIONS``: free-text and JSON columns of rows not about the person alone (audit
  entries, the inbox's reasons, review comments, …) where any mention of the person's
  identifiers is replaced by :data:`PLACEHOLDER`.
- ``KEPT``: what stays, and why (the report says it).
- ``KEPT_PERSON_COLUMNS`` and ``KEPT_REFERENCES``: the columns of ``people`` that are not
  personal, and the references to a person that stay (to the tombstone). A test checks
  that every column of ``people`` and every reference to it is classified here, so a new
  one cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "DELETED_ROWS",
    "KEPT",
    "KEPT_PERSON_COLUMNS",
    "KEPT_REFERENCES",
    "MENTIONS",
    "PERSON_FIELDS",
    "PLACEHOLDER",
    "Mention",
]

PLACEHOLDER = "[erased]"

# column -> the value it gets; every identifier, name and directory fact of the person.
PERSON_FIELDS: dict[str, Any] = {
    "employee_number": None,
    "email": None,
    "given_name": None,
    "family_name": None,
    "did": None,
    "personal_email": None,
    "personal_email_verified_at": None,
    "bound_did": None,
    "bound_did_at": None,
    "external_id": None,
    "user_name": None,
    "manager_id": None,
    "department": None,
    "title": None,
    "locale": None,
    "preferred_language": None,
    "notice_settings": {},
    "public_name": "initials",
    "active": False,
}

# Columns of ``people`` erasure keeps: the tombstone's identity and its dates.
KEPT_PERSON_COLUMNS = frozenset({"id", "organisation_id", "created_at", "updated_at", "erased_at"})

# table.column referencing a person whose rows stay (pointing at the tombstone), and why;
# their personal texts are handled by erasure's own steps or by MENTIONS.
KEPT_REFERENCES: dict[str, str] = {
    "people.manager_id": "other people's reporting line; names nobody",
    "api_clients.supervisor_id": "the person's team:read clients are revoked",
    "bulk_awards.created_by_id": "who uploaded a bulk award file (the admin's own record)",
    "bulk_award_rows.person_id": "the line's outcome; the identifier it named is cleared",
    "inbound_events.person_id": "the event's state and outcome; its payload is replaced",
    "competence_holdings.person_id": "anonymous counts of the competence reserve",
    "reserve_trend_excluded.person_id": "the reserve's trend leaves inactive people out",
    "paths.person_id": "the person's own paths: credentials issued on them refer to them",
    "paths.approved_by_id": "who approved a path (another person's history)",
    "path_reviews.actor_id": "who reviewed a path (another person's history)",
    "credentials.person_id": "credentials stay verifiable and revocable",
    "evidence_claims.person_id": "the decision stays; texts, links and files are removed",
    "evidence_claims.decided_by_id": "who decided another person's evidence",
    "recognitions.person_id": "competence facts derived from the credentials",
    "competence_events.person_id": "HR events, their person block anonymised",
    "deliveries.person_id": "the state and attempts of deliveries to HR",
}

# table -> the column naming the person: rows deleted.
DELETED_ROWS: dict[str, str] = {
    "lms_accounts": "person_id",
    "sign_in_identities": "person_id",
    "web_sessions": "person_id",
    "role_grants": "person_id",
    "team_members": "person_id",
    "notices": "person_id",
    # the services allowed in through the Open Badges API (their codes and tokens go with
    # them) and the credentials the person brought through it
    "sign_in_tokens": "person_id",
    "oauth_grants": "person_id",
    "stored_credentials": "person_id",
    # the person's tokens at other Hosts they sent badges to (encrypted; not exported)
    "obapi_remote_tokens": "person_id",
}


@dataclass(frozen=True)
class Mention:
    """A text or JSON column where the person may be named among other things."""

    table: str
    column: str
    json: bool = False


MENTIONS: tuple[Mention, ...] = (
    Mention("audit_events", "actor"),
    Mention("audit_events", "target"),
    Mention("audit_events", "details", json=True),
    Mention("inbound_events", "reason"),
    Mention("deliveries", "last_error"),
    Mention("delivery_attempts", "error"),
    Mention("path_reviews", "comment"),
    Mention("paths", "name"),
    Mention("paths", "description"),
    Mention("paths", "texts", json=True),
    Mention("evidence_claims", "reason"),
    Mention("bulk_award_rows", "person_ref"),
    Mention("bulk_award_rows", "message"),
    Mention("bulk_award_rows", "problem"),
    Mention("bulk_awards", "filename"),
    Mention("api_clients", "name"),
    Mention("credentials", "revocation_reason"),
    Mention("credentials", "awarded_by"),
)

# What erasure keeps, and why (the report's "kept" list).
KEPT: dict[str, str] = {
    "person row": (
        "an anonymised tombstone with the person's id only, so that credentials, "
        "revocation, HR events and path history keep their references"
    ),
    "credentials": (
        "the signed documents unchanged: they name the recipient only by salted hashes "
        "(and a DID when the person had bound one), and changing them would break their "
        "proofs; they stay verifiable and revocable"
    ),
    "status list entries": "revocation must keep working for every issued credential",
    "recognitions and holdings": (
        "the competence facts derived from the credentials, keyed by the tombstone; "
        "anonymous counts of the competence reserve stay right"
    ),
    "HR events and deliveries": (
        "the events' person blocks now carry the person's id here only (marked erased); "
        "deliveries keep their state and attempt log, and those still waiting send the "
        "anonymised event, before person.erased"
    ),
    "paths and progress": (
        "the person's individual paths and their review history, without names, so "
        "credentials issued on them keep their references"
    ),
    "evidence claims": (
        "the decision (state, dates, the credential it led to) without the narrative, "
        "link, files or reasons; a credential issued with evidence keeps its signed "
        "evidence as issued"
    ),
    "inbox events": (
        "state, dates and credential ids, with the raw payload replaced by a note, so "
        "the same event sent again is still recognised as a duplicate by its id"
    ),
    "audit trail": "every entry stays (append-only); in those of the person's own actions"
    " the name, address and browser, and every mention of them elsewhere, become " + PLACEHOLDER,
}
