"""Notices by e-mail: when a badge is issued, before one expires, and (for supervisors who
ask for it) a weekly digest of their team. Queued in an outbox in the same transaction as
what they tell of, sent by a background step — never from inside a request — with retries;
a person can turn each kind off."""
