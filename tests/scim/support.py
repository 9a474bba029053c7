"""Helpers of the SCIM tests: requests as an IdP sends them, and SCIM error checks."""

from __future__ import annotations

import json
from typing import Any

SCIM = "/scim/v2"
MEDIA = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class Idp:
    """A Flask test client speaking SCIM with one tenant's token."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}", "Accept": MEDIA}

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        data = None if body is None else json.dumps(body)
        return self.client.open(
            f"{SCIM}{path}",
            method=method,
            data=data,
            content_type=MEDIA if body is not None else None,
            headers={**self.headers, **headers},
        )

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.call(method, path, body)
        assert response.status_code == status, response.get_data(as_text=True)
        if status == 204:
            return None
        assert response.mimetype == MEDIA
        return response.get_json()

    def create_user(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        body = {"schemas": [USER, ENTERPRISE], "userName": user_name, **attributes}
        return dict(self.ok("POST", "/Users", body, 201))

    def patch(self, path: str, *operations: dict[str, Any], status: int = 200) -> Any:
        return self.ok("PATCH", path, {"schemas": [PATCH], "Operations": list(operations)}, status)


def user(user_name: str, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [USER, ENTERPRISE], "userName": user_name, **attributes}


def scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The SCIM error document of an error response with ``status`` (and ``scimType``)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == MEDIA, response.mimetype
    body: dict[str, Any] = response.get_json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body
