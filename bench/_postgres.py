"""A throw-away PostgreSQL database per benchmark: created fresh, dropped at the end (unless kept)."""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url


def admin_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (psycopg connects with it directly)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def recreate_database(url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``url``; returns its SQLAlchemy URL."""
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
