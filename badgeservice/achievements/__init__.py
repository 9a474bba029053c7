"""Achievements: OB 3.0 badge definitions, versioned, never edited once issued."""
