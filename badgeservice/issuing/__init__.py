"""Issuing: signed credentials for people, status-list entries, revocation."""
