"""``mediation-svc complaints``: reminders about answers due soon or overdue."""

from __future__ import annotations

import typer

from ..cli_support import engine as _engine

app = typer.Typer(help="Complaints forwarded to institutions.", no_args_is_help=True)


@app.command("remind")
def remind() -> None:
    """Text the institutions' complaint staff about answers due soon or overdue (once a day per complaint)."""
    from ..config import get_settings
    from ..db import unit_of_work
    from .reminders import send_reminders

    with unit_of_work(_engine()) as session:
        sent = send_reminders(session, get_settings())
    typer.echo(f"reminders queued: {sent}")
