"""The audit trail: who did what to an organisation, when and from where; append-only,
purged only by retention."""
