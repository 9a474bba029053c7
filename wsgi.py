"""WSGI entry point: ``gunicorn wsgi:app``."""

from badgeservice.app import create_app

app = create_app()
