"""The schema's one home: the baseline builds what the squashed chain built, an old database is adopted, and the
models say what the migrations make.

Each test builds databases of its own (a file on SQLite, a scratch database on PostgreSQL when
MEDIATION_TEST_DATABASE_URL is set) from the shipped migrations and from the squashed chain kept in
tests/fixtures/migrations_0050.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel
from typer.testing import CliRunner

from mediation_svc import cli
from mediation_svc.config import Settings, get_settings
from mediation_svc.db import make_engine
from mediation_svc.migrations_check import (
    BASELINE,
    SQUASHED_HEADS,
    DatabaseNotMigrated,
    alembic_config,
    ensure_migrated,
    pending_heads,
    upgrade,
)

from .conftest import PG_URL, _pg_admin_engine

OLD_CHAIN = Path(__file__).parent / "fixtures" / "migrations_0050"
SERVICE_TABLES = {"readiness_probe", "idempotency_keys"}  # written through SQL of their own, no model


@pytest.fixture()
def blank_database(tmp_path) -> Iterator[Callable[[], Engine]]:
    """Make empty databases on the suite's backend; dropped afterwards."""
    made: list[tuple[Engine, str | None]] = []
    admin = _pg_admin_engine() if PG_URL else None

    def make() -> Engine:
        if admin is None:
            url, name = f"sqlite:///{tmp_path / (uuid.uuid4().hex + '.db')}", None
        else:
            name = f"mig_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = make_url(PG_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(
                hide_password=False)
        engine = make_engine(Settings(database_url=url, _env_file=None))
        made.append((engine, name))
        return engine

    yield make
    for engine, name in made:
        engine.dispose()
        if admin is not None and name:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if admin is not None:
        admin.dispose()


def _old_chain(engine: Engine, target: str = "heads") -> None:
    config = alembic_config()
    config.set_main_option("script_location", str(OLD_CHAIN))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)


def _versions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def _norm(value: object) -> str | None:
    return None if value is None else re.sub(r"\s+", " ", str(value)).strip()


def _schema(engine: Engine) -> dict[str, object]:
    """Everything a migration decides, in an order-free form: columns, keys, indexes, constraints, triggers."""
    inspector = sa.inspect(engine)
    described: dict[str, object] = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        described[table] = {
            "columns": sorted((c["name"], _norm(c["type"]), c["nullable"], _norm(c.get("default")))
                              for c in inspector.get_columns(table)),
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]),
                           _norm(f.get("name")) if engine.dialect.name == "postgresql" else None)
                          for f in inspector.get_foreign_keys(table)),
            "indexes": sorted((i["name"], tuple(c or "" for c in i["column_names"]), bool(i["unique"]),
                               _norm(sorted((k, _norm(v)) for k, v in (i.get("dialect_options") or {}).items())))
                              for i in inspector.get_indexes(table)),
            "uniques": sorted(tuple(sorted(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            "checks": sorted(_norm(c["sqltext"]) or "" for c in inspector.get_check_constraints(table)),
        }
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            described["triggers"] = sorted(_norm(sql) or "" for sql in conn.execute(sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger'")).scalars())
        else:
            described["triggers"] = sorted(conn.execute(sa.text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal")).scalars())
            described["functions"] = sorted(_norm(f) or "" for f in conn.execute(sa.text(
                "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid "
                "AND d.deptype = 'e')")).scalars())
            described["constraints"] = sorted(conn.execute(sa.text(
                "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = 'public'")).scalars())
            described["extensions"] = sorted(conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars())
    return described


def _rows(engine: Engine) -> dict[str, list[str]]:
    """The rows the migrations seed (the calendar's time of writing aside)."""
    inspector = sa.inspect(engine)
    tables = {table: [c["name"] for c in inspector.get_columns(table) if c["name"] != "updated_at"]
              for table in inspector.get_table_names() if table != "alembic_version"}
    seeded: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table, columns in tables.items():
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = sorted(repr(tuple(row)) for row in conn.execute(sa.text(f'SELECT {quoted} FROM "{table}"')))
            if rows:
                seeded[table] = rows
    return seeded


def test_the_baseline_builds_what_the_squashed_chain_built(blank_database):
    old, new = blank_database(), blank_database()
    _old_chain(old)
    upgrade(new)

    before, after = _schema(old), _schema(new)
    if old.dialect.name == "sqlite":
        # the chain's SQLite batch step left audit_log.chain and chain_seq nullable; the baseline makes them
        # NOT NULL, as they always were on PostgreSQL and as the model says (every entry has its chain)
        for name in ("chain", "chain_seq"):
            columns = before["audit_log"]["columns"]  # type: ignore[index]
            position = next(i for i, c in enumerate(columns) if c[0] == name)
            assert columns[position][2] is True
            columns[position] = (*columns[position][:2], False, columns[position][3])
    assert sorted(before) == sorted(after)
    for key in before:
        assert before[key] == after[key], key
    assert _rows(old) == _rows(new)
    assert {"case_categories", "readiness_probe", "calendar_years", "calendar_days"} <= set(_rows(new))


def test_a_database_the_squashed_chain_made_is_adopted_and_keeps_its_rows(blank_database):
    old = blank_database()
    _old_chain(old)
    assert _versions(old) == SQUASHED_HEADS
    with old.begin() as conn:
        conn.execute(sa.text("INSERT INTO case_categories (code, name_zh, name_en, active) "
                             "VALUES ('pension', '养老保险', 'Pension', true)"))
    assert pending_heads(old) == set()  # the app starts on it as it is
    ensure_migrated(old)

    upgrade(old)

    assert _versions(old) == {BASELINE}
    assert pending_heads(old) == set()
    with old.connect() as conn:
        assert conn.execute(sa.text("SELECT name_zh FROM case_categories WHERE code = 'pension'")).scalar_one() \
            == "养老保险"
    upgrade(old)  # and again: nothing left to do
    assert _versions(old) == {BASELINE}


def test_a_database_the_old_chain_left_part_way_is_refused_with_what_to_do(blank_database, monkeypatch):
    old = blank_database()
    _old_chain(old, "0041_complaints")

    with pytest.raises(DatabaseNotMigrated, match="c398153"):
        upgrade(old)
    with pytest.raises(DatabaseNotMigrated, match="part-way"):
        ensure_migrated(old)
    assert _versions(old) == {"0041_complaints"}  # untouched

    monkeypatch.setenv("MEDIATION_DATABASE_URL", old.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "c398153" in result.output and "Traceback" not in result.output


def test_the_models_say_what_the_migrations_make(blank_database):
    engine = blank_database()
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": (
            lambda obj, name, kind, reflected, other: not (kind == "table" and name in SERVICE_TABLES))})
        assert compare_metadata(context, SQLModel.metadata) == []
