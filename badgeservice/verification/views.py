"""``POST /api/v1/verify``: the public verification endpoint (no token, rate limited)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..credentials import baking
from ..credentials.errors import CredentialError
from ..db import get_session
from ..errors import BadRequest, NotFound
from ..ratelimit import rate_limited
from ..services import issuer_service
from .schemas import VerificationReportSchema
from .services import credential_at, verify_posted, verify_posted_jwt

__all__ = ["api"]

api = Blueprint("verification", __name__, url_prefix="/api/v1")


@api.post("/verify")
@rate_limited("verify", "VERIFY_RATE_LIMIT")
def verify() -> Response:
    """Verify a credential: proof, issuer key, validity, revocation status and schema.
    ---
    post:
      tags: [verification]
      security: []
      description: >
        No token needed; rate limited per client address. The body is the credential
        (JSON), a VC-JWT (its compact JWS as text/plain, or `{"jws": ...}`), a baked
        badge image as multipart/form-data (field `image`, PNG or SVG, with JSON or a
        VC-JWT inside), or `{"url": ...}` naming one of this service's public credential
        URLs. A VC-JWT's report has one check more, `claims`. Keys and status
        lists of this service's issuers are resolved from the service itself; nothing is
        fetched from elsewhere. The answer is the report `badgeservice credentials verify`
        prints; `verified` is false when any check failed, including a status that could
        not be checked.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - {type: object, description: 'A signed credential (JSON-LD)'}
                - VerifyByUrlSchema
                - VerifyJwtSchema
          text/plain:
            schema: {type: string, description: 'A VC-JWT (compact JWS)'}
          multipart/form-data:
            schema:
              type: object
              properties: {image: {type: string, format: binary}}
      responses:
        200: {content: {application/json: {schema: VerificationReportSchema}}}
        400: {$ref: '#/components/responses/BadRequest'}
        404: {$ref: '#/components/responses/NotFound'}
        429: {description: Too many requests from this client; see Retry-After}
    """
    document = _posted_credential()
    try:
        if isinstance(document, str):
            report = verify_posted_jwt(get_session(), issuer_service(), document)
        else:
            report = verify_posted(get_session(), issuer_service(), document)
    except CredentialError as exc:
        raise BadRequest(str(exc), reason=exc.code) from None
    response = jsonify(VerificationReportSchema().dump(report.to_json()))
    response.headers["Cache-Control"] = "no-store"
    return response


def _posted_credential() -> Any:
    """The posted credential: a JSON object, or a VC-JWT as its compact JWS string."""
    if request.mimetype == "text/plain":
        try:
            return request.get_data().decode("utf-8").strip()
        except UnicodeDecodeError:
            raise BadRequest("the request body is not UTF-8") from None
    if request.mimetype == "multipart/form-data":
        image = request.files.get("image")
        if image is None:
            raise BadRequest("send the baked badge image in the multipart field 'image'")
        try:
            baked = baking.unbake(image.read())
        except CredentialError as exc:
            raise BadRequest(f"image: {exc}", reason=exc.code) from None
        if baked.credential is None and baked.jws is None:
            raise BadRequest("the image holds neither a credential nor a VC-JWT")
        return baked.credential if baked.credential is not None else baked.jws
    if not request.is_json:
        raise BadRequest(
            "send the credential as application/json, a VC-JWT as text/plain, a baked image "
            "as multipart/form-data (field 'image'), or {\"url\": ...} as application/json"
        )
    try:
        body = json.loads(request.get_data().decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the request body is not UTF-8") from None
    except RecursionError:
        raise BadRequest("the request body is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc.msg}") from None
    if isinstance(body, dict) and set(body) == {"url"}:
        url = body["url"]
        if not isinstance(url, str):
            raise BadRequest("url: must be a string")
        found = credential_at(get_session(), current_app.config["PUBLIC_URL"], url)
        if found is None:
            raise NotFound(f"{url} is not a credential of this service")
        return found
    if isinstance(body, dict) and set(body) == {"jws"}:
        if not isinstance(body["jws"], str):
            raise BadRequest("jws: must be a string (a compact JWS)")
        return body["jws"]
    if not isinstance(body, dict) or "@context" not in body:
        raise BadRequest(
            'the body must be a credential (a JSON-LD object), {"jws": ...} or {"url": ...}'
        )
    return body
