"""``mediation-svc notifications ...``: run the outbox dispatcher once or as a loop, list failures."""

from __future__ import annotations

import json

import typer

from ..config import get_settings

app = typer.Typer(help="Notification outbox (e-mail, SMS).", no_args_is_help=True)


@app.command("dispatch")
def dispatch(loop: bool = typer.Option(False, "--loop", help="Keep dispatching until interrupted."),
             interval: float = typer.Option(10.0, help="Seconds to wait when nothing is due (with --loop)."),
             batch_size: int = typer.Option(50, help="Messages claimed per round.")) -> None:
    """Send the messages that are due, retrying failures with exponential backoff."""
    from ..db import make_engine
    from ..observability import configure_logging
    from .dispatcher import Transports, dispatch_due, run_loop

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    engine = make_engine(settings)
    transports = Transports.from_settings(settings)
    if loop:
        import signal
        import threading

        # SIGTERM (systemd, Docker, Kubernetes) and Ctrl-C: finish the message in hand, give the rest back.
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        run_loop(engine, settings, transports=transports, interval_seconds=interval, stop=stop,
                 batch_size=batch_size)
        typer.echo("stopped")
        return
    report = dispatch_due(engine, settings, transports=transports, batch_size=batch_size)
    typer.echo(json.dumps(report.as_dict()))


@app.command("failed")
def failed(limit: int = typer.Option(50)) -> None:
    """List deliveries that gave up (also at GET /api/v1/notifications?status=failed)."""
    from sqlmodel import Session

    from ..db import make_engine
    from .models import OutboxStatus
    from .service import list_messages

    with Session(make_engine(get_settings())) as session:
        for m in list_messages(session, status=OutboxStatus.FAILED, limit=limit):
            typer.echo(f"{m.id}\t{m.kind}\t{m.channel}\t{m.recipient}\t{m.attempts}\t{m.last_error}")
