"""Awards: the use cases of recognising a person — award a sub-goal or an achievement,
revoke, complete a path — and path progress.

Awards call issuing (build, sign and store a credential), hr recognitions (record the
competences in the same transaction) and paths (which paths a person is on). Nothing
below this package imports it; the inbound channels (``ingest``) hand their completions
here."""
