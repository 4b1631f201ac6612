"""Issue 11: a service-signed agreement still verifies years later, offline, with only the center's root.

The agreement is the demo's motor-claim agreement (第0006号), signed by everyone through the signing
service (one-time certificates that expire an hour later, the seal, the B-LTA close). The clock is moved
by injecting the validation time, never by waiting: +2 hours (the one-time certificates have expired),
+8 days (every CRL in the file is past its nextUpdate), +1 and +9 years. Archive renewal (``keys
renew-tsa`` then ``archive retimestamp``) is simulated at +9 and +18 years with the TSA's clock and the
CRLs' issue time set to those years, and carries the verdict to +15 and +25 years. Each verdict is checked
twice: by the service's report and by pyHanko's own AdES long-term validation.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlmodel import Session, select

from mediation_svc.cases.models import Case
from mediation_svc.db import make_engine
from mediation_svc.documents.models import Document
from mediation_svc.pki import hierarchy
from mediation_svc.pki.keystore import KeyStore
from mediation_svc.pki.revocation import build_crl
from mediation_svc.pki.tsa import InProcessTimeStamper, TimeStampAuthority
from mediation_svc.signing import pades
from mediation_svc.signing.models import SignedRevision
from mediation_svc.verification.report import verify_pdf

from ..conftest import TEST_PASSPHRASE, demo_copy

HOUR, DAY, YEAR = dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(days=365)
MOMENTS = {"right after signing": dt.timedelta(minutes=1), "+2 hours": 2 * HOUR, "+8 days": 8 * DAY,
           "+1 year": YEAR, "+9 years": 9 * YEAR}


@pytest.fixture(scope="module")
def demo_signed(demo_database, keys_dir, tmp_path_factory):
    """(signed agreement bytes, when it was closed) from the demo's fully signed case."""
    engine = make_engine(demo_copy(demo_database, keys_dir, tmp_path_factory.mktemp("longterm")))
    with Session(engine) as session:
        case = next(c for c in session.exec(select(Case)).all() if c.number.endswith("第0006号"))
        document = session.exec(select(Document).where(Document.case_id == case.id,
                                                       Document.kind == "agreement")).first()
        revision = session.exec(select(SignedRevision).where(SignedRevision.document_id == document.id)
                                .order_by(SignedRevision.sequence.desc())).first()
        assert revision.kind == "lta"
        pdf, closed_at = revision.pdf, revision.created_at
    engine.dispose()
    return pdf, closed_at.replace(tzinfo=dt.timezone.utc) if closed_at.tzinfo is None else closed_at


def _root(keystore):
    return keystore.certificate(hierarchy.ROOT)


def _both_verdicts(pdf: bytes, root, at: dt.datetime):
    report = verify_pdf(pdf, trust_roots=[root], now=at)
    checks = pades.validate_lta(pdf, trust_roots=[root], now=at)
    return report, checks


@pytest.mark.parametrize("label", list(MOMENTS))
def test_service_signed_agreement_verifies_years_later(demo_signed, keystore, label):
    pdf, closed_at = demo_signed
    at = closed_at + MOMENTS[label]
    report, checks = _both_verdicts(pdf, _root(keystore), at)
    assert report.indication.value == "TOTAL_PASSED", (label, report.summary,
                                                        [(s.field_name, s.sub_indication, s.errors) for s in
                                                         report.signatures])
    assert report.validation_time == at
    signatures = [s for s in report.signatures if s.kind == "signature"]
    assert len(signatures) >= 4 and all(s.pades_level == "B-LTA" for s in signatures)
    # pyHanko's own long-term validation agrees
    assert checks and all(c.indication == "PASSED" for c in checks), (label, checks)
    # each signature says on what it was judged: its signature timestamp, with revocation data issued after it
    for s in signatures:
        assert s.basis.poe == "signature_timestamp" and s.basis.poe_time == s.timestamp_time
        assert s.basis.certificate_valid_then is True
        assert s.basis.revocation_issued_at >= s.timestamp_time - dt.timedelta(seconds=1)
        assert "签名时间戳" in s.basis.text_zh and "证书当时有效" in s.basis.text_zh
        assert "signature timestamp" in s.basis.text_en and "UTC" not in s.basis.text_zh


def test_one_time_certificates_have_expired_at_two_hours(demo_signed, keystore):
    """The +2 hours verdict is not trivial: the people's certificates are out of validity by then."""
    pdf, closed_at = demo_signed
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    people = [s for s in reader.embedded_regular_signatures if s.field_name != "seal" and "seal" not in s.field_name]
    assert people
    for sig in people:
        assert sig.signer_cert["tbs_certificate"]["validity"]["not_after"].native < closed_at + 2 * HOUR


def test_without_archive_renewal_the_verdict_ends_with_the_tsa_certificate(demo_signed, keystore):
    """Negative control for the renewal test below: at +15 years the only document timestamp's TSA
    certificate (10 years) has expired, and nothing proves the file existed before that."""
    from pyhanko.sign.validation import validate_pdf_timestamp

    from mediation_svc.verification import ltv

    pdf, closed_at = demo_signed
    at = closed_at + 15 * YEAR
    report = verify_pdf(pdf, trust_roots=[_root(keystore)], now=at)
    assert report.indication.value != "TOTAL_PASSED"
    assert all(s.indication.value != "TOTAL_PASSED" for s in report.signatures)
    # pyHanko agrees that the document timestamp no longer validates then
    stamp = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures[-1]
    context = ltv.timestamp_context([pades.to_asn1_cert(_root(keystore))], certs=[], crls=[], ocsps=[], moment=at)
    status = validate_pdf_timestamp(stamp, validation_context=context)
    assert not status.trusted


def _renew(store: KeyStore, pdf: bytes, at: dt.datetime) -> bytes:
    """What ``keys renew-tsa`` and ``archive retimestamp`` do, on a clock set to ``at``."""
    hierarchy.renew_tsa(store, urls=hierarchy.PkiUrls("http://testserver"), now=at)
    authority = TimeStampAuthority.from_keystore(store)
    authority.clock = lambda: at
    root, issuing = store.certificate(hierarchy.ROOT), store.certificate(hierarchy.ISSUING)
    crls = [build_crl(issuer_cert=c, issuer_key=store.private_key(n), revoked=[], now=at, validity=7 * DAY)
            for c, n in ((root, hierarchy.ROOT), (issuing, hierarchy.ISSUING))]
    context = pades.validation_context(trust_roots=[root], other_certs=[issuing], crls=crls, moment=at)
    return pades.retimestamp(pdf, timestamper=InProcessTimeStamper(authority), context=context)


def test_archive_renewal_carries_the_verdict_to_25_years(demo_signed, keys_dir, tmp_path):
    pdf, closed_at = demo_signed
    copy = tmp_path / "keys"
    shutil.copytree(keys_dir, copy)  # renewing the TSA changes the key directory: never the shared one
    store = KeyStore(copy, TEST_PASSPHRASE.encode())
    root = _root(store)
    renewed = _renew(store, pdf, closed_at + 9 * YEAR)
    for years in (10, 15):
        report, checks = _both_verdicts(renewed, root, closed_at + years * YEAR)
        assert report.indication.value == "TOTAL_PASSED", (years, report.summary)
        assert all(c.indication == "PASSED" for c in checks), (years, checks)
        first, second = [s for s in report.signatures if s.kind == "document_timestamp"]
        assert first.basis.poe == "document_timestamp" and second.basis.poe == "validation_time"
    twice = _renew(store, renewed, closed_at + 18 * YEAR)
    report, checks = _both_verdicts(twice, root, closed_at + 25 * YEAR)
    assert report.indication.value == "TOTAL_PASSED", report.summary
    assert all(c.indication == "PASSED" for c in checks), checks
    assert [s.kind for s in report.signatures].count("document_timestamp") == 3
    # and it was the renewal that did it: the once-renewed file does not reach 25 years
    assert verify_pdf(renewed, trust_roots=[root], now=closed_at + 25 * YEAR).indication.value != "TOTAL_PASSED"

