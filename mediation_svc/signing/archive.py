"""Archive renewal of signed agreements: PAdES B-LTA kept alive (ETSI EN 319 142-1 §5.5, ETSI TS 119 102-1).

A B-LTA file stays verifiable as long as its newest document timestamp can be validated. Before the
certificate of that timestamp's TSA expires (or its algorithms weaken), a fresh document timestamp is
added over the whole file, after the validation data of the previous one has gone into the DSS:
``pades.retimestamp``. Repeating this every few years keeps a signed agreement verifiable for decades.

- ``due(session, within_days=, now=)``: documents whose newest signed revision is B-LTA (``lta`` or
  ``archive_timestamp``) and whose last timestamp certificate expires within that many days.
- ``renew_document(session, keystore, timestamper, document_id=, within_days=, now=, actor=)``: locks the
  signing request, re-checks, adds the timestamp, stores a ``SignedRevision`` of kind
  ``archive_timestamp`` and audits it, all in the caller's transaction.
- ``run(engine, keystore, timestamper, within_days=, dry_run=)``: every due document, one transaction
  each (one failure does not hold back the others). ``mediation-svc archive retimestamp`` runs it; the
  README shows a cron line and a systemd timer for running it daily.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

import typer
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ..audit.chain import record
from ..db import unit_of_work, utcnow
from ..errors import Conflict
from . import pades
from .models import SignedRevision
from .store import ARCHIVE_KIND, LTA_KINDS



class RenewalTooShort(Conflict):
    """The fresh timestamp would itself expire within the window: renew the TSA certificate first, or every
    run would stamp the archive again."""

    slug, title = "tsa-certificate-expiring", "The timestamp authority's own certificate expires too soon"


@dataclass(frozen=True)
class Due:
    document_id: str
    request_id: int
    sequence: int
    expires_at: dt.datetime


@dataclass
class Outcome:
    document_id: str
    previous_expiry: str
    status: str  # renewed | due (dry run) | failed
    new_expiry: str | None = None
    sequence: int | None = None
    error: str | None = None


@dataclass
class RunReport:
    within_days: int
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def as_dict(self) -> dict:
        return {"within_days": self.within_days, "dry_run": self.dry_run,
                "renewed": sum(o.status == "renewed" for o in self.outcomes),
                "due": sum(o.status == "due" for o in self.outcomes), "failed": len(self.failed),
                "documents": [asdict(o) for o in self.outcomes]}


def _latest_revisions(session: Session):
    newest = (select(SignedRevision.document_id, func.max(SignedRevision.sequence).label("sequence"))
              .group_by(SignedRevision.document_id).subquery())
    return session.exec(select(SignedRevision).join(
        newest, (col(SignedRevision.document_id) == newest.c.document_id)
        & (col(SignedRevision.sequence) == newest.c.sequence)).where(col(SignedRevision.kind).in_(LTA_KINDS)))


def _expiry(revision: SignedRevision) -> dt.datetime | None:
    # the column is filled when the revision is stored; older rows are read from the PDF itself
    return revision.timestamp_expires_at or pades.last_timestamp_expiry(revision.pdf)


def due(session: Session, *, within_days: int, now: dt.datetime | None = None) -> list[Due]:
    """B-LTA documents whose last document timestamp's TSA certificate expires before now + within_days."""
    limit = (now or utcnow()) + dt.timedelta(days=within_days)
    found = []
    for revision in _latest_revisions(session):
        expiry = _expiry(revision)
        if expiry is not None and expiry <= limit:
            found.append(Due(revision.document_id, revision.request_id, revision.sequence, expiry))
    return sorted(found, key=lambda d: d.expires_at)


def renew_document(session: Session, keystore, timestamper, *, document_id: str, within_days: int,
                   actor: str, now: dt.datetime | None = None) -> SignedRevision | None:
    """Add a fresh document timestamp to one document if it is (still) due; None when it no longer is."""
    from .credentials import lta_context
    from .store import latest_revision, lock_request, store_revision

    now = now or utcnow()
    current = latest_revision(session, document_id)
    if current is None:
        return None
    request = lock_request(session, current.request_id)  # serialises with other writers of this document
    current = latest_revision(session, document_id)  # re-read under the lock: another run may have renewed
    if current is None or current.kind not in LTA_KINDS:
        return None
    expiry = _expiry(current)
    if expiry is None or expiry > now + dt.timedelta(days=within_days):
        return None
    renewed = pades.retimestamp(current.pdf, timestamper=timestamper, context=lta_context(session, keystore))
    new_expiry = pades.last_timestamp_expiry(renewed)
    if new_expiry is None or new_expiry <= now + dt.timedelta(days=within_days):
        raise RenewalTooShort(f"the new timestamp's TSA certificate expires {new_expiry:%Y-%m-%d}, within "
                              f"{within_days} days as well: renew the TSA certificate, then run this again")
    revision = store_revision(session, request=request, kind=ARCHIVE_KIND, pdf=renewed,
                              sha_before=current.sha256_after)
    record(session, actor=actor, action="signing.archive_timestamp_added", subject=f"document:{document_id}",
           case_id=request.case_id,
           payload={"document_id": document_id, "request_id": request.id, "sequence": revision.sequence,
                    "sha256_before": revision.sha256_before, "sha256_after": revision.sha256_after,
                    "previous_timestamp_expiry": expiry.isoformat(),
                    "timestamp_expires_at": new_expiry.isoformat()})
    return revision


def run(engine: Engine, keystore, timestamper, *, within_days: int, dry_run: bool = False,
        actor: str = "system:archive", now: dt.datetime | None = None) -> RunReport:
    """Renew every due document, each in its own transaction; failures are reported, not raised."""
    report = RunReport(within_days=within_days, dry_run=dry_run)
    with Session(engine) as session:
        candidates = due(session, within_days=within_days, now=now)
    for item in candidates:
        outcome = Outcome(item.document_id, item.expires_at.isoformat(), "due")
        report.outcomes.append(outcome)
        if dry_run:
            continue
        try:
            with unit_of_work(engine) as session:
                revision = renew_document(session, keystore, timestamper, document_id=item.document_id,
                                          within_days=within_days, actor=actor, now=now)
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the archive run
            outcome.status, outcome.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            if isinstance(exc, RenewalTooShort):
                break  # every other document would get the same short-lived timestamp
            continue
        if revision is None:
            outcome.status = "skipped"
        else:
            outcome.status, outcome.sequence = "renewed", revision.sequence
            outcome.new_expiry = (revision.timestamp_expires_at.isoformat()
                                  if revision.timestamp_expires_at is not None else None)
    return report


cli = typer.Typer(help="Archived signed agreements (PAdES B-LTA renewal).", no_args_is_help=True)


@cli.command("retimestamp")
def retimestamp_command(
        within_days: int = typer.Option(None, "--within-days", min=1,
                                        help="Renew when the last timestamp certificate expires within this "
                                             "many days (default MEDIATION_RETIMESTAMP_MARGIN_DAYS, 365)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="List what is due; change nothing.")) -> None:
    """Add a fresh document timestamp to signed agreements whose last timestamp nears expiry."""
    from ..config import get_settings
    from ..db import make_engine
    from ..pki.keystore import KeyStore
    from ..pki.settings import get_pki_settings
    from ..pki.tsa import timestamper_from_settings

    settings, pki = get_settings(), get_pki_settings()
    keystore = KeyStore.from_settings(settings)
    report = run(make_engine(settings), keystore, timestamper_from_settings(keystore, pki),
                 within_days=within_days or pki.retimestamp_margin_days, dry_run=dry_run)
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    raise typer.Exit(1 if report.failed else 0)
