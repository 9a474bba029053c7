"""Read and change a credential's sharing. Services flush; the request boundary commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import BadRequest
from ..issuing.models import Credential
from .models import CredentialShare

__all__ = ["Sharing", "Visibility", "get_sharing", "set_sharing"]


class Visibility(StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"


@dataclass(frozen=True)
class Sharing:
    """A credential's sharing; ``updated_at`` is None while it was never set."""

    visibility: Visibility = Visibility.PRIVATE
    show_name: bool = False
    updated_at: datetime | None = None

    @property
    def public(self) -> bool:
        return self.visibility is Visibility.PUBLIC


def get_sharing(session: Session, credential: Credential) -> Sharing:
    """The credential's sharing: private and without the name unless the holder chose."""
    row = session.get(CredentialShare, credential.id)
    if row is None:
        return Sharing()
    return _sharing(row)


def set_sharing(
    session: Session, credential: Credential, *, visibility: str, show_name: bool
) -> Sharing:
    """Set both choices at once. ``show_name`` is kept as chosen even while the badge is
    private (it takes effect when the badge is made public)."""
    try:
        chosen = Visibility(visibility)
    except ValueError:
        raise BadRequest(f"visibility must be 'private' or 'public', not {visibility!r}") from None
    row = session.get(CredentialShare, credential.id)
    if row is None:
        row = CredentialShare(
            credential_id=credential.id, organisation_id=credential.organisation_id
        )
        session.add(row)
    row.visibility = chosen.value
    row.show_name = bool(show_name)
    row.updated_at = utcnow()
    session.flush()
    return _sharing(row)


def _sharing(row: CredentialShare) -> Sharing:
    return Sharing(
        visibility=Visibility(row.visibility), show_name=row.show_name, updated_at=row.updated_at
    )
