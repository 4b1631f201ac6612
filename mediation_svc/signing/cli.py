"""``mediation-svc signing ...``: the signing jobs (expire requests past their deadline, send reminders)."""

from __future__ import annotations

import json

import typer

from ..config import get_settings

app = typer.Typer(help="Signing requests: scheduled jobs.", no_args_is_help=True)


def _engine():
    from ..db import make_engine

    return make_engine(get_settings())


@app.command("expire")
def expire() -> None:
    """Expire open signing requests whose deadline has passed (their links and codes stop working)."""
    from ..db import unit_of_work
    from .service import expire_due

    with unit_of_work(_engine()) as session:
        expired = expire_due(session, get_settings())
    typer.echo(json.dumps({"expired": expired}))


@app.command("remind")
def remind(within_hours: int = typer.Option(48, help="Remind when the deadline is this close.")) -> None:
    """Send SMS reminders to signers who have not signed yet (at most one per signer every 12 hours)."""
    from datetime import timedelta

    from ..db import unit_of_work
    from .service import remind_due

    settings = get_settings()
    with unit_of_work(_engine()) as session:
        reminded = remind_due(session, settings, within=timedelta(hours=within_hours))
    typer.echo(json.dumps({"reminded": {str(k): v for k, v in reminded.items()}}))
