"""WSGI entry point: ``gunicorn wsgi:app``."""

from badgeservice.app import create_app
from badgeservice.runtime import tune_gc

app = create_app()
tune_gc()  # what is loaded now lives as long as the process (see badgeservice.runtime)
