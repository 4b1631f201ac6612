"""Archive renewal: a B-LTA agreement whose TSA certificate nears expiry gets a fresh document timestamp."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlmodel import select
from typer.testing import CliRunner

from mediation_svc.audit.models import AuditEntry
from mediation_svc.db import unit_of_work
from mediation_svc.documents.models import Document, DocumentStatus
from mediation_svc.pki import hierarchy
from mediation_svc.pki.revocation import build_crl
from mediation_svc.pki.tsa import InProcessTimeStamper, TimeStampAuthority, make_timestamper
from mediation_svc.signing import archive, pades
from mediation_svc.signing.models import SignedRevision, SigningRequest

from ..conftest import TEST_PASSPHRASE
from .conftest import drawn_signature

NOW = dt.datetime.now(dt.timezone.utc)  # set again when this module's first test starts (below)
URLS = hierarchy.PkiUrls("http://testserver")


@pytest.fixture(scope="module", autouse=True)
def now_is_when_the_module_runs():
    """The certificates, CRLs and timestamps here are made at NOW: when this module runs, not when the suite
    was collected. Made 40 minutes before signing (a long run), the renewed file's signer-0 is INDETERMINATE."""
    global NOW
    NOW = dt.datetime.now(dt.timezone.utc)


def context(keystore):
    # CRLs issued now (not when the module was imported): the revocation data must be fresh for the signatures
    # made now, however long the suite ran before this module
    root, issuing = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)
    crls = [build_crl(issuer_cert=ca, issuer_key=keystore.private_key(name), revoked=[],
                      now=dt.datetime.now(dt.timezone.utc),
                      validity=dt.timedelta(days=7)) for ca, name in ((root, hierarchy.ROOT),
                                                                      (issuing, hierarchy.ISSUING))]
    return pades.validation_context(trust_roots=[root], other_certs=[issuing], crls=crls)


@pytest.fixture(scope="module")
def short_tsa(keystore) -> TimeStampAuthority:
    """A TSA whose certificate expires in 30 days (the key directory's TSA lasts ten years)."""
    key = ec.generate_private_key(ec.SECP256R1())
    root = keystore.certificate(hierarchy.ROOT)
    cert = hierarchy.make_tsa(key, root, keystore.private_key(hierarchy.ROOT), URLS, NOW, days=30)
    return TimeStampAuthority(cert, key, (root,))


def lta_pdf(agreement_pdf, keystore, stamper) -> bytes:
    credential = pades.issue_signer_certificate(
        identity=pades.SignerIdentity("陈秀兰", "440***********1234", "粤正和调〔2026〕第0001号", "申请人"),
        evidence_sha256=hashlib.sha256(b"evidence").digest(), issuing_cert=keystore.certificate(hierarchy.ISSUING),
        issuing_key=keystore.private_key(hierarchy.ISSUING), chain=(keystore.certificate(hierarchy.ROOT),),
        urls=URLS, now=dt.datetime.now(dt.timezone.utc), lifetime=dt.timedelta(hours=1))
    pdf = pades.sign(agreement_pdf, signer=credential.pyhanko_signer(), timestamper=stamper,
                     field=pades.FieldPlacement("signer-0", -1, (40, 60, 200, 120)),
                     appearance_png=drawn_signature(), reason="申请人签署")
    credential.destroy()
    seal = pades.key_signer(keystore.certificate(hierarchy.SEAL), keystore.private_key(hierarchy.SEAL),
                            (keystore.certificate(hierarchy.ISSUING), keystore.certificate(hierarchy.ROOT)))
    pdf = pades.sign(pdf, signer=seal, timestamper=stamper, appearance_png=None, reason="调解组织盖章",
                     field=pades.FieldPlacement("seal", -1, (400, 60, 540, 180)))
    return pades.close_lta(pdf, timestamper=stamper, context=context(keystore))


@pytest.fixture(scope="module")
def expiring(agreement_pdf, keystore, short_tsa) -> bytes:
    return lta_pdf(agreement_pdf, keystore, InProcessTimeStamper(short_tsa))


@pytest.fixture(scope="module")
def lasting(agreement_pdf, keystore) -> bytes:
    return lta_pdf(agreement_pdf, keystore, make_timestamper(keystore))


@pytest.fixture
def store_signed(engine, make_case):
    """store_signed(pdf) -> document id: a signed agreement whose newest revision is that B-LTA file."""

    def store(pdf: bytes) -> str:
        case = make_case()
        with unit_of_work(engine) as session:
            document = Document(case_id=case.id, kind="agreement", title="调解协议书", template_id="agreement",
                                template_version=1, language="zh-CN", inputs_json="{}", inputs_hash="0" * 64,
                                pdf=b"%PDF-unsigned", sha256=hashlib.sha256(b"%PDF-unsigned").hexdigest(), size=13,
                                page_count=1, verification_code=secrets.token_hex(8), status=DocumentStatus.SIGNED)
            session.add(document)
            session.flush()
            sha = hashlib.sha256(pdf).hexdigest()
            request = SigningRequest(case_id=case.id, document_id=document.id, status="completed",
                                     deadline_at=NOW + dt.timedelta(days=3), current_sha256=sha, revision=1)
            session.add(request)
            session.flush()
            session.add(SignedRevision(document_id=document.id, request_id=request.id, sequence=1, kind="lta", pdf=pdf,
                                       sha256_before=document.sha256, sha256_after=sha,
                                       timestamp_expires_at=pades.last_timestamp_expiry(pdf)))
            return document.id

    return store


def revisions(db, document_id: str) -> list[SignedRevision]:
    rows = db.exec(select(SignedRevision).where(SignedRevision.document_id == document_id)
                   .order_by(SignedRevision.sequence)).all()
    db.rollback()  # end the read transaction: SQLite writers wait for it otherwise
    return list(rows)


def test_only_documents_whose_timestamp_nears_expiry_are_due(db, store_signed, expiring, lasting):
    soon, later = store_signed(expiring), store_signed(lasting)
    assert [d.document_id for d in archive.due(db, within_days=365)] == [soon]
    assert archive.due(db, within_days=10) == []
    assert {d.document_id for d in archive.due(db, within_days=365 * 11)} == {soon, later}
    db.rollback()


def test_renewal_adds_a_document_timestamp_that_validates(engine, db, keystore, store_signed, expiring, lasting):
    soon, later = store_signed(expiring), store_signed(lasting)
    dry = archive.run(engine, keystore, make_timestamper(keystore), within_days=365, dry_run=True)
    assert [(o.document_id, o.status) for o in dry.outcomes] == [(soon, "due")]
    assert len(revisions(db, soon)) == 1

    report = archive.run(engine, keystore, make_timestamper(keystore), within_days=365)
    assert [(o.document_id, o.status) for o in report.outcomes] == [(soon, "renewed")], report.as_dict()
    first, renewed = revisions(db, soon)
    assert (renewed.kind, renewed.sequence, renewed.sha256_before) == ("archive_timestamp", 2, first.sha256_after)
    assert renewed.pdf.startswith(first.pdf)  # an incremental update: the signed bytes are untouched
    assert renewed.sha256_after == hashlib.sha256(renewed.pdf).hexdigest()
    assert renewed.timestamp_expires_at == keystore.certificate(hierarchy.TSA).not_valid_after_utc
    reader = PdfFileReader(io.BytesIO(renewed.pdf))
    assert len(reader.embedded_timestamp_signatures) == 2
    checks = pades.validate_lta(renewed.pdf, trust_roots=[keystore.certificate(hierarchy.ROOT)])
    assert [(c.field_name, c.indication, c.intact, c.trusted) for c in checks] == [
        ("signer-0", "PASSED", True, True), ("seal", "PASSED", True, True)]
    assert len(revisions(db, later)) == 1
    request = db.get(SigningRequest, renewed.request_id)
    assert (request.current_sha256, request.revision) == (renewed.sha256_after, 2)
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "signing.archive_timestamp_added")).all()
    assert [a.subject for a in audit] == [f"document:{soon}"]
    db.rollback()
    # renewed: nothing is due any more, and a second run changes nothing
    assert archive.run(engine, keystore, make_timestamper(keystore), within_days=365).outcomes == []
    assert len(revisions(db, soon)) == 2


def test_a_timestamp_that_would_expire_as_soon_is_refused(engine, db, keystore, store_signed, expiring, short_tsa):
    soon = store_signed(expiring)
    report = archive.run(engine, keystore, InProcessTimeStamper(short_tsa), within_days=365)
    assert [o.status for o in report.outcomes] == ["failed"]
    assert "renew the TSA certificate" in report.outcomes[0].error
    assert len(revisions(db, soon)) == 1


def test_cli_retimestamp(database_url, keys_dir, store_signed, expiring, db, monkeypatch):
    import json

    from mediation_svc import cli
    from mediation_svc.config import get_settings

    soon = store_signed(expiring)
    monkeypatch.setenv("MEDIATION_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDIATION_KEY_DIR", str(keys_dir))
    monkeypatch.setenv("MEDIATION_KEY_PASSPHRASE", TEST_PASSPHRASE)
    get_settings.cache_clear()
    try:
        dry = CliRunner().invoke(cli.app, ["archive", "retimestamp", "--within-days", "365", "--dry-run"])
        real = CliRunner().invoke(cli.app, ["archive", "retimestamp"])
    finally:
        get_settings.cache_clear()
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["due"] == 1 and len(revisions(db, soon)) >= 1
    assert real.exit_code == 0, real.output
    assert json.loads(real.output)["renewed"] == 1
    assert [r.kind for r in revisions(db, soon)] == ["lta", "archive_timestamp"]
