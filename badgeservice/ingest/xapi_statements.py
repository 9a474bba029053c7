"""xAPI statements without the HTTP around them: checked against the xAPI 1.0.3 rules this
LRS enforces, written canonically (what is stored and hashed), and parsed into the typed
completion every channel produces. Nothing here touches the database."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..errors import BadRequest
from .checks import instant_problem, score_problem
from .completion import Completion, PersonRef

__all__ = [
    "CHANNEL",
    "COMPLETING_VERBS",
    "VOIDED",
    "canonical",
    "parse",
    "prepare",
    "statement_uuid",
]

CHANNEL = "xapi"
ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
COMPLETING_VERBS = frozenset(ADL_VERBS + verb for verb in ("completed", "passed", "mastered"))
VOIDED = ADL_VERBS + "voided"
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
# The most statements one POST may carry, and how many of a batch the request processes
# itself (the rest after the answer: a large batch never runs into the request timeout).
LRS_OWNED = frozenset({"stored", "authority", "version"})
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")


def statement_uuid(value: Any, field: str) -> str:
    """``value`` as a canonical (lower-case, hyphenated) UUID string."""
    try:
        if isinstance(value, str):
            return str(uuid.UUID(value))
    except ValueError:
        pass
    raise BadRequest(f"{field} must be a UUID")


def _iri(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _IRI.match(value):
        raise BadRequest(f"{field} must be an IRI")
    return value


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{field} must be a JSON object")
    return value


def prepare(statement: Any, where: str) -> tuple[str, dict[str, Any]]:
    """Validate one statement; its (canonical) id and the statement carrying that id."""
    statement = _object(statement, where)
    try:
        statement_id = (
            statement_uuid(statement["id"], "id") if "id" in statement else str(uuid.uuid4())
        )
        _validate(statement)
    except BadRequest as exc:
        raise BadRequest(f"{where}: {exc.detail}") from None
    return statement_id, {**statement, "id": statement_id}


def _validate(statement: dict[str, Any]) -> None:
    if "actor" not in statement:
        raise BadRequest("actor is required")
    actor = _object(statement["actor"], "actor")
    if actor.get("objectType", "Agent") != "Agent":
        raise BadRequest("actor must be an Agent (send one statement per learner)")
    present = [key for key in IFIS if key in actor]
    if len(present) != 1:
        raise BadRequest(
            "actor must have exactly one inverse functional identifier of "
            f"{', '.join(IFIS)}; it has {len(present)}"
            + (f" ({', '.join(present)})" if present else "")
        )
    if "mbox" in actor:
        mbox = actor["mbox"]
        if not isinstance(mbox, str) or not mbox.startswith("mailto:") or "@" not in mbox:
            raise BadRequest("actor.mbox must be a mailto: IRI")
    if "mbox_sha1sum" in actor and not (
        isinstance(actor["mbox_sha1sum"], str) and _SHA1.match(actor["mbox_sha1sum"])
    ):
        raise BadRequest("actor.mbox_sha1sum must be 40 hexadecimal digits")
    if "openid" in actor:
        _iri(actor["openid"], "actor.openid")
    if "account" in actor:
        account = _object(actor["account"], "actor.account")
        _iri(account.get("homePage"), "actor.account.homePage")
        if not isinstance(account.get("name"), str) or not account["name"].strip():
            raise BadRequest("actor.account.name must be a non-empty string")
    if "verb" not in statement:
        raise BadRequest("verb is required")
    verb_id = _iri(_object(statement["verb"], "verb").get("id"), "verb.id")
    if "object" not in statement:
        raise BadRequest("object is required")
    target = _object(statement["object"], "object")
    if target.get("objectType") == "StatementRef":
        statement_uuid(target.get("id"), "object.id of a StatementRef")
    elif target.get("objectType", "Activity") == "Activity":
        _iri(target.get("id"), "object.id")
    if verb_id == VOIDED and target.get("objectType") != "StatementRef":
        raise BadRequest("the object of a voided statement must be a StatementRef")
    if "result" in statement:
        result = _object(statement["result"], "result")
        for key in ("success", "completion"):
            if key in result and not isinstance(result[key], bool):
                raise BadRequest(f"result.{key} must be true or false")
        if "score" in result:
            problem = score_problem(result["score"])
            if problem:
                raise BadRequest(f"result.score: {problem}")
    if "timestamp" in statement:
        stamp = statement["timestamp"]
        try:
            if not isinstance(stamp, str):
                raise ValueError(stamp)
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            raise BadRequest("timestamp must be an ISO 8601 date and time") from None
        problem = instant_problem(moment)
        if problem:
            raise BadRequest(f"timestamp {problem}")


def canonical(statement: dict[str, Any]) -> str:
    return json.dumps(
        {key: value for key, value in statement.items() if key not in LRS_OWNED},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def parse(statement: dict[str, Any]) -> Completion:
    """The completion a (validated) statement reports."""
    verb_id = str(statement["verb"]["id"])
    target: dict[str, Any] = statement["object"]
    result: dict[str, Any] = statement.get("result") or {}
    definition = target.get("definition") if isinstance(target.get("definition"), dict) else {}
    names = (definition or {}).get("name")
    name = next(iter(names.values()), None) if isinstance(names, dict) and names else None
    completion = Completion(
        person=_person(statement["actor"]),
        activity=str(target.get("id") or ""),
        activity_name=name if isinstance(name, str) else None,
        result={
            key: result[key]
            for key in ("success", "completion", "score", "duration")
            if key in result
        },
        time=statement.get("timestamp") or datetime.now().astimezone().isoformat(),
        kinds=(CHANNEL,),
        details={"verb": verb_id},
        completed=False,
    )
    if verb_id == VOIDED:
        return replace(completion, void=statement_uuid(target["id"], "object.id"))
    if target.get("objectType", "Activity") != "Activity":
        return replace(completion, reason="the object is not an Activity")
    if verb_id not in COMPLETING_VERBS:
        return replace(completion, reason=f"verb {verb_id} does not complete a trigger")
    if result.get("success") is False:
        return replace(completion, reason="result.success is false")
    return replace(completion, completed=True)


def _person(actor: dict[str, Any]) -> PersonRef:
    """Who the actor is: an account, an e-mail, the SHA-1 of one, or an OpenID."""
    if "account" in actor:
        return PersonRef(account=actor["account"]["name"])
    if "mbox" in actor:
        return PersonRef(email=str(actor["mbox"]).removeprefix("mailto:"))
    if "mbox_sha1sum" in actor:
        return PersonRef(mbox_sha1sum=str(actor["mbox_sha1sum"]).lower())
    if "openid" in actor:
        return PersonRef(openid=actor["openid"])
    return PersonRef()
