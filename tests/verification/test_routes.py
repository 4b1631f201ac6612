"""The public endpoint, the signed report forms, look-ups by code, and a fuzz run over mutated files."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from mediation_svc.verification import attestation

from ..signing.flow import insert_final_document
from . import forgeries


def post(client, data: bytes, name="agreement.pdf", **params):
    return client.post("/api/v1/verify", files={"file": (name, data, "application/pdf")}, params=params)


def test_genuine_file_passes_and_is_found_in_the_registry(client, engine, make_case, signed_lta):
    case = make_case()
    document = insert_final_document(engine, case.id, signed_lta, move_case=False)
    r = post(client, signed_lta)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["indication"] == "TOTAL_PASSED" and body["sub_indication"] is None
    assert body["file_sha256"] == hashlib.sha256(signed_lta).hexdigest()
    assert len([s for s in body["signatures"] if s["kind"] == "signature"]) == 4
    registry = body["registry"]
    assert registry["matched"] and registry["document_id"] == document.id
    assert registry["case_number"] == case.number and registry["status"] == "final"


def test_forged_file_fails_and_is_not_in_the_registry(client, engine, make_case, signed_lta):
    insert_final_document(engine, make_case().id, signed_lta, move_case=False)
    r = post(client, forgeries.annotation_over_amount(signed_lta))
    assert r.status_code == 200
    body = r.json()
    assert (body["indication"], body["sub_indication"]) == ("TOTAL_FAILED", "FORMAT_FAILURE")
    assert body["registry"] == {**body["registry"], "matched": False}
    assert "annotations" in " ".join(body["signatures"][0]["errors"])


@pytest.mark.parametrize("data, status, slug", [
    (b"", 422, "empty-upload"),
    (b"GIF89a\x01\x00 definitely not a pdf", 415, "not-a-pdf"),
])
def test_bad_uploads_are_problems_not_errors(client, data, status, slug):
    r = post(client, data)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == f"urn:mediation-svc:problem:{slug}"


def test_missing_file_field_is_a_validation_problem(client):
    r = client.post("/api/v1/verify", data={"other": "x"})
    assert r.status_code == 422 and r.json()["type"].endswith("validation-error")


def test_jws_report_verifies_with_the_published_key(client, signed_lta):
    r = post(client, signed_lta, format="jws")
    assert r.status_code == 200 and r.headers["content-type"].startswith(attestation.REPORT_MEDIA_TYPE)
    keys = client.get("/.well-known/jwks.json").json()
    assert keys["keys"][0]["alg"] == "ES256" and "d" not in keys["keys"][0]
    payload = attestation.verify_payload(r.text, keys)
    assert payload["indication"] == "TOTAL_PASSED"
    header, body, signature = r.text.split(".")
    tampered = ".".join([header, body[:-6] + ("A" if body[-6] != "A" else "B") + body[-5:], signature])
    with pytest.raises(attestation.AttestationInvalid):
        attestation.verify_payload(tampered, keys)


def test_pdf_report_is_readable(client, signed_lta):
    r = post(client, forgeries.replace_page_content(signed_lta), format="pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    import pikepdf

    with pikepdf.open(__import__("io").BytesIO(r.content)) as pdf:
        assert len(pdf.pages) >= 1
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(r.content)
        handle.flush()
        text = subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True).stdout
    text = "".join(text.split())
    assert "电子签名验证报告" in text and "总体结论未通过" in text  # the reader's language: zh-CN by default


def test_code_lookup_shows_status_hash_and_verdict_and_serves_the_original(client, engine, make_case, signed_lta,
                                                                          make_user, auth):
    officer = make_user("case_officer")
    document = insert_final_document(engine, make_case(officer=officer).id, signed_lta, move_case=False)
    grouped = "-".join(document.verification_code[i:i + 4] for i in range(0, 16, 4)).lower()
    r = client.get(f"/api/v1/verify/code/{grouped}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["document_id"] == document.id and body["registered_sha256"] == document.sha256
    assert body["verification"]["indication"] == "TOTAL_PASSED"
    # anonymous: the signers' names are masked (PIPL) and the original (full ID numbers) needs a login
    names = [s["signer"] for s in body["verification"]["signatures"] if s["signer"]]
    assert names and all("*" in n for n in names) and body["names_masked"]
    anonymous = client.get(body["original_url"])
    assert anonymous.status_code == 401 and anonymous.headers["content-type"].startswith("application/problem+json")
    outsider = client.get(body["original_url"], headers=auth(make_user("party")))
    assert outsider.status_code == 404
    staff = client.get(f"/api/v1/verify/code/{grouped}", headers=auth(officer)).json()
    assert "names_masked" not in staff and not any("*" in (s["signer"] or "") for s in staff["verification"]["signatures"])
    r = client.get(body["original_url"], headers=auth(officer))
    assert r.status_code == 200 and r.content == signed_lta
    assert client.get("/api/v1/verify/code/ZZZZ-ZZZZ-ZZZZ-ZZZZ").status_code == 404


def test_code_lookups_are_rate_limited_per_address(client):
    from mediation_svc.verification.service import CODE_LOOKUPS_PER_WINDOW

    statuses = [client.get(f"/api/v1/verify/code/AAAA-BBBB-CCCC-{i:04d}").status_code
                for i in range(CODE_LOOKUPS_PER_WINDOW + 1)]
    assert statuses[:-1] == [404] * CODE_LOOKUPS_PER_WINDOW
    assert statuses[-1] == 429
    r = client.get("/api/v1/verify/code/AAAA-BBBB-CCCC-DDDD")
    assert r.status_code == 429 and r.json()["type"].endswith("rate-limited") and "retry-after" in r.headers


def _mutations(pdf: bytes):
    size = len(pdf)
    position = st.integers(min_value=0, max_value=size - 1)
    flip = st.tuples(position, st.integers(1, 255)).map(
        lambda t: pdf[:t[0]] + bytes([pdf[t[0]] ^ t[1]]) + pdf[t[0] + 1:])
    cut = position.map(lambda p: pdf[:max(p, 9)])
    insert = st.tuples(position, st.binary(min_size=1, max_size=64)).map(lambda t: pdf[:t[0]] + t[1] + pdf[t[0]:])
    splice = st.tuples(position, position).map(lambda t: pdf[:min(t)] + pdf[max(t):])
    several = st.lists(st.tuples(position, st.integers(1, 255)), min_size=2, max_size=20).map(
        lambda flips: _apply_flips(pdf, flips))
    garbage = st.binary(min_size=0, max_size=4096).map(lambda b: b"%PDF-1.7\n" + b)
    return st.one_of(flip, cut, insert, splice, several, garbage)


def _apply_flips(pdf: bytes, flips) -> bytes:
    data = bytearray(pdf)
    for index, mask in flips:
        data[index] ^= mask
    return bytes(data)


@pytest.fixture(scope="module")
def fuzz_seed(signed_lta):
    # a smaller genuine file (one signature on a one-page agreement) keeps each example fast
    return signed_lta


def test_fuzzed_uploads_never_cause_a_server_error(client, fuzz_seed):
    @hsettings(max_examples=40, deadline=10_000, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large])
    @given(_mutations(fuzz_seed))
    def check(data):
        r = post(client, data)
        assert r.status_code < 500, r.text
        if r.status_code == 200:
            assert r.json()["indication"] in {"TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"}
        else:
            assert r.headers["content-type"].startswith("application/problem+json")

    check()


def test_verifications_are_rate_limited_per_address(client, monkeypatch):
    from mediation_svc.verification import service

    monkeypatch.setattr(service, "VERIFICATIONS_PER_WINDOW", 3)
    statuses = [post(client, b"%PDF-1.7\nnot really").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]  # unreadable (no verdict to give), yet counted against the address


def _page_verdict(client, data: bytes, lang: str) -> str:
    import re

    page = client.get(f"/verify?lang={lang}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/verify", data={"csrf_token": token}, files={"file": ("agreement.pdf", data, "application/pdf")},
                    headers={"Origin": "http://testserver"})
    assert r.status_code == 200, r.text
    return r.text


def test_the_verification_page_explains_the_report_in_the_readers_language(client, signed_lta):
    genuine = _page_verdict(client, signed_lta, "zh-CN")
    assert "真实有效：本中心签署" in genuine and "共 4 个签名、1 个文档时间戳" in genuine
    assert "即签署时的文件" in genuine and "签署后仅有允许的签署或表单填写" in genuine
    data = bytearray(signed_lta)
    at = data.index(b"stream", len(data) // 3) + 20  # inside a signed content stream
    data[at] ^= 0x01
    tampered = _page_verdict(client, bytes(data), "zh-CN")
    # the reason in words; the code itself is folded under the technical details
    assert "签署后被改动" in tampered and "<dd>签名所覆盖的内容已被改动</dd>" in tampered
    assert "HASH_FAILURE" in tampered.split("data-technical", 1)[1]
    english = _page_verdict(client, bytes(data), "en")
    assert "Changed after signing" in english and "<dd>the signed content was changed</dd>" in english
