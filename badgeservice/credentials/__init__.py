"""The credential library: Open Badges 3.0 documents, offline JSON-LD, eddsa-rdfc-2022.

Pure Python with no Flask and no database, so a verifier can use it on its own.
"""
