"""HR: recognitions of competence, the outbox that pushes them to HR competence registers,
the pull feed, and the competence reserve."""
