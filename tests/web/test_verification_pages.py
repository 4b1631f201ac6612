"""The court's four headlines on the verification page, from real files: the center's signed agreement, the
same with one bit changed, an unsigned PDF, and one signed under a look-alike hierarchy (other keys)."""

from __future__ import annotations

import pytest

from mediation_svc.verification.headline import verdict_of

from ..verification.conftest import (agreement_pdf, drawn_signature, keystore, lookalike_signed,  # noqa: F401
                                     nss_db, signed_lta)
from .conftest import csrf_of


def tampered(pdf: bytes) -> bytes:
    data = bytearray(pdf)
    data[data.index(b"stream", 2000) + 40] ^= 0x01  # one bit inside a stream of the signed revision
    return bytes(data)


def upload(client, data: bytes, lang: str = "zh-CN"):
    page = client.get(f"/verify?lang={lang}")
    return client.post("/verify", data={"csrf_token": csrf_of(page.text)},
                       files={"file": ("agreement.pdf", data, "application/pdf")})


@pytest.mark.parametrize("which, verdict, words, english", [
    ("signed", "authentic", "真实有效：本中心签署，签署后未被改动", "signed by this center and unchanged"),
    ("tampered", "changed", "签署后被改动", "Changed after signing"),
    ("unsigned", "unsigned", "没有电子签名", "Not signed"),
    ("lookalike", "foreign", "不是本中心签署", "Not signed by this center"),
])
def test_each_kind_of_file_gets_its_own_headline(client, signed_lta, lookalike_signed, agreement_pdf,
                                                 which, verdict, words, english):
    data = {"signed": signed_lta, "tampered": tampered(signed_lta), "unsigned": agreement_pdf,
            "lookalike": lookalike_signed}[which]
    page = upload(client, data)
    assert page.status_code == 200
    assert f'data-verdict="{verdict}"' in page.text and words in page.text
    assert "TOTAL_PASSED" not in page.text.split("data-technical")[0]  # codes only in the folded details
    assert english in upload(client, data, "en").text


def test_a_non_pdf_upload_is_refused_in_chinese(client):
    page = upload(client, b"hello, not a pdf")
    assert page.status_code == 415 and "上传的文件不是 PDF" in page.text


def test_the_verdict_is_read_from_the_report_fields():
    sig = {"kind": "signature", "integrity": True, "sub_indication": None, "modifications": None}
    assert verdict_of("TOTAL_PASSED", None, [sig]) == "authentic"
    assert verdict_of("TOTAL_FAILED", "HASH_FAILURE", [{**sig, "integrity": False}]) == "changed"
    assert verdict_of("TOTAL_FAILED", "FORMAT_FAILURE", [{**sig, "modifications": {"permitted": False}}]) == "changed"
    assert verdict_of("TOTAL_FAILED", "NO_SIGNATURE_FOUND", []) == "unsigned"
    assert verdict_of("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND", [sig]) == "foreign"
    assert verdict_of("INDETERMINATE", "TRY_LATER", [sig]) == "indeterminate"
    assert verdict_of("TOTAL_FAILED", "REVOKED", [sig]) == "failed"
    timestamp_only = {**sig, "kind": "document_timestamp"}
    assert verdict_of("TOTAL_PASSED", None, [timestamp_only]) == "unsigned"


def test_the_report_of_a_signed_file_speaks_plainly(client, signed_lta):
    """What a clerk reads about each signature (the fields changed later, the basis of the judgment) in
    words: no field codes, no English, in the Chinese report."""
    from .plain_language import findings

    page = upload(client, signed_lta)
    assert page.status_code == 200 and "核验依据" in page.text
    assert findings(page.text.split("data-technical")[0], "zh-CN") == []
