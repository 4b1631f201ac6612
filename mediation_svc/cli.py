"""The ``mediation-svc`` command: serve, database, keys, demo data, audit, users.

Start-up is lazy: ``main`` (the console entry) adds only the domain commands the command line names (a
court clerk's ``mediation-svc verify`` imports the verifier, not the signing service or the database),
and every command imports its domain when it runs. ``app`` (as tests and other code import it) has every
command.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Optional

import typer

from .cli_support import command_errors
from .cli_support import engine as _engine

_app = typer.Typer(help="mediation-svc: banking and insurance dispute mediation service.", no_args_is_help=True,
                   pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
keys_app = typer.Typer(help="Keys and certificates in the key directory.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: per-subject hash chains and signed Merkle tree heads.", no_args_is_help=True)
_app.add_typer(db_app, name="db")
_app.add_typer(keys_app, name="keys")
_app.add_typer(audit_app, name="audit")


def _settings():
    from .config import get_settings

    return get_settings()


def _notifications() -> None:
    from .notifications.cli import app as notifications_app

    _app.add_typer(notifications_app, name="notifications")


def _keys() -> None:
    from .pki.cli import generate_seal_in_hsm, renew_tsa
    from .pki.cli import revoke as revoke_certificate

    keys_app.command("generate-seal-in-hsm")(generate_seal_in_hsm)
    keys_app.command("renew-tsa")(renew_tsa)
    keys_app.command("revoke")(revoke_certificate)


def _signing() -> None:
    from .signing.cli import app as signing_app

    _app.add_typer(signing_app, name="signing")


def _archive() -> None:
    from .signing.archive import cli as archive_app

    _app.add_typer(archive_app, name="archive")


def _verify() -> None:
    from .verification.cli import verify

    _app.command("verify")(verify)


def _calendar() -> None:
    from .workcalendar.cli import app as calendar_app

    _app.add_typer(calendar_app, name="calendar")


def _complaints() -> None:
    from .complaints.cli import app as complaints_app

    _app.add_typer(complaints_app, name="complaints")


# command name -> what adds it (in the order ``--help`` lists them)
DOMAIN_COMMANDS: dict[str, Callable[[], None]] = {
    "notifications": _notifications, "keys": _keys, "signing": _signing, "archive": _archive, "verify": _verify,
    "calendar": _calendar, "complaints": _complaints}
_added: set[str] = set()


def add_domain_commands(only: str | None = None) -> typer.Typer:
    """Add the domain commands (``only``: just that one, when it is one) to the app; returns the app."""
    for name, add in DOMAIN_COMMANDS.items():
        if name not in _added and (only is None or name == only):
            add()
            _added.add(name)
    return _app


def __getattr__(name: str):
    if name == "app":
        return add_domain_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


CORE_COMMANDS = {"serve", "db", "seed-demo", "audit", "create-user"}


@_app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, envvar="PORT", help="Port to listen on (PORT overrides)."),
          workers: int = typer.Option(1, help="Worker processes (use PostgreSQL for more than one)."),
          reload: bool = typer.Option(False, help="Reload on code changes (development).")) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    if workers > 1 and _settings().sqlite_path is not None:
        # SQLite has one writer at a time per file; several worker processes answer "database is locked".
        typer.echo(f"--workers {workers} needs PostgreSQL: SQLite takes one writer at a time. Set "
                   "MEDIATION_DATABASE_URL=postgresql://... (see docs/operations.md) or serve with --workers 1.",
                   err=True)
        raise typer.Exit(2)

    # A worker still importing on a busy host can miss uvicorn's 5 s health ping and be killed and restarted,
    # over and over (seen at load average 12 on two cores); give it longer.
    uvicorn.run("mediation_svc.asgi:app", host=host, port=port, workers=workers, reload=reload,
                proxy_headers=False,  # security.proxies decides
                log_config=None, access_log=False,  # requests are logged once, without secrets (observability)
                timeout_worker_healthcheck=30)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (creates the database on first run)."""
    from .migrations_check import DatabaseNotMigrated, pending_heads, upgrade

    engine = _engine()
    try:
        missing = pending_heads(engine)
        upgrade(engine)
    except DatabaseNotMigrated as exc:
        typer.echo(f"cannot upgrade: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"database up to date ({len(missing)} branch head(s) applied)" if missing else "database up to date")


@db_app.command("status")
def db_status() -> None:
    """Say whether migrations are pending."""
    from .migrations_check import DatabaseNotMigrated, pending_heads

    try:
        missing = pending_heads(_engine())
    except DatabaseNotMigrated as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo("pending: " + ", ".join(sorted(missing)) if missing else "up to date")
    raise typer.Exit(1 if missing else 0)


@keys_app.command("init")
def keys_init() -> None:
    """Create missing keys and certificates (encrypted with MEDIATION_KEY_PASSPHRASE)."""
    from .pki.keystore import KeyStore, init_keys

    settings = _settings()
    created = init_keys(KeyStore.from_settings(settings))
    typer.echo(f"created: {', '.join(created)}" if created else f"keys present in {settings.key_dir}")


@_app.command("seed-demo")
def seed_demo(force: bool = typer.Option(False, help="Seed even if demo data is already there.")) -> None:
    """Load realistic, fictitious demo data (once)."""
    from .demo import seed

    result = seed(_engine(), _settings(), force=force)
    typer.echo(result.message)
    for line in result.logins:
        typer.echo(line)


@audit_app.command("verify")
def audit_verify() -> None:
    """Re-check every chain and every signed tree head; exit 1 and name the first broken entry if any."""
    from sqlmodel import Session

    from .audit.transparency import verify_log
    from .pki.keystore import KeyStore

    settings = _settings()
    with Session(_engine()) as session:
        report = verify_log(session, KeyStore.from_settings(settings))
    typer.echo(json.dumps(report, ensure_ascii=False))
    raise typer.Exit(0 if report["ok"] else 1)


@audit_app.command("publish")
def audit_publish() -> None:
    """Fold the chains that grew into the Merkle tree; sign and timestamp the new tree head (run it every
    few minutes, e.g. from cron or a systemd timer)."""
    from .audit.transparency import fold
    from .db import unit_of_work
    from .pki.keystore import KeyStore
    from .pki.settings import get_pki_settings
    from .pki.tsa import timestamper_from_settings

    settings = _settings()
    keystore = KeyStore.from_settings(settings)
    with unit_of_work(_engine()) as session:
        head = fold(session, keystore, timestamper_from_settings(keystore, get_pki_settings()))
    typer.echo(json.dumps({"published": head is not None, "tree_size": head.tree_size if head else None,
                           "root_hash": head.root_hash if head else None}))


@_app.command("create-user")
def create_user(username: str, role: str = typer.Option(..., help="admin, case_officer, mediator, expert, party, court"),
                display_name: str = typer.Option(..., help="Name shown in the UI and documents."),
                password: Optional[str] = typer.Option(None, help="Prompted for when omitted."),
                phone: Optional[str] = typer.Option(None)) -> None:
    """Create a user account."""
    from pydantic import ValidationError

    from .accounts.schemas import UserCreate
    from .accounts.service import create_user as create
    from .db import unit_of_work
    from .security.roles import Role

    try:
        chosen_role = Role(role)
    except ValueError as exc:  # the same words as the schema's own check
        known = [f"'{r.value}'" for r in Role]
        typer.echo(f"invalid: role: Input should be {', '.join(known[:-1])} or {known[-1]}", err=True)
        raise typer.Exit(2) from exc
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with command_errors(ValidationError, _first_problem):
        data = UserCreate(username=username, role=chosen_role, display_name=display_name, password=password, phone=phone)
        with unit_of_work(_engine()) as session:
            user = create(session, data=data, actor="cli")
    typer.echo(f"created user {user.username} (id {user.id}, role {user.role})")


def _first_problem(exc: Exception) -> str:
    """A pydantic ValidationError's first problem, as ``field: message``."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    first = exc.errors()[0]
    return f"{first['loc'][0]}: {first['msg']}"


def main() -> None:  # pragma: no cover - console entry
    """The console entry: only the command named on the command line is loaded (all of them for help)."""
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command in CORE_COMMANDS:
        app_ = _app
    else:
        app_ = add_domain_commands(only=command if command in DOMAIN_COMMANDS else None)
    sys.exit(app_())
