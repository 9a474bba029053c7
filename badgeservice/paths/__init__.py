"""Paths (organisation, team, individual), their sub-goals, targets and triggers."""
