"""A throw-away PostgreSQL database per benchmark: created fresh, dropped at the end (unless kept)."""

from __future__ import annotations

import argparse

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


def database_exists(url: str, name: str) -> bool:
    """Whether the server of ``url`` has database ``name`` (a ``--keep`` run's, for ``--reuse``)."""
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_arguments(description: str) -> argparse.ArgumentParser:
    """The options every PostgreSQL benchmark takes: the server, the number of runs, keeping the database."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL URL whose user may create databases")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    return parser
