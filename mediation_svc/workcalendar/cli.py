"""``mediation-svc calendar``: the working-day calendar kept in the database."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..cli_support import command_errors
from ..cli_support import engine as _engine

app = typer.Typer(help="The working-day calendar (statutory holidays and adjusted working days).",
                  no_args_is_help=True)


@app.command("show")
def show(year: int) -> None:
    """Print a year's days off and adjusted working days, and whether the arrangement is official."""
    from sqlmodel import Session

    from . import service
    from .policy import format_lines

    with Session(_engine()) as session:
        arrangement = service.year_detail(session, year=year)
    rules = list(arrangement.days.values())
    typer.echo(f"{year}: {'official' if arrangement.official else 'PROVISIONAL (computed by rule)'}"
               f" ({arrangement.source}){' ' + arrangement.note if arrangement.note else ''}")
    typer.echo("days off:\n" + (format_lines(rules, is_workday=False) or "-"))
    typer.echo("adjusted working days:\n" + (format_lines(rules, is_workday=True) or "-"))


@app.command("set-year")
def set_year(year: int,
             holidays_file: Path = typer.Option(..., "--holidays", exists=True, dir_okay=False,
                                                help="Days off, one line each: '2027-02-05 至 2027-02-11 春节'."),
             workdays_file: Optional[Path] = typer.Option(None, "--workdays", exists=True, dir_okay=False,
                                                          help="Adjusted working days, one date (and label) a line."),
             note: Optional[str] = typer.Option(None, help="The notice, e.g. 国办发明电〔2026〕×号.")) -> None:
    """Enter the State Council's arrangement for a year; open cases' due dates are recomputed."""
    from ..config import get_settings
    from ..db import unit_of_work
    from . import service
    from .policy import ArrangementError, parse_arrangement

    with command_errors(ArrangementError):
        rules = parse_arrangement(year=year, holidays_text=holidays_file.read_text(encoding="utf-8"),
                                  workdays_text=workdays_file.read_text(encoding="utf-8") if workdays_file else "")
        with unit_of_work(_engine()) as session:
            change = service.set_year_arrangement(session, year=year, rules=rules, note=note, actor="cli",
                                                  settings=get_settings())
    typer.echo(f"{year}: official, {change.holidays} days off, {change.workdays} adjusted working days; "
               f"{change.due_dates_changed} due date(s) recomputed")


@app.command("sync")
def sync() -> None:
    """Take the official years the installed chinesecalendar package now knows (replacing years computed by
    rule, never an arrangement entered by hand) and add provisional years ahead."""
    from ..config import get_settings
    from ..db import unit_of_work
    from . import service

    with unit_of_work(_engine()) as session:
        years = service.sync_from_library(session, actor="cli", settings=get_settings())
    typer.echo("years written: " + (", ".join(map(str, years)) if years else "none"))
