"""People (learners, employees) and teams with their supervisors."""
