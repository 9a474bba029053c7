"""HR, recognitions: the competences each credential recognises, the holdings they
add up to, the competence events they publish, and the pull feed of those events."""
