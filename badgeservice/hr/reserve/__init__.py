"""HR, reserve: the competence reserve per target, its trends and holder counts, the
holders and their exports, and the supervisor's team overview."""
