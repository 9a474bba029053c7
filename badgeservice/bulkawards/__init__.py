"""Bulk award: an admin uploads a CSV (person, badge, optional narrative and evidence link),
sees every row's outcome in a dry run, confirms, and the rows are awarded in the background
with progress shown. Each row is an award, so a row already held issues nothing: uploading
the same file again issues nothing twice. Above awards, like the inbound channels."""
