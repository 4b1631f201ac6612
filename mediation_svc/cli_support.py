"""What every ``mediation-svc`` command shares: the database engine of the configured settings, and a command's
failures as its exit status. Light on purpose: the domain commands (``<domain>/cli.py``) import it at the top,
and ``cli`` adds them lazily, so that neither imports the other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer


def engine():
    """The engine of the configured database, with the configured password-hashing profile in force."""
    from .config import get_settings
    from .db import make_engine
    from .security.passwords import use_profile

    settings = get_settings()
    use_profile(settings.password_hash_profile)
    return make_engine(settings)


@contextmanager
def command_errors(invalid: type[Exception], describe: Callable[[Exception], str] = str) -> Iterator[None]:
    """A command's failures as its exit status: input that is not valid (``invalid``, told as ``describe`` says)
    exits 2, a change the service refuses (a DomainError) exits 1; each says why on stderr."""
    from .errors import DomainError

    try:
        yield
    except invalid as exc:
        typer.echo(f"invalid: {describe(exc)}", err=True)
        raise typer.Exit(2) from exc
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
