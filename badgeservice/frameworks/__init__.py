"""Competence frameworks: DigComp 2.2, imported 1EdTech CASE packages and their items.

:mod:`badgeservice.frameworks.sources` reads framework data (the shipped DigComp 2.2 file, a
CASE ``CFPackage``) into plain, validated values; storing them is the domain services' job.
"""
