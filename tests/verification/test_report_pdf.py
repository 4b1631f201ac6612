"""The verification report PDF: signed by the verification service (PAdES, the report key with its
certificate from the issuing CA), valid for our verifier and for pdfsig, and wholly in the reader's language."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mediation_svc.pki import hierarchy
from mediation_svc.pki.keystore import REPORT_SIGNING_KEY
from mediation_svc.verification.report import verify_pdf

from ..signing.conftest import empty_nss_db, pdfsig  # noqa: F401 - the fixture
from . import forgeries

# Names of formats, standards and levels a Chinese report may name as they are (and hex digests).
FORMAT_NAMES = {"PDF", "SHA", "PAdES", "ETSI", "EN", "JWS", "JSON", "CRL", "B-B", "B-T", "B-LT", "B-LTA"}
LATIN_WORD = re.compile(r"[A-Za-z](?:[A-Za-z-]*[A-Za-z])?")
HEX_RUN = re.compile(r"\b[0-9a-f]{16,}\b")


def pdf_text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def latin_words(text: str) -> set[str]:
    return {w.upper() for w in LATIN_WORD.findall(HEX_RUN.sub(" ", text))} - {n.upper() for n in FORMAT_NAMES}


def report_pdf(client, pdf: bytes, lang: str | None = None, headers=None) -> bytes:
    params = {"format": "pdf", **({"lang": lang} if lang else {})}
    r = client.post("/api/v1/verify", params=params, headers=headers or {},
                    files={"file": ("调解协议书.pdf", pdf, "application/pdf")})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    return r.content


def test_the_report_is_signed_by_the_verification_service_and_verifies(client, signed_lta, keystore):
    report = report_pdf(client, signed_lta, "zh-CN")
    root = keystore.certificate(hierarchy.ROOT)
    checked = verify_pdf(report, trust_roots=[root], file_name="verification-report.pdf")
    assert checked.indication.value == "TOTAL_PASSED", checked.summary
    [signature] = [s for s in checked.signatures if s.kind == "signature"]
    assert signature.field_name == "report" and signature.chain_trusted and signature.integrity
    assert signature.signer.name == hierarchy.REPORT_SIGNER_NAME
    report_cert = keystore.certificate(REPORT_SIGNING_KEY).public_bytes(Encoding.DER)
    assert signature.chain[0].sha256 == hashlib.sha256(report_cert).hexdigest()
    # B-T at least: a signature timestamp from the center's TSA; the chain and CRLs in the DSS at once (B-LT)
    assert signature.timestamp_time is not None and signature.pades_level == "B-LT"
    assert signature.revocation.status == "good"


def test_the_report_passes_pdfsig_with_the_root_trusted(client, signed_lta, nss_db, empty_nss_db, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(client, signed_lta))
    [result] = pdfsig(path, nss_db)
    # as for the agreements (tests/judicial): pdfsig runs with -no-ocsp, the OCSP URLs are not served in tests
    assert "Signature Validation: Signature is Valid." in result, result
    assert "Signature Type: ETSI.CAdES.detached" in result and "Signer Certificate Common Name: " \
        f"{hierarchy.REPORT_SIGNER_NAME}" in result
    assert "isn't Trusted" not in result and "Revoked" not in result and "Expired" not in result
    [untrusted] = pdfsig(path, empty_nss_db)  # the same file without the center's root: NSS says so
    assert "Certificate issuer isn't Trusted." in untrusted, untrusted


def test_the_chinese_report_has_no_english(client, signed_lta, tmp_path):
    text = pdf_text(report_pdf(client, signed_lta, "zh-CN"), tmp_path, "zh.pdf")
    compact = re.sub(r"\s+", "", text)
    assert "电子签名验证报告" in compact and "总体结论通过" in compact and "真实有效" in compact
    assert "出具单位：广东正和银行保险消费纠纷调解中心电子签名验证服务" in compact
    assert latin_words(text) == set(), sorted(latin_words(text))
    assert "UTC" not in text and "Digitally signed" not in text and "þÿ" not in text


@pytest.mark.parametrize("forge", [forgeries.replace_page_content, forgeries.annotation_over_amount])
def test_a_failed_report_in_chinese_has_no_english_either(client, signed_lta, tmp_path, forge):
    text = pdf_text(report_pdf(client, forge(signed_lta)), tmp_path, "failed.pdf")
    compact = re.sub(r"\s+", "", text)
    assert "总体结论未通过" in compact and "签署后被改动" in compact
    assert latin_words(text) == set(), sorted(latin_words(text))


def test_an_unsigned_file_reports_in_chinese(client, agreement_pdf, tmp_path):
    text = pdf_text(report_pdf(client, agreement_pdf), tmp_path, "unsigned.pdf")
    assert "没有电子签名" in re.sub(r"\s+", "", text) and latin_words(text) == set(), sorted(latin_words(text))


def test_the_english_report_is_in_english(client, signed_lta, tmp_path, keystore):
    for pdf in (report_pdf(client, signed_lta, "en"),
                report_pdf(client, signed_lta, headers={"Accept-Language": "en-GB,en;q=0.8"})):
        text = pdf_text(pdf, tmp_path, "en.pdf")
        assert "Electronic signature validation report" in text and "passed (TOTAL_PASSED)" in text
        assert "Page 1 of" in text and "Issued by the electronic signature verification service of" in text
        # what the file says (the signers' names) stays as it is; none of the report's own words are Chinese
        own = re.sub(r"\s+", "", text)
        for data in ("广东正和银行保险消费纠纷调解中心", "被申请人代理人", "申请人", "陈秀兰", "李志强", "王建国",
                     "调解员", "调解协议书"):
            own = own.replace(data, "")
        assert not re.search(r"[\u4e00-\u9fff]", own), re.findall(r".{0,20}[\u4e00-\u9fff].{0,20}", own)[:5]
        root = keystore.certificate(hierarchy.ROOT)
        assert verify_pdf(pdf, trust_roots=[root]).indication.value == "TOTAL_PASSED"


def test_the_signature_mark_sits_in_the_issuer_block_above_the_footer(client, signed_lta):
    from ..signing.paper import count, is_ink, page_images, signature_fields, to_pixels

    report = report_pdf(client, signed_lta)
    field = signature_fields(report)["report"]
    image = page_images(report)[field.page]
    assert count(image, to_pixels(field.rect, image), is_ink) > 150
    # the block ends above the page's bottom margin (30 mm: the page number)
    assert field.rect[1] > 30 * 72 / 25.4
