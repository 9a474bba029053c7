"""What awards tell the floors above them, without knowing them: a layer above (the
inbound channels) subscribes; awards only send."""

from __future__ import annotations

from blinker import Namespace

__all__ = ["awarded"]

_signals = Namespace()

# Sent (no sender) after a manual award issued a new credential, inside the request's
# transaction, with ``session`` and ``person_id``: completions that waited for it may go on now.
awarded = _signals.signal("awarded")
