"""Service factories of the lower floors (the issuing, ingest and awards services have
theirs beside them): each service is built from a session and the current application's
configuration, alike for views (the request's session by default), workers and commands
(their own session, inside ``app.app_context()``)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from .db import get_session
from .issuers.services import IssuerService
from .keystore import KeyStore

__all__ = ["issuer_service", "keystore"]


def keystore() -> KeyStore:
    store: KeyStore = current_app.extensions["badgeservice.keystore"]
    return store


def issuer_service(session: Session | None = None) -> IssuerService:
    return IssuerService(
        session or get_session(), public_url=current_app.config["PUBLIC_URL"], keystore=keystore()
    )
