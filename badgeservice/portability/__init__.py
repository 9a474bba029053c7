"""Badges outlive the job: a person's own identities (a verified personal e-mail, a DID
they proved they control), their credentials re-issued to them, and single-use links that
sign a person in by their personal e-mail — also after they have left the organisation —
to reach their badges and nothing else."""
