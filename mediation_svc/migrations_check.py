"""Alembic is the only way the schema is made: the app compares the database with the migration scripts.

The migrations 0001_foundation..0050_service_addresses were squashed into the baseline 0051..0054, one revision
per group of domains (same tables, indexes, constraints, triggers and seed rows; tests/test_migrations.py builds
both and compares them). A database the old chain brought to its heads is adopted: its ``alembic_version`` rows
are replaced by the baseline's last revision, nothing else changes. A database the old chain left part-way
cannot be adopted and says how to finish it.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0054_baseline_documents_signing"  # the last of the four; the schema the old chain's heads built
# what alembic_version held once the old chain had run to its heads (a revision another depends on is not stored)
SQUASHED_HEADS = frozenset({
    "0006_judicial", "0010_rosters_more", "0020_institution_seal_image", "0025_signing_short_links",
    "0030_accounts_second_factor", "0035_reliability", "0036_audit_chains", "0037_idempotency_keys",
    "0040_workcalendar", "0044_search_indexes", "0047_case_evidence", "0048_case_messages",
    "0050_service_addresses",
})
LAST_UNSQUASHED = "c398153"  # the last commit that carries the separate migrations


class DatabaseNotMigrated(RuntimeError):
    pass


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _current(conn: Connection, script: ScriptDirectory) -> tuple[str, ...]:
    """The revisions the database is at, the old chain's heads read as the baseline."""
    current = set(MigrationContext.configure(conn).get_current_heads())
    if current == SQUASHED_HEADS:
        return (BASELINE,)
    unknown = {rev for rev in current if _unknown(script, rev)}
    if unknown:
        raise DatabaseNotMigrated(
            "the database was migrated part-way by the migrations before the baseline (at: "
            + ", ".join(sorted(current)) + "). Finish it with mediation-svc at commit " + LAST_UNSQUASHED
            + " (`mediation-svc db upgrade`), then run this version's `mediation-svc db upgrade`"
        )
    return tuple(sorted(current))


def _unknown(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is None
    except CommandError:  # what get_revision raises for an id it has no script for
        return True


def pending_heads(engine: Engine) -> set[str]:
    """The revisions `upgrade heads` would still apply (empty when the schema is current).

    Comparing heads alone is not enough: a revision another branch ``depends_on`` is applied without
    being stored as a head, so ask Alembic for the upgrade steps instead.
    """
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        current = _current(conn, script)
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


def _adopt_squashed(conn: Connection, script: ScriptDirectory) -> None:
    """Record a database the old chain finished as being at the baseline (its schema is the baseline's)."""
    if _current(conn, script) == (BASELINE,) and BASELINE not in MigrationContext.configure(conn).get_current_heads():
        conn.execute(sa.text("DELETE FROM alembic_version"))
        conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:rev)"), {"rev": BASELINE})


def upgrade(engine: Engine) -> None:
    """Apply every pending migration in one transaction (an old chain's database adopted first, in the same one)."""
    from alembic import command

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    with engine.begin() as conn:
        _adopt_squashed(conn, script)
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
