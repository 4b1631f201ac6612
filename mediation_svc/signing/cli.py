"""``mediation-svc signing ...``: the signing jobs (expire requests past their deadline, send reminders)."""

from __future__ import annotations

import json

import typer

from ..cli_support import engine as _engine
from ..config import get_settings

app = typer.Typer(help="Signing requests: scheduled jobs.", no_args_is_help=True)


@app.command("expire")
def expire() -> None:
    """Expire open signing requests whose deadline has passed (their links and codes stop working)."""
    from ..db import unit_of_work
    from .requests import expire_due

    with unit_of_work(_engine()) as session:
        expired = expire_due(session, get_settings())
    typer.echo(json.dumps({"expired": expired}))


def run_reminders(engine, settings, *, within, now=None) -> dict[int, list[int]]:
    """The reminder job: one short transaction per signing request, in id order.

    One transaction for the whole run would hold each reminded request's lock while waiting for the next
    one, which a signer may hold for seconds while their signature is made; a request that closed in the
    meantime is skipped.
    """
    from ..db import unit_of_work
    from ..errors import Conflict
    from .messages import due_for_reminder, remind
    from .store import lock_request

    with unit_of_work(engine) as session:
        ids = due_for_reminder(session, within=within, now=now)
    reminded: dict[int, list[int]] = {}
    for request_id in ids:
        try:
            with unit_of_work(engine) as session:
                reminded[request_id] = remind(session, settings, request=lock_request(session, request_id),
                                              actor="system:signing", now=now)
        except Conflict:
            continue
    return reminded


@app.command("remind")
def remind(within_hours: int = typer.Option(48, help="Remind when the deadline is this close.")) -> None:
    """Send SMS reminders to signers who have not signed yet (at most one per signer every 12 hours)."""
    from datetime import timedelta

    reminded = run_reminders(_engine(), get_settings(), within=timedelta(hours=within_hours))
    typer.echo(json.dumps({"reminded": {str(k): v for k, v in reminded.items()}}))
