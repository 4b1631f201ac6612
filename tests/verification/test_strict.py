"""Issue 11: the long-term answer stays strict where it must, with the clock moved on (negative controls
for test_long_term). Each file is signed with the center's real keys; only its revocation data, its
timestamps or its certificate's validity differ from a genuine one."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric import ec

from mediation_svc.pki import hierarchy
from mediation_svc.pki.revocation import CertStatus, build_crl
from mediation_svc.pki.tsa import InProcessTimeStamper, TimeStampAuthority, make_timestamper
from mediation_svc.signing import pades
from mediation_svc.verification.report import verify_pdf

from .conftest import context, credential, sign_one, with_dss_and_timestamp

DAY = dt.timedelta(days=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _crls(store, *, issuing_revoked=(), root_revoked=(), at=None):
    at = at or _now()
    root, issuing = store.certificate(hierarchy.ROOT), store.certificate(hierarchy.ISSUING)
    return [build_crl(issuer_cert=root, issuer_key=store.private_key(hierarchy.ROOT), revoked=list(root_revoked),
                      now=at, validity=7 * DAY),
            build_crl(issuer_cert=issuing, issuer_key=store.private_key(hierarchy.ISSUING),
                      revoked=list(issuing_revoked), now=at, validity=7 * DAY)]


def _close(store, pdf: bytes, crls, extra_certs=()) -> bytes:
    return with_dss_and_timestamp(store, pdf, crls, extra_certs)


def _signature(report):
    return next(s for s in report.signatures if s.kind == "signature")


def test_revoked_before_the_signature_is_revoked_years_later(agreement_pdf, keystore, root_cert):
    cred = credential(keystore, now=_now())
    revoked = [CertStatus(cred.cert.serial_number, _now() - dt.timedelta(seconds=30), "key_compromise")]
    pdf = _close(keystore, sign_one(keystore, agreement_pdf, cred), _crls(keystore, issuing_revoked=revoked))
    for later in (dt.timedelta(0), 2 * DAY, 400 * DAY):
        report = verify_pdf(pdf, trust_roots=[root_cert], now=_now() + later)
        assert (report.indication.value, report.sub_indication) == ("TOTAL_FAILED", "REVOKED"), report.summary


def test_revoked_after_the_signature_timestamp_still_passes_and_says_so(agreement_pdf, keystore, root_cert):
    """Signed and closed today; revoked half a year later; the archive renewal a year later carries the
    CRL that lists it. The signature was made while the certificate was valid: it still passes, and the
    report says the certificate was revoked later."""
    signed_at = _now()
    cred = credential(keystore, now=signed_at)
    pdf = sign_one(keystore, agreement_pdf, cred, with_data=True)
    pdf = pades.close_lta(pdf, timestamper=make_timestamper(keystore), context=context(keystore))
    renewal = signed_at + 365 * DAY
    revoked = [CertStatus(cred.cert.serial_number, signed_at + 180 * DAY, "key_compromise")]
    authority = TimeStampAuthority.from_keystore(keystore)
    authority.clock = lambda: renewal
    root, issuing = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)
    later_context = pades.validation_context(trust_roots=[root], other_certs=[issuing], moment=renewal,
                                             crls=_crls(keystore, issuing_revoked=revoked, at=renewal))
    pdf = pades.retimestamp(pdf, timestamper=InProcessTimeStamper(authority), context=later_context)
    report = verify_pdf(pdf, trust_roots=[root_cert], now=signed_at + 2 * 365 * DAY)
    sig = _signature(report)
    assert report.indication.value == "TOTAL_PASSED", (report.summary, sig.errors)
    assert sig.revocation.status == "revoked"
    assert any("revoked after the signature was timestamped" in w for w in sig.warnings)


def test_a_revoked_tsa_gives_no_proof_of_existence(agreement_pdf, keystore, root_cert):
    """A second time-stamping unit of the center, revoked before it stamped this signature: its token
    proves nothing, so once the one-time certificate has expired nothing shows the signature was made
    while it was valid."""
    key = ec.generate_private_key(ec.SECP256R1())
    rogue = hierarchy.make_tsa(key, keystore.certificate(hierarchy.ROOT), keystore.private_key(hierarchy.ROOT),
                               hierarchy.PkiUrls("http://testserver"), _now())
    stamper = InProcessTimeStamper(TimeStampAuthority(rogue, key, (keystore.certificate(hierarchy.ROOT),)))
    cred = credential(keystore, now=_now())
    pdf = pades.sign(agreement_pdf, signer=cred.pyhanko_signer(), timestamper=stamper,
                     field=pades.FieldPlacement("signer-0", -1, (40, 60, 160, 120)), appearance_png=None, reason="x")
    revoked = [CertStatus(rogue.serial_number, _now() - dt.timedelta(minutes=1), "key_compromise")]
    pdf = _close(keystore, pdf, _crls(keystore, root_revoked=revoked), extra_certs=[rogue])
    at_once = _signature(verify_pdf(pdf, trust_roots=[root_cert], now=_now()))
    assert any("timestamp did not validate" in w for w in at_once.warnings), at_once.warnings
    later = verify_pdf(pdf, trust_roots=[root_cert], now=_now() + 2 * DAY)
    sig = _signature(later)
    assert later.indication.value != "TOTAL_PASSED", later.summary
    assert sig.basis.poe != "signature_timestamp"


def test_expired_signer_without_a_timestamp_is_expired(agreement_pdf, keystore, root_cert):
    cred = credential(keystore, now=_now())
    pdf = pades.sign(agreement_pdf, signer=cred.pyhanko_signer(), timestamper=None,
                     field=pades.FieldPlacement("signer-0", -1, (40, 60, 160, 120)), appearance_png=None, reason="x")
    pdf = _close(keystore, pdf, _crls(keystore))
    report = verify_pdf(pdf, trust_roots=[root_cert], now=_now() + 2 * DAY)
    assert (report.indication.value, report.sub_indication) == ("INDETERMINATE", "EXPIRED"), report.summary
    assert _signature(report).pades_level == "B-B"


def test_certificate_not_yet_valid_when_used(agreement_pdf, keystore, root_cert):
    cred = credential(keystore, now=_now() + DAY)  # valid from tomorrow (less a minute)
    pdf = _close(keystore, sign_one(keystore, agreement_pdf, cred), _crls(keystore))
    report = verify_pdf(pdf, trust_roots=[root_cert], now=_now() + 3 * DAY)
    assert report.indication.value != "TOTAL_PASSED"
    assert report.sub_indication == "NOT_YET_VALID", (report.summary, _signature(report).errors)


def test_revocation_data_older_than_the_signature_cannot_clear_it(agreement_pdf, keystore, root_cert):
    """A "good" CRL issued before the signature says nothing about the time of signing."""
    stale = _crls(keystore, at=_now() - dt.timedelta(hours=1))
    cred = credential(keystore, now=_now())
    pdf = _close(keystore, sign_one(keystore, agreement_pdf, cred), stale)
    report = verify_pdf(pdf, trust_roots=[root_cert], now=_now() + 2 * DAY)
    assert report.indication.value != "TOTAL_PASSED", report.summary
