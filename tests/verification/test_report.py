"""The verdicts on genuine and forged files (no database): each forgery is built here from a genuine file."""

from __future__ import annotations

import pytest

from mediation_svc.security.pipl import mask_id_number
from mediation_svc.verification.report import NotAPdf, verify_pdf

from . import forgeries


def verdict(pdf, root):
    report = verify_pdf(pdf, trust_roots=[root])
    return report, (report.indication.value, report.sub_indication)


def test_genuine_b_lta_agreement_passes_with_details(signed_lta, root_cert):
    report, outcome = verdict(signed_lta, root_cert)
    assert outcome == ("TOTAL_PASSED", None), report.summary
    sigs = [s for s in report.signatures if s.kind == "signature"]
    assert [s.field_name for s in sigs] == ["signer-0", "signer-1", "signer-2", "seal"]
    first = sigs[0]
    assert (first.signer.name, first.signer.role, first.signer.masked_id) == ("陈秀兰", "申请人", "440***************")
    assert first.pades_level == "B-LTA" and first.integrity and first.chain_trusted
    assert first.chain[-1].trust_anchor and first.chain[-1].sha256 != first.chain[0].sha256
    assert first.timestamp_time is not None and first.coverage == "ENTIRE_REVISION"
    assert first.modifications.level == "FORM_FILLING" and first.modifications.permitted
    assert first.revocation.status == "good" and "CRL" in first.revocation.source
    stamp = report.signatures[-1]
    assert stamp.kind == "document_timestamp" and stamp.coverage == "ENTIRE_FILE"
    assert stamp.indication.value == "TOTAL_PASSED"


@pytest.mark.parametrize("forge, expected_text", [
    (forgeries.replace_page_content, "/Contents"),
    (forgeries.add_page, "page tree"),
    (forgeries.annotation_over_amount, "annotations"),
])
def test_incremental_update_after_last_signature_fails_with_description(signed_lta, root_cert, forge, expected_text):
    forged = forge(signed_lta)
    assert forgeries.signature_count(forged) == 5  # every signature is still cryptographically intact
    report, outcome = verdict(forged, root_cert)
    assert outcome == ("TOTAL_FAILED", "FORMAT_FAILURE"), report.summary
    for sig in report.signatures:
        assert sig.integrity, sig  # the CMS check alone (what pdfsig reports) would pass
        assert sig.modifications.level == "OTHER" and not sig.modifications.permitted
    assert any(expected_text in e for e in report.signatures[0].errors)


def test_pdfsig_is_fooled_by_the_replaced_page_but_we_are_not(signed_lta, root_cert, nss_db, tmp_path):
    from ..signing.conftest import pdfsig

    forged = forgeries.replace_page_content(signed_lta)
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    blocks = pdfsig(path, nss_db)
    assert len(blocks) == 5 and all("Signature is Valid." in block for block in blocks[:4])  # the 5th: document timestamp
    assert verify_pdf(forged, trust_roots=[root_cert]).indication.value == "TOTAL_FAILED"


def test_byte_changed_inside_signed_range_is_a_hash_failure(signed_lta, root_cert):
    report, outcome = verdict(forgeries.flip_byte_in_signed_range(signed_lta), root_cert)
    assert outcome == ("TOTAL_FAILED", "HASH_FAILURE")
    assert not any(s.integrity for s in report.signatures)


def test_byte_range_edited_to_cover_less_fails(signed_lta, root_cert):
    report, outcome = verdict(forgeries.shrink_byte_range(signed_lta), root_cert)
    assert outcome[0] == "TOTAL_FAILED"
    stamp = report.signatures[-1]
    assert stamp.indication.value == "TOTAL_FAILED" and not stamp.integrity


def test_truncated_file_fails(signed_lta, root_cert):
    report, outcome = verdict(forgeries.truncate(signed_lta), root_cert)
    assert outcome == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert any("truncated" in e for e in report.errors)
    # cut anywhere in the last part of the file: never a pass
    for cut in (1, 17, 500, 2500):
        assert verdict(signed_lta[:-cut], root_cert)[1][0] == "TOTAL_FAILED"


def test_bytes_after_the_end_fail(signed_lta, root_cert):
    report, outcome = verdict(forgeries.append_after_eof(signed_lta), root_cert)
    assert outcome == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert any("appended" in e for e in report.errors)
    # a trailing newline (what some transfer tools add) is not a change of content
    assert verdict(signed_lta + b"\r\n", root_cert)[1] == ("TOTAL_PASSED", None)


def test_lookalike_ca_with_the_same_names_is_not_trusted(lookalike_signed, root_cert):
    report, outcome = verdict(lookalike_signed, root_cert)
    assert outcome == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"), report.summary
    sig = report.signatures[0]
    assert not sig.chain_trusted and sig.signer.name == "陈秀兰"
    assert sig.revocation.status == "not_checked"  # revocation data under an untrusted issuer proves nothing


def test_revoked_signer_fails(revoked_signed, root_cert):
    report, outcome = verdict(revoked_signed, root_cert)
    assert outcome[0] != "TOTAL_PASSED"
    assert outcome == ("TOTAL_FAILED", "REVOKED"), report.summary
    assert report.signatures[0].revocation.status == "revoked"


def test_timestamp_after_certificate_expiry_fails(expired_signed, root_cert):
    report, outcome = verdict(expired_signed, root_cert)
    assert outcome[0] != "TOTAL_PASSED", report.summary
    assert outcome[1] in {"EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"}, report.summary


def test_pdf_without_signature(agreement_pdf, root_cert):
    report, outcome = verdict(agreement_pdf, root_cert)
    assert outcome == ("TOTAL_FAILED", "NO_SIGNATURE_FOUND")


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not a pdf", b"\x00" * 2048])
def test_non_pdf_input_is_refused(data, root_cert):
    with pytest.raises(NotAPdf):
        verify_pdf(data, trust_roots=[root_cert])


def test_without_our_root_nothing_passes(signed_lta):
    report = verify_pdf(signed_lta, trust_roots=[])
    assert report.indication.value == "INDETERMINATE"
    assert all(not s.chain_trusted for s in report.signatures)


def test_the_report_masks_ids_with_the_one_mask_and_never_shows_the_last_four():
    assert mask_id_number("440106195803121235") == "440106************"
    # a certificate issued with the older mask that kept the last four loses them in the report
    assert mask_id_number("440***********1234") == "440***************"
    assert mask_id_number(None) is None


def test_archive_renewal_keeps_the_verdict(signed_lta, keystore, root_cert):
    """Years later the file carries a second document timestamp (pades.retimestamp): still TOTAL_PASSED."""
    from mediation_svc.pki.tsa import make_timestamper
    from mediation_svc.signing import pades

    from .conftest import context

    renewed = pades.retimestamp(signed_lta, timestamper=make_timestamper(keystore), context=context(keystore))
    report, outcome = verdict(renewed, root_cert)
    assert outcome == ("TOTAL_PASSED", None), report.summary
    assert [s.kind for s in report.signatures].count("document_timestamp") == 2
    assert all(s.pades_level == "B-LTA" for s in report.signatures if s.kind == "signature")
