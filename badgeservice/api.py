"""The edge helpers every view of the REST API (``/api/v1``) uses.

Views are thin: :func:`load_body` parses with a marshmallow schema into plain data, one
service call does the work, :func:`dump` writes the answer. Unknown fields are rejected.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from itertools import accumulate
from typing import Any, TypeVar

from flask import Response, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Select

from .db import get_session
from .errors import BadRequest, NotFound
from .languages import TAG, normal_tag

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_OFFSET",
    "PAGE_OF",
    "MalformedJson",
    "Page",
    "Ref",
    "dump",
    "dump_page",
    "load_body",
    "load_query",
    "page_schema",
    "paginate",
    "parse_id",
    "parse_json",
    "parse_ref",
    "partial",
    "refuse_nul",
]

M = TypeVar("M")

# Paging past this is refused with 400 (databases overflow on larger offsets).
MAX_OFFSET = 1_000_000_000


class Page(Schema):
    """``limit`` and ``offset`` query parameters; list queries extend it. The OpenAPI
    document takes the query parameters of a list from its schema (``parameters: [{in:
    query, schema: SomeListQuery}]``), so they are described here once."""

    class Meta:
        unknown = RAISE

    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "at most this many items (1 to 1000)"},
    )
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_OFFSET),
        metadata={"description": "skip this many items first"},
    )


def paginate(statement: Select[Any], query: Mapping[str, Any]) -> list[Any]:
    """One page of ``statement``'s rows, as a :class:`Page` query asked: the entities when
    it selects one, else the rows. The statement must order its rows (a page of an
    unordered query is not the same page twice)."""
    if not statement._order_by_clauses:
        raise TypeError("paginate() needs an ordered statement")
    page = statement.limit(query["limit"]).offset(query["offset"])
    if len(statement.column_descriptions) == 1:
        return list(get_session().scalars(page))
    return list(get_session().execute(page).all())


# The one page envelope of every list: ``{"items": [...]}``. A docstring names it as
# ``schema: {page-of: ItemSchema}``; the OpenAPI builder writes it out (:func:`page_schema`).
PAGE_OF = "page-of"


def page_schema(item: Any) -> dict[str, Any]:
    """The OpenAPI schema of a page of ``item`` (a schema name or an inline schema)."""
    return {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": item}},
    }


def dump_page(schema: Schema, rows: Iterable[Any]) -> Response:
    """A page of ``rows``, each serialized with ``schema``, in the page envelope."""
    return dump(schema, list(rows), wrap="items", many=True)


def load_body(schema: Schema) -> Any:
    """Parse the JSON request body with ``schema``; 400/415 problem+json on bad input."""
    if not request.is_json:
        raise BadRequest("send a JSON body with 'Content-Type: application/json'", errors={})
    data = parse_json(request.get_data(cache=True))
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


# Every JSON body in (API, events, xAPI, Moodle, SCIM) nests at most this deep: checked on the
# bytes before parsing, so no parser, validator or walk of ours can run out of stack.
MAX_JSON_DEPTH = 64

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# NUL and lone surrogates can only reach a parsed string through these escapes (raw control
# characters are invalid JSON, raw surrogates invalid UTF-8): without one, no walk is needed.
_SUSPECT_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(raw: bytes) -> Any:
    """The one reader of JSON request bodies: UTF-8 JSON nested at most
    :data:`MAX_JSON_DEPTH` deep, finite numbers only, and text every database and encoder
    takes (no NUL, no lone UTF-16 surrogate such as ``"\\ud83c"``). Anything else is a
    :class:`BadRequest` naming the field."""
    openings = raw.count(b"[") + raw.count(b"{")
    if openings > MAX_JSON_DEPTH and json_depth(raw) > MAX_JSON_DEPTH:
        raise MalformedJson(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJson("the request body is not UTF-8 text") from None
    try:
        data = json.loads(
            text.removeprefix("\ufeff"),
            parse_constant=_no_constant,
            parse_float=_finite,
            parse_int=_integer,
        )
    except _NotFinite as exc:
        raise BadRequest(f"the JSON body holds the number {exc} (out of range)") from None
    except (ValueError, RecursionError):
        raise MalformedJson("the request body is not valid JSON") from None
    if _SUSPECT_ESCAPES.search(raw):
        refuse_nul(data, "")
    return data


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of the JSON text ``raw`` nest (strings skipped)."""
    brackets = _STRINGS.sub(b"", raw).translate(None, _BRACKETS)
    if not brackets:
        return 0
    return max(accumulate(map(_STEP.__getitem__, brackets)))


class MalformedJson(BadRequest):
    """The body is not JSON at all, or nests too deeply to read."""


class _NotFinite(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotFinite(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text if len(text) <= 40 else text[:40] + "…")
    return value


def _integer(text: str) -> int:
    # Python's own limit (4,300 digits) would raise a ValueError that reads like bad JSON.
    if len(text) > 100:
        raise _NotFinite(text[:40] + "…")
    return int(text)


def refuse_nul(value: Any, path: str) -> None:
    """Text in every string (keys too) that a database column and a UTF-8 encoder take: no
    NUL character and no lone UTF-16 surrogate (valid JSON escapes, but not characters)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRequest(f"{path or 'value'}: text must not contain NUL (U+0000) characters")
        if _SURROGATE.search(value):
            raise BadRequest(
                f"{path or 'value'}: text holds a lone UTF-16 surrogate (an escape such as "
                "\\ud83c without its pair), which is not a character"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key, path)
            refuse_nul(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul(item, f"{path}.{index}" if path else str(index))


def partial(schema_class: type[Schema]) -> Schema:
    """``schema_class`` for a PATCH: its own fields optional, nested objects still whole
    (marshmallow's ``partial=True`` would make nested required fields optional too)."""
    return schema_class(partial=tuple(schema_class().fields))


def load_query(schema: Schema) -> Any:
    """Parse query parameters with ``schema``."""
    args = request.args.to_dict()
    refuse_nul(args, "")
    try:
        return schema.load(args)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> BadRequest:
    messages = exc.normalized_messages()  # type: ignore[no-untyped-call]
    return BadRequest(_summary(messages), errors=messages)


def _summary(messages: Any, prefix: str = "") -> str:
    """One readable line: ``field.sub: message; other: message``."""
    parts: list[str] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                parts.append(_summary(value, name))
            else:
                text = "; ".join(str(v) for v in value) if isinstance(value, list) else value
                parts.append(f"{name}: {text}")
    else:
        parts.append(str(messages))
    return "; ".join(parts)


def dump(
    schema: Schema, obj: Any, status: int = 200, *, wrap: str | None = None, many: bool = False
) -> Response:
    """Serialize ``obj`` with ``schema`` as the JSON response (lists under ``wrap``)."""
    data = schema.dump(obj, many=many or None)
    response = jsonify({wrap: data} if wrap else data)
    response.status_code = status
    return response


def own(model: type[M], value: str, what: str, organisation_id: uuid.UUID | None = None) -> M:
    """The row of ``model`` with id ``value`` in the caller's organisation (the API
    client's, or ``organisation_id`` for a page). Another organisation's row is "not
    found", exactly like a missing one: nothing leaks."""
    if organisation_id is None:
        from .auth import current_principal

        organisation_id = current_principal().organisation_id
    row = get_session().get(model, parse_id(value, what))
    if row is None or getattr(row, "organisation_id", None) != organisation_id:
        raise NotFound(f"no {what} {value}")
    return row


def parse_ref(value: str) -> uuid.UUID | str:
    """An id, or a natural key (its text, stripped) for the caller to look up."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return value.strip()


class Ref(fields.String):
    """An id or a natural key: a UUID loads as :class:`uuid.UUID`, any other text as itself
    (stripped). ``key`` names the natural key in messages and the OpenAPI document;
    ``shape`` (a regular expression) is what a natural key must look like."""

    def __init__(self, key: str, shape: str | None = None, **kwargs: Any) -> None:
        metadata = kwargs.pop("metadata", {})
        description = metadata.get("description", "")
        metadata["description"] = f"{description} (an id, or {key})".strip()
        metadata.setdefault("minLength", 1)
        metadata.setdefault("maxLength", 320)
        super().__init__(metadata=metadata, **kwargs)
        self.key = key
        self.shape = re.compile(shape) if shape else None

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not isinstance(text, str) or not text.strip() or len(text) > 320:
            raise ValidationError("give an id or a natural key (1 to 320 characters)")
        ref = parse_ref(text)
        if isinstance(ref, str) and self.shape is not None and not self.shape.fullmatch(ref):
            raise ValidationError(f"{text!r} is neither an id nor {self.key}")
        return ref


def parse_id(value: str, what: str) -> uuid.UUID:
    """A UUID path parameter; a malformed one is simply not found."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"no {what} {value!r}") from None


class Translations(fields.Dict):
    """Texts in several languages: ``{"name": {"fi": "…", "sv": "…"}, …}``. ``names`` maps
    each field's API name to its stored name (``criteria`` → ``criteria_narrative``); tags
    are BCP 47 and loaded in their usual case, texts non-blank and at most ``limit`` long."""

    def __init__(self, names: Mapping[str, str], limit: int = 20_000, **kwargs: Any) -> None:
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault(
            "description",
            "each text in every language it is written in: {field: {language tag: text}}; "
            f"fields {', '.join(names)}",
        )
        super().__init__(
            keys=fields.String(validate=validate.OneOf(list(names))),
            values=fields.Dict(
                keys=fields.String(validate=validate.Regexp(TAG, error="not a language tag")),
                values=fields.String(validate=validate.Length(min=1, max=limit)),
            ),
            metadata=metadata,
            **kwargs,
        )
        self.names = dict(names)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        loaded = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-untyped-call]
        out: dict[str, dict[str, str]] = {}
        for name, table in loaded.items():
            if any(not text.strip() for text in table.values()):
                raise ValidationError(f"{name}: a text must not be blank")
            out[self.names[name]] = {normal_tag(tag): text for tag, text in table.items()}
        return out

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        stored = {stored: api for api, stored in self.names.items()}
        return {stored[key]: dict(table) for key, table in value.items() if key in stored}
