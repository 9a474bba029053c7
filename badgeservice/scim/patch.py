"""Request bodies into canonical documents, and SCIM PATCH (RFC 7644 §3.5.2) on them.

A *document* is a resource's attributes as a plain dict with canonical names: core and
common attributes at the top, extension attributes under their schema URN. PUT loads the
body into a document; PATCH applies its operations to the current document and the
result is written exactly like a PUT, so both share one validation and PATCH is atomic
(nothing is written unless every operation applies).

Leniency, on purpose (IdPs differ): operation names are case-insensitive (Entra ID sends
``Replace``); a complex attribute given a bare value means its ``value`` sub-attribute
(Entra ID sends ``manager`` as a plain id); ``remove`` of a multi-valued attribute with a
``value`` list removes those values (Entra ID removes members so); an ``add``/``replace``
whose value filter matches nothing adds a value built from the filter's ``eq`` terms
(``emails[type eq "work"].value`` on a user without one). Attributes of the RFC schemas
that are not stored are accepted without effect; in request bodies unknown attributes are
ignored, in PATCH paths they are an ``invalidPath`` error.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ScimError, invalid_path, invalid_syntax, invalid_value, mutability, no_target
from .filters import (
    And,
    AttrPath,
    Compare,
    Filter,
    FilterError,
    PatchPath,
    attr_path,
    matches,
    parse_patch_path,
)
from .schema import PATCH_OP, Attribute, ResourceType, Schema

__all__ = ["MAX_OPERATIONS", "apply_patch", "normalize"]

MAX_OPERATIONS = 1000
READ_ONLY = frozenset({"id", "meta", "schemas"})


def _container(doc: dict[str, Any], resource: ResourceType, schema: Schema) -> dict[str, Any]:
    if schema is resource.schema:
        return doc
    inner = doc.get(schema.id)
    if not isinstance(inner, dict):
        inner = doc[schema.id] = {}
    return inner


def _resolve(
    resource: ResourceType, path: AttrPath, *, strict: bool
) -> tuple[Schema, Attribute, Attribute | None] | None:
    """The schema, attribute and sub-attribute a path names; ``None`` for attributes that
    are accepted without effect (and, unless ``strict``, for unknown ones)."""
    schema = resource.schema_for(path.urn)
    if schema is None:
        if strict:
            raise invalid_path(f"{path}: {resource.name} has no schema {path.urn}")
        return None
    attribute = schema.attribute(path.attr)
    if attribute is None and schema is resource.schema:
        attribute = next((a for a in resource.common if a.name.lower() == path.attr.lower()), None)
        if attribute is None and path.urn is None:
            # An extension attribute named without its URN: accepted (some IdPs do that).
            for extension in resource.extensions:
                found = extension.attribute(path.attr)
                if found is not None:
                    schema, attribute = extension, found
                    break
    name = path.attr.lower()
    if attribute is None:
        if name in schema.ignored or not strict:
            return None
        raise invalid_path(f"{path}: {resource.name} has no attribute {path.attr!r}")
    sub = None
    if path.sub is not None:
        sub = attribute.sub(path.sub)
        if sub is None:
            if f"{name}.{path.sub.lower()}" in schema.ignored or not strict:
                return None
            raise invalid_path(f"{path}: {attribute.name} has no sub-attribute {path.sub!r}")
        if sub.mutability == "readOnly":
            return None
    return schema, attribute, sub


def _canon_element(attribute: Attribute, value: Any) -> Any:
    """A complex value with canonical sub-attribute names; a bare value means ``value``."""
    if not attribute.is_complex:
        return value
    if not isinstance(value, dict):
        if attribute.sub("value") is not None and not isinstance(value, list):
            return {"value": value}
        raise invalid_value(f"{attribute.name}: must be an object")
    element: dict[str, Any] = {}
    for key, item in value.items():
        sub = attribute.sub(key)
        if sub is not None:
            element[sub.name] = item
    return element


def _canon(attribute: Attribute, value: Any) -> Any:
    if value is None:
        return None
    if attribute.multi_valued:
        items = value if isinstance(value, list) else [value]
        return [_canon_element(attribute, item) for item in items]
    if isinstance(value, list):
        raise invalid_value(f"{attribute.name}: takes one value, not a list")
    return _canon_element(attribute, value)


def normalize(body: Any, resource: ResourceType) -> dict[str, Any]:
    """The document of a POST/PUT body: canonical names, unknown attributes dropped."""
    if not isinstance(body, dict):
        raise invalid_syntax("the body must be a JSON object")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise invalid_syntax(f"schemas must be a list naming {resource.schema.id}")
    if resource.schema.id.lower() not in {s.lower() for s in schemas}:
        raise invalid_syntax(f"schemas must include {resource.schema.id}")
    doc: dict[str, Any] = {}
    _set_all(doc, body, resource, "replace", strict=False)
    return doc


def _set_all(
    doc: dict[str, Any], values: dict[str, Any], resource: ResourceType, op: str, *, strict: bool
) -> None:
    """Apply ``op`` with each key of ``values`` as a path (an extension URN key holds an
    object of that extension's attributes)."""
    for key, item in values.items():
        if not isinstance(key, str) or key.lower() in READ_ONLY:
            continue
        extension = next((s for s in resource.extensions if s.id.lower() == key.lower()), None)
        if extension is not None:
            if not isinstance(item, dict):
                raise invalid_value(f"{extension.id}: must be an object")
            for inner_key, inner in item.items():
                path = _key_path(f"{extension.id}:{inner_key}", strict=False)
                if path is not None:
                    _operate(doc, resource, op, PatchPath(path), inner, strict=False)
            continue
        path = _key_path(key, strict=strict)
        if path is not None:
            _operate(doc, resource, op, PatchPath(path), item, strict=strict)


def _key_path(key: str, *, strict: bool) -> AttrPath | None:
    try:
        return attr_path(key)
    except FilterError as exc:
        if strict:
            raise invalid_path(str(exc)) from None
        return None


def apply_patch(doc: dict[str, Any], body: Any, resource: ResourceType) -> dict[str, Any]:
    """A copy of ``doc`` with the PatchOp ``body`` applied; a SCIM error if any operation
    does not apply."""
    if not isinstance(body, dict):
        raise invalid_syntax("the body must be a JSON object")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_OP not in schemas:
        raise invalid_syntax(f"schemas must be [{PATCH_OP!r}]")
    operations = _key(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise invalid_syntax("Operations must be a non-empty list")
    if len(operations) > MAX_OPERATIONS:
        raise ScimError(400, f"at most {MAX_OPERATIONS} operations per request", "tooMany")
    result = copy.deepcopy(doc)
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise invalid_syntax(f"Operations[{index}] must be an object")
        op = _key(operation, "op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_syntax(f"Operations[{index}].op must be add, replace or remove")
        raw_path = _key(operation, "path")
        value = _key(operation, "value")
        op = op.lower()
        if raw_path is None or raw_path == "":
            if op == "remove":
                raise no_target(f"Operations[{index}]: remove needs a path")
            if not isinstance(value, dict):
                raise invalid_value(f"Operations[{index}]: without a path, value is an object")
            _set_all(result, value, resource, op, strict=False)
            continue
        if not isinstance(raw_path, str):
            raise invalid_path(f"Operations[{index}].path must be a string")
        extension = next((s for s in resource.extensions if s.id.lower() == raw_path.lower()), None)
        if extension is not None:  # the whole extension object as the target
            if op == "remove":
                result.pop(extension.id, None)
            elif isinstance(value, dict):
                _set_all(result, {extension.id: value}, resource, op, strict=False)
            else:
                raise invalid_value(f"Operations[{index}]: {extension.id} takes an object")
            continue
        try:
            path = parse_patch_path(raw_path)
        except FilterError as exc:
            raise invalid_path(f"Operations[{index}].path: {exc}") from None
        if path.attr.urn is None and path.attr.attr.lower() in READ_ONLY:
            raise mutability(f"Operations[{index}]: {path.attr.attr} is read-only")
        if op != "remove" and value is None:
            raise invalid_value(f"Operations[{index}]: {op} needs a value")
        _operate(result, resource, op, path, value, strict=True)
    return result


def _key(mapping: dict[str, Any], name: str) -> Any:
    """``mapping[name]`` with the key matched case-insensitively."""
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return value
    return None


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, dict) and isinstance(right, dict) and "value" in left and "value" in right:
        a, b = left["value"], right["value"]
        if isinstance(a, str) and isinstance(b, str):
            return a.lower() == b.lower()
        return bool(a == b)
    return bool(left == right)


def _operate(
    doc: dict[str, Any],
    resource: ResourceType,
    op: str,
    path: PatchPath,
    value: Any,
    *,
    strict: bool,
) -> None:
    resolved = _resolve(resource, path.attr, strict=strict)
    if resolved is None:
        return
    schema, attribute, sub = resolved
    if attribute.mutability == "readOnly":
        if strict:
            raise mutability(f"{attribute.name} is read-only")
        return
    container = _container(doc, resource, schema)
    key = attribute.name
    if path.filter is not None:
        _operate_filtered(container, attribute, op, path, value)
    elif sub is not None:
        _operate_sub(container, attribute, sub, op, value)
    elif op == "remove":
        if attribute.multi_valued and value is not None:
            gone = _canon(attribute, value)
            container[key] = [
                e for e in container.get(key) or [] if not any(_same(e, g) for g in gone)
            ]
        else:
            container.pop(key, None)
    elif attribute.multi_valued:
        items = _canon(attribute, value) or []
        if op == "add":
            have = list(container.get(key) or [])
            have += [i for i in items if not any(_same(i, h) for h in have)]
            container[key] = have
        else:
            container[key] = items
    elif attribute.is_complex:
        merged = _canon(attribute, value)
        if merged is None:
            container.pop(key, None)
        else:
            current = container.get(key)
            container[key] = {**(current if isinstance(current, dict) else {}), **merged}
    elif value is None:
        container.pop(key, None)
    else:
        container[key] = value


def _operate_sub(
    container: dict[str, Any], attribute: Attribute, sub: Attribute, op: str, value: Any
) -> None:
    key = attribute.name
    if attribute.multi_valued:
        elements = [e for e in container.get(key) or [] if isinstance(e, dict)]
        if not elements and op != "remove":
            elements = [{}]
        for element in elements:
            _set_sub(element, sub.name, op, value)
        container[key] = elements
        return
    current = container.get(key)
    element = dict(current) if isinstance(current, dict) else {}
    _set_sub(element, sub.name, op, value)
    container[key] = element


def _set_sub(element: dict[str, Any], name: str, op: str, value: Any) -> None:
    if op == "remove" or value is None:
        element.pop(name, None)
    else:
        element[name] = value


def _operate_filtered(
    container: dict[str, Any], attribute: Attribute, op: str, path: PatchPath, value: Any
) -> None:
    if not attribute.multi_valued or not attribute.is_complex:
        raise invalid_path(f"{attribute.name} is not multi-valued: it takes no value filter")
    assert path.filter is not None
    sub = None
    if path.sub is not None:
        sub = attribute.sub(path.sub)
        if sub is None:
            raise invalid_path(f"{attribute.name} has no sub-attribute {path.sub!r}")
    elements = [e for e in container.get(attribute.name) or [] if isinstance(e, dict)]
    try:
        chosen = [e for e in elements if matches(path.filter, e)]
    except FilterError as exc:
        raise invalid_path(str(exc)) from None
    if op == "remove":
        if sub is None:
            elements = [e for e in elements if not any(e is c for c in chosen)]
        else:
            for element in chosen:
                element.pop(sub.name, None)
        container[attribute.name] = elements
        return
    if not chosen:
        template = _equalities(path.filter, attribute)
        if template is None:
            raise no_target(f"no value of {attribute.name} matches the filter")
        elements.append(template)
        chosen = [template]
    for element in chosen:
        if sub is not None:
            element[sub.name] = value
        else:
            element.update(_canon_element(attribute, value))
    container[attribute.name] = elements


def _equalities(node: Filter, attribute: Attribute) -> dict[str, Any] | None:
    """The value a filter of ``eq`` terms joined by ``and`` describes; else ``None``."""
    if isinstance(node, And):
        left, right = _equalities(node.left, attribute), _equalities(node.right, attribute)
        return None if left is None or right is None else {**left, **right}
    if isinstance(node, Compare) and node.op == "eq" and node.path.sub is None:
        sub = attribute.sub(node.path.attr)
        return None if sub is None else {sub.name: node.value}
    return None
