"""``mediation-svc verify FILE.pdf|FOLDER [--json] [--trust ROOT.pem]``: the verification report, offline.

Exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 not a PDF or unreadable input; for a
folder, the worst over its files (1 before 3 before 2 before 0).
Without ``--trust`` the center's root from the key directory is the trust anchor.

A folder (every ``*.pdf`` in it, not its sub-folders, in name order) is verified in one process: with
``--json``, one JSON object per line and file (JSON Lines: the full report, or ``{"file_name", "error"}``
for a file that is not a PDF); without it, one summary line per file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

EXIT_CODES = {"TOTAL_PASSED": 0, "TOTAL_FAILED": 1, "INDETERMINATE": 2}
NOT_A_PDF = 3
SEVERITY = (1, 3, 2, 0)  # a folder's exit status: the first of these that one of its files has


def verify(file: Path = typer.Argument(..., exists=True, readable=True,
                                       help="The signed PDF, or a folder of them."),
           as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
           trust: Optional[list[Path]] = typer.Option(None, "--trust", exists=True, dir_okay=False,
                                                      help="PEM trust anchor(s) instead of the center's root."),
           at: Optional[str] = typer.Option(None, "--at", help="Validate as of this moment (ISO 8601, e.g. "
                                            "2036-01-05T10:00+08:00) instead of now.")) -> None:
    """Verify the signatures of a PDF, or of every PDF in a folder, offline (ETSI EN 319 102-1 report)."""
    moment = _moment(at)
    roots = _trust_roots(trust)
    if file.is_dir():
        raise typer.Exit(_verify_folder(file, roots=roots, moment=moment, as_json=as_json))
    from .report import NotAPdf, verify_pdf

    try:
        report = verify_pdf(file.read_bytes(), trust_roots=roots, file_name=file.name, now=moment)
    except NotAPdf as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(NOT_A_PDF) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        typer.echo(_text(report))
    raise typer.Exit(EXIT_CODES[report.indication.value])


def _moment(at: str | None):
    import datetime as dt

    if not at:
        return None
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        typer.echo(f"--at {at!r} is not an ISO 8601 time", err=True)
        raise typer.Exit(NOT_A_PDF) from None
    if moment.tzinfo is None:
        typer.echo("--at needs a time zone (Z or +08:00)", err=True)
        raise typer.Exit(NOT_A_PDF)
    return moment


def _trust_roots(trust: list[Path] | None):
    from .report import load_trust_roots

    if trust:
        return load_trust_roots([p.read_bytes() for p in trust])
    from ..config import get_settings
    from ..pki import hierarchy

    return load_trust_roots([(Path(get_settings().key_dir) / f"{hierarchy.ROOT}.crt.pem").read_bytes()])


def _verify_folder(folder: Path, *, roots, moment, as_json: bool) -> int:
    """Every PDF of ``folder`` in this one process, one line each; returns the folder's exit status."""
    import json

    from .report import NotAPdf, verify_pdf

    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".pdf")
    if not paths:
        typer.echo(f"{folder}: no PDF files in this folder", err=True)
        return NOT_A_PDF
    codes = set()
    for path in paths:
        try:
            report = verify_pdf(path.read_bytes(), trust_roots=roots, file_name=path.name, now=moment)
        except NotAPdf as exc:
            codes.add(NOT_A_PDF)
            typer.echo(json.dumps({"file_name": path.name, "error": str(exc)}, ensure_ascii=False) if as_json
                       else f"{path.name}: NOT A PDF: {exc}")
            continue
        codes.add(EXIT_CODES[report.indication.value])
        typer.echo(report.model_dump_json() if as_json else f"{path.name}: {report.summary}")
    return next((code for code in SEVERITY if code in codes), 0)


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
