"""ASGI entry point for uvicorn/gunicorn: ``mediation_svc.asgi:app``."""

from .app import create_app

app = create_app()
