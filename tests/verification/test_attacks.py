"""Issue 11: attacks built from an agreement the service signed (no key needed), and one verdict for the
endpoint, the CLI and the page at the same injected moment."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mediation_svc.pki import hierarchy
from mediation_svc.pki.tsa import make_timestamper
from mediation_svc.signing import pades
from mediation_svc.verification.report import UnreadablePdf, verify_pdf

from . import forgeries
from .conftest import context, credential, sign_one

NINE_YEARS = dt.timedelta(days=365 * 9)


def _failed_with(pdf: bytes, root, words: str):
    report = verify_pdf(pdf, trust_roots=[root])
    assert (report.indication.value, report.sub_indication) == ("TOTAL_FAILED", "FORMAT_FAILURE"), report.summary
    errors = [e for s in report.signatures for e in s.errors]
    assert any(words in e for e in errors), errors
    return report


def test_unsigned_signature_field_laid_over_the_amount_fails(signed_lta, root_cert):
    forged = forgeries.unsigned_signature_field_over_amount(signed_lta)
    report = _failed_with(forged, root_cert, "left unsigned")
    # every signature the overlay follows fails, the document timestamp included
    assert all(s.indication.value == "TOTAL_FAILED" for s in report.signatures)


def test_form_field_filled_after_signing_fails_and_names_the_field(agreement_pdf, keystore, root_cert):
    """A file prepared elsewhere with a text field: signing it is fine, filling it afterwards is not."""
    prepared = forgeries.with_text_field(agreement_pdf)
    signed = sign_one(keystore, prepared, credential(keystore), with_data=True)
    signed = pades.close_lta(signed, timestamper=make_timestamper(keystore), context=context(keystore))
    assert verify_pdf(signed, trust_roots=[root_cert]).indication.value == "TOTAL_PASSED"
    _failed_with(forgeries.fill_text_field(signed), root_cert, "form field remark")


def test_document_information_rewritten_after_signing_fails(signed_lta, root_cert):
    _failed_with(forgeries.rewrite_info(signed_lta), root_cert, "document information")


def test_pdf_header_with_random_bytes_is_not_a_verdict(root_cert, client):
    garbage = b"%PDF-1.7\n" + os.urandom(4096)
    with pytest.raises(UnreadablePdf):
        verify_pdf(garbage, trust_roots=[root_cert])
    response = client.post("/api/v1/verify", files={"file": ("x.pdf", garbage, "application/pdf")})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(":unreadable-pdf")


def test_truncated_signed_file_still_gets_a_failing_verdict(signed_lta, root_cert):
    """The unreadable rule is not a way out of a verdict for a damaged signed file."""
    report = verify_pdf(forgeries.truncate(signed_lta), trust_roots=[root_cert])
    assert report.indication.value == "TOTAL_FAILED"


# ---- one verdict, wherever it is asked, at the same moment ---------------------------------------------

def test_endpoint_cli_and_page_agree_at_a_moved_clock(signed_lta, root_cert, client, keys_dir, tmp_path):
    later = dt.datetime.now(dt.timezone.utc) + NINE_YEARS
    client.app.state.validation_clock = lambda: later
    api = client.post("/api/v1/verify", files={"file": ("a.pdf", signed_lta, "application/pdf")}).json()
    path = tmp_path / "a.pdf"
    path.write_bytes(signed_lta)
    cli = subprocess.run([str(Path(sys.executable).parent / "mediation-svc"), "verify", str(path), "--json",
                          "--trust", str(keys_dir / f"{hierarchy.ROOT}.crt.pem"), "--at", later.isoformat()],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr[-2000:]
    offline = json.loads(cli.stdout)
    page = client.get("/verify")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    headers = {"Origin": "http://testserver"}
    data = {"csrf_token": token.group(1)} if token else {}
    shown = client.post("/verify", files={"file": ("a.pdf", signed_lta, "application/pdf")}, data=data,
                        headers=headers)
    assert api["indication"] == offline["indication"] == "TOTAL_PASSED"
    assert api["validation_time"].startswith(later.isoformat()[:16])
    assert offline["validation_time"].startswith(later.isoformat()[:16])
    assert [s["indication"] for s in api["signatures"]] == [s["indication"] for s in offline["signatures"]]
    assert shown.status_code == 200 and "TOTAL_FAILED" not in shown.text


@pytest.mark.skipif(not Path("/usr/bin/faketime").exists(), reason="faketime (Debian) is not installed")
@pytest.mark.parametrize("offset", ["+2h", "+8d", "+365d", "+3285d"])
def test_cli_under_faketime(signed_lta, keys_dir, tmp_path, offset):
    """The court's own way to look years ahead: the real CLI, with the system clock moved by libfaketime."""
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_lta)
    cli = Path(sys.executable).parent / "mediation-svc"
    result = subprocess.run(["faketime", "-f", offset, str(cli), "verify", str(path), "--json",
                             "--trust", str(keys_dir / f"{hierarchy.ROOT}.crt.pem")],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, (offset, result.stdout[-3000:], result.stderr[-2000:])
    report = json.loads(result.stdout)
    moved = dt.datetime.fromisoformat(report["validation_time"]) - dt.datetime.now(dt.timezone.utc)
    assert moved > dt.timedelta(hours=1)
    assert report["indication"] == "TOTAL_PASSED"
