"""Alembic is the only way the schema is made: the app compares the database with the migration scripts."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseNotMigrated(RuntimeError):
    pass


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def pending_heads(engine: Engine) -> set[str]:
    """The revisions `upgrade heads` would still apply (empty when the schema is current).

    Comparing heads alone is not enough: a revision another branch ``depends_on`` is applied without
    being stored as a head, so ask Alembic for the upgrade steps instead.
    """
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        current = tuple(MigrationContext.configure(conn).get_current_heads())
    # the revisions `alembic upgrade heads --sql` would run (ScriptDirectory._upgrade_revs walks the same ones)
    steps = script.iterate_revisions("heads", current, implicit_base=True)
    return {step.revision for step in steps}


def ensure_migrated(engine: Engine) -> None:
    missing = pending_heads(engine)
    if missing:
        raise DatabaseNotMigrated(
            "the database schema is not up to date (missing: " + ", ".join(sorted(missing)) + "). "
            "Run: mediation-svc db upgrade"
        )


def upgrade(engine: Engine) -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
