"""badgeservice: Open Badges 3.0 issuing and competence recognition."""

__version__ = "0.1.0"
