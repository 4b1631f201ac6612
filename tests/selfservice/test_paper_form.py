"""The blank paper form: a printable PDF a person can fill in by hand, with the QR code to the online form."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mediation_svc.selfservice import policy
from mediation_svc.web.application_form import form_url


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_the_blank_form_prints_every_field_and_the_notice(client, settings, tmp_path):
    answer = client.get("/my/application-form.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    path = tmp_path / "form.pdf"
    path.write_bytes(answer.content)
    if shutil.which("qpdf"):
        subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "投诉／调解申请表" in text.replace(" ", "")
    for words in ("身份证号码", "手机号码", "被投诉的银行或保险公司", "发生了什么", "您的请求",
                  "个人信息处理说明", policy.CONSENT_VERSION, "申请人签名", "扫码在线填写"):
        assert words in text, words
    assert form_url(settings).endswith("/my/apply")


def test_the_phone_page_offers_it(client):
    assert 'href="/my/application-form.pdf"' in client.get("/my").text
