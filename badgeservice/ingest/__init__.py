"""Ingest: completions from learning environments in, credentials out.

Every inbound event is committed raw to the inbox before anything can fail, then processed:
person matched, triggers matched to sub-goals, credentials issued (once), paths advanced.
"""
