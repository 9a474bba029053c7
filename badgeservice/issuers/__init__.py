"""Issuer profiles of an organisation, their did:web identities and signing keys."""
