"""Reproducible performance measurements; each reports ratios to a baseline run alongside."""
