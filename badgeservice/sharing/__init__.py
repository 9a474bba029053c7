"""Sharing: whether a credential's public page shows the badge, and whether it names the
earner. Private by default; the holder (on their pages) or an admin (over the API) opens it."""

from .services import Sharing, Visibility, get_sharing, set_sharing

__all__ = ["Sharing", "Visibility", "get_sharing", "set_sharing"]
