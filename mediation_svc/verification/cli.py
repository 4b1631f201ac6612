"""``mediation-svc verify FILE.pdf [--json] [--trust ROOT.pem]``: the verification report, offline.

Exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 not a PDF or unreadable input.
Without ``--trust`` the center's root from the key directory is the trust anchor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

EXIT_CODES = {"TOTAL_PASSED": 0, "TOTAL_FAILED": 1, "INDETERMINATE": 2}


def verify(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The signed PDF."),
           as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
           trust: Optional[list[Path]] = typer.Option(None, "--trust", exists=True, dir_okay=False,
                                                      help="PEM trust anchor(s) instead of the center's root."),
           at: Optional[str] = typer.Option(None, "--at", help="Validate as of this moment (ISO 8601, e.g. "
                                            "2036-01-05T10:00+08:00) instead of now.")) -> None:
    """Verify the signatures of a PDF offline (ETSI EN 319 102-1 report)."""
    import datetime as dt

    from .report import NotAPdf, load_trust_roots, verify_pdf

    moment = None
    if at:
        try:
            moment = dt.datetime.fromisoformat(at)
        except ValueError:
            typer.echo(f"--at {at!r} is not an ISO 8601 time", err=True)
            raise typer.Exit(3) from None
        if moment.tzinfo is None:
            typer.echo("--at needs a time zone (Z or +08:00)", err=True)
            raise typer.Exit(3)

    if trust:
        roots = load_trust_roots([p.read_bytes() for p in trust])
    else:
        from ..config import get_settings
        from ..pki import hierarchy

        roots = load_trust_roots([(Path(get_settings().key_dir) / f"{hierarchy.ROOT}.crt.pem").read_bytes()])
    try:
        report = verify_pdf(file.read_bytes(), trust_roots=roots, file_name=file.name, now=moment)
    except NotAPdf as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(3) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        typer.echo(_text(report))
    raise typer.Exit(EXIT_CODES[report.indication.value])


def _text(report) -> str:
    lines = [report.summary, f"file    {report.file_name}  {report.file_size} bytes  sha256 {report.file_sha256}"]
    lines += [f"error   {e}" for e in report.errors]
    for s in report.signatures:
        who = " ".join(x for x in (s.signer.name, s.signer.role, s.signer.masked_id) if x) if s.signer else "?"
        lines.append(f"\n{s.kind} {s.field_name}: {s.indication.value}"
                     f"{' / ' + s.sub_indication if s.sub_indication else ''}")
        lines.append(f"  signer      {who}")
        lines.append(f"  chain       {' <- '.join(c.subject for c in reversed(s.chain))}"
                     f" ({'trusted' if s.chain_trusted else 'NOT trusted'})")
        if s.timestamp_time:
            lines.append(f"  timestamp   {s.timestamp_time.isoformat()}")
        lines.append(f"  integrity   {'intact' if s.integrity else 'BROKEN'}; covers {s.coverage_description}")
        if s.modifications:
            lines.append(f"  after it    {s.modifications.description}")
        if s.pades_level:
            lines.append(f"  level       PAdES {s.pades_level}")
        if s.revocation:
            lines.append(f"  revocation  {s.revocation.status} ({s.revocation.source})")
        lines += [f"  error       {e}" for e in s.errors]
        lines += [f"  warning     {w}" for w in s.warnings]
    return "\n".join(lines)
