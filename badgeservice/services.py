"""Service factories for the current request: each service is built from the request's
session and the application's configuration."""

from __future__ import annotations

from flask import current_app

from .db import get_session
from .issuers.services import IssuerService
from .issuing.services import IssuingService
from .keystore import KeyStore

__all__ = ["issuer_service", "issuing_service", "keystore"]


def keystore() -> KeyStore:
    store: KeyStore = current_app.extensions["badgeservice.keystore"]
    return store


def issuer_service() -> IssuerService:
    return IssuerService(
        get_session(), public_url=current_app.config["PUBLIC_URL"], keystore=keystore()
    )


def issuing_service() -> IssuingService:
    return IssuingService(
        get_session(), public_url=current_app.config["PUBLIC_URL"], keystore=keystore()
    )
