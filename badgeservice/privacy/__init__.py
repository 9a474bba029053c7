"""Personal data: a person's export (everything held about them, in a zip described by a
published JSON Schema) and erasure (personal data removed or irreversibly anonymised, the
person kept as a tombstone so their credentials stay verifiable and revocable)."""
