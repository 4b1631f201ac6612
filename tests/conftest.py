"""Fixtures: a fresh migrated database per test (SQLite, or PostgreSQL when MEDIATION_TEST_DATABASE_URL is
set), keys made once per run, an app with a TestClient, and factories for users and cases."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from mediation_svc.config import Settings
from mediation_svc.db import make_engine
from mediation_svc.migrations_check import upgrade
from mediation_svc.pki.keystore import KeyStore, init_keys
from mediation_svc.security.passwords import use_profile as use_password_profile

from .factories import intake_payload

TEST_PASSPHRASE = "test-passphrase-not-for-production"
use_password_profile("cheapest")
PG_URL = os.environ.get("MEDIATION_TEST_DATABASE_URL")
DB_FIXTURES = {"engine", "db", "client", "app", "settings", "make_user", "make_case", "auth"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
        if item.get_closest_marker("postgresql_only") and not PG_URL:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set MEDIATION_TEST_DATABASE_URL)"))


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + _redact(PG_URL) if PG_URL else 'SQLite'}"


def _redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    init_keys(KeyStore(directory, TEST_PASSPHRASE.encode()))
    return directory


def _pg_admin_engine() -> Engine:
    url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


class PostgresTestDatabase:
    """One migrated PostgreSQL database per test run, reset to its freshly migrated state before each test.

    Creating a database per test costs about a second on PostgreSQL; TRUNCATE and re-inserting the rows
    the migrations seeded costs a few milliseconds.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.url = make_url(PG_URL).set(drivername="postgresql+psycopg", database=name)
        self.tables: list[str] = []
        self.seed_rows: dict[str, tuple[list[str], list[tuple]]] = {}
        self.sequences: list[tuple[str, int | None]] = []

    def snapshot(self) -> None:
        import psycopg

        with psycopg.connect(self._libpq_url()) as conn:
            self.tables = [row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
            for table in self.tables:
                cursor = conn.execute(f'SELECT * FROM "{table}"')
                rows = cursor.fetchall()
                if rows:
                    self.seed_rows[table] = ([d.name for d in cursor.description], rows)
            self.sequences = [(f'"{name}"', last) for name, last in conn.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")]

    def reset(self) -> None:
        import psycopg

        with psycopg.connect(self._libpq_url(), autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (self.name,))
            # Tests that play a superuser tampering with the audit log switch its triggers off.
            for (table,) in conn.execute("SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c "
                                         "ON c.oid = t.tgrelid WHERE t.tgenabled = 'D' AND NOT t.tgisinternal"):
                conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
            with conn.transaction():
                # Replica mode skips user triggers (the audit log's append-only guard) and foreign-key
                # checks, so plain DELETEs in any order empty the tables; on tiny tables they beat TRUNCATE.
                conn.execute("SET LOCAL session_replication_role = replica")
                for table in self.tables:
                    conn.execute(f'DELETE FROM "{table}"')
                for table, (columns, rows) in self.seed_rows.items():
                    names = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    with conn.cursor() as cursor:
                        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
                for sequence, last_value in self.sequences:
                    if last_value is None:
                        conn.execute("SELECT setval(%s::regclass, 1, false)", (sequence,))
                    else:
                        conn.execute("SELECT setval(%s::regclass, %s, true)", (sequence, last_value))

    def _libpq_url(self) -> str:
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> Iterator[object]:
    """A migrated database: a file each test copies on SQLite, one reset-per-test database on PostgreSQL."""
    if PG_URL:
        name = f"mtest_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        database = PostgresTestDatabase(name)
        engine = make_engine(Settings(database_url=database.url.render_as_string(hide_password=False)))
        upgrade(engine)
        engine.dispose()
        database.snapshot()
        yield database
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
        upgrade(engine)
        engine.dispose()  # closing the last connection checkpoints the WAL into the file we copy
        yield str(path)


def demo_settings(path: Path, keys_dir: Path) -> Settings:
    """Settings for a SQLite file holding the demo, signed with the run's keys."""
    return Settings(database_url=f"sqlite:///{path}", key_dir=keys_dir, key_passphrase=TEST_PASSPHRASE,
                    public_base_url="http://testserver", log_json=False, log_level="WARNING",
                    password_hash_profile="cheapest", sms_gateway="log", _env_file=None)


@pytest.fixture(scope="session")
def demo_database(keys_dir, tmp_path_factory) -> Path:
    """A migrated SQLite file with the whole demo seeded (``make run``'s data), made once per run.

    Seeding signs several agreements (B-LTA) and costs some 20 s of CPU, so the tests that read the demo
    share it: each takes its own copy with ``demo_copy``."""
    from mediation_svc.demo import seed

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    settings = demo_settings(path, keys_dir)
    engine = make_engine(settings)
    upgrade(engine)
    # In a thread of its own: the demo signs documents (pyHanko runs asyncio.run), which cannot happen in a
    # thread where Playwright's sync API already runs its event loop (the browser story asks for it too).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(seed, engine, settings).result()
    engine.dispose()  # closing the last connection checkpoints the WAL into the file the tests copy
    return path


def demo_copy(demo_database: Path, keys_dir: Path, directory: Path) -> Settings:
    """A copy of the seeded demo in ``directory``, and the settings that open it."""
    path = directory / "demo.db"
    shutil.copyfile(demo_database, path)
    return demo_settings(path, keys_dir)


@pytest.fixture
def database_url(database_template, tmp_path) -> Iterator[str]:
    if PG_URL:
        database_template.reset()
        yield database_template.url.render_as_string(hide_password=False)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url, keys_dir, tmp_path) -> Settings:
    return Settings(database_url=database_url, key_dir=keys_dir, key_passphrase=TEST_PASSPHRASE,
                    public_base_url="http://testserver", log_json=False, log_level="WARNING",
                    password_hash_profile="cheapest",
                    _env_file=None)


@pytest.fixture
def engine(settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def app(settings, engine):
    from mediation_svc.app import create_app

    return create_app(settings, engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_user(engine):
    from mediation_svc.accounts.schemas import UserCreate
    from mediation_svc.accounts.service import create_user
    from mediation_svc.db import unit_of_work

    counter = iter(range(1, 10_000))

    def factory(role: str = "case_officer", username: str | None = None, password: str = "correct-horse-42",
                **fields):
        data = UserCreate(username=username or f"{role}{next(counter)}", password=password,
                          display_name=fields.pop("display_name", f"测试{role}"), role=role, **fields)
        with unit_of_work(engine) as session:
            user = create_user(session, data=data, actor="test")
        return user

    return factory


@pytest.fixture
def auth(app):
    """auth(user) -> Authorization headers with a fresh access token for that user."""
    from mediation_svc.accounts.service import issue_access_token

    def headers(user) -> dict[str, str]:
        token, _ = issue_access_token(app.state.tokens, app.state.settings, user)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def make_case(engine, settings, make_user):
    """make_case(officer=None, **intake_overrides) -> Case, created through the intake service."""
    from mediation_svc.cases.schemas import CaseIntake
    from mediation_svc.cases.service import intake_case
    from mediation_svc.db import unit_of_work

    def factory(officer=None, **overrides):
        officer = officer or make_user("case_officer")
        with unit_of_work(engine) as session:
            case = intake_case(session, settings, data=CaseIntake(**intake_payload(**overrides)), actor=officer)
        return case

    return factory
