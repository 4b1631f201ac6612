"""The ID factor is printed nowhere: the last four characters of an ID number are what a signer types to prove
who they are, so the agreement, the judicial application, their embedded data, the API and the pages show an
ID number only as ``security.pipl.mask_id_number`` does (the first six, the rest hidden)."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date

import pytest
from sqlmodel import Session, select

from mediation_svc import demo
from mediation_svc.cases.models import Case, CaseParty
from mediation_svc.db import unit_of_work
from mediation_svc.documents import demo as documents_demo
from mediation_svc.documents import samples
from mediation_svc.documents.models import Document
from mediation_svc.documents.rendering import data_attachment, render_document
from mediation_svc.judicial.service import application_inputs
from mediation_svc.security.pipl import mask_id_number

from ..web.conftest import csrf_of, login  # noqa: F401 (login is a fixture)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def assert_no_id_factor(text: str, id_numbers: list[str]) -> None:
    """Neither a full ID number nor its last four characters (spaces and line breaks ignored)."""
    flat = re.sub(r"\s+", "", text)
    for number in id_numbers:
        assert number not in flat, f"full ID number {number} is printed"
        assert number[-4:] not in flat, f"the last four characters of {number} ({number[-4:]}) are printed"


def test_the_one_mask_keeps_the_first_six():
    assert mask_id_number("440106195803121237") == "440106************"
    assert mask_id_number("440106************") == "440106************"  # a masked value stays as it is
    assert mask_id_number("440***********1356") == "440***************"  # the old mask loses the last four
    assert mask_id_number("E1234567") == "********" and mask_id_number(None) is None


@pytest.mark.parametrize("template_id, language, make", [
    ("mediation_agreement", "zh-CN", samples.agreement), ("mediation_agreement", "en", samples.agreement_en),
    ("judicial_application", "zh-CN", samples.judicial_application),
    ("neutral_evaluation", "zh-CN", samples.neutral_evaluation),
])
def test_documents_print_the_mask_and_never_the_id_factor(template_id, language, make):
    inputs = make()
    numbers = [samples.CONSUMER["id_number"], samples.INSURER["agent"]["id_number"]]
    rendered = render_document(template_id, inputs, language=language, document_id="doc-ids",
                               verification_code="ABCD2345EFGH", base_url="https://mediation.example")
    text = pdf_text(rendered.pdf)
    assert_no_id_factor(text, numbers)
    if any(p.get("kind") == "person" for p in inputs.get("parties", inputs.get("applicants", []))):
        assert "440106************" in re.sub(r"\s+", "", text)
    # the structured data embedded in the PDF (and the stored inputs and their hash) hold only the mask too
    assert_no_id_factor(json.dumps(data_attachment(rendered.pdf), ensure_ascii=False), numbers)
    assert_no_id_factor(json.dumps(rendered.inputs, ensure_ascii=False), numbers)


def test_demo_agreement_judicial_application_api_and_pages_never_show_the_id_factor(engine, settings, client, auth,
                                                                                       login):
    context = demo.DemoContext()
    with unit_of_work(engine) as session:
        demo._seed_users(session, context)
        demo._seed_cases(session, settings, context)
        documents_demo.seed(session, settings, context)
    illness = context.cases["critical_illness"]
    with Session(engine) as session:
        numbers = [p.id_number for p in session.exec(select(CaseParty).where(CaseParty.case_id == illness.id)).all()
                   if p.id_number]
        assert numbers, "the demo case has parties with ID numbers"
        agreement = session.exec(select(Document).where(Document.case_id == illness.id)).one()
        case = session.get(Case, illness.id)
        application = application_inputs(session, settings, case=case, agreement=agreement,
                                          court_name="广州市天河区人民法院", applied_on=date(2026, 12, 2))
    # the demo agreement as finalised, and the judicial application made from it
    assert_no_id_factor(pdf_text(agreement.pdf), numbers)
    assert_no_id_factor(json.dumps(data_attachment(agreement.pdf), ensure_ascii=False), numbers)
    judicial = render_document("judicial_application", application, language="zh-CN", document_id="doc-app",
                               verification_code="ABCD2345EFGH", base_url="https://mediation.example")
    assert_no_id_factor(pdf_text(judicial.pdf), numbers)
    assert mask_id_number(numbers[0]) in re.sub(r"\s+", "", pdf_text(judicial.pdf))

    officer = context.users["officer.li"]
    # the API: the case, its drafts and their versions
    headers = auth(officer)
    case_json = client.get(f"/api/v1/cases/{illness.id}", headers=headers)
    assert case_json.status_code == 200
    assert_no_id_factor(case_json.text, numbers)
    drafts = client.get(f"/api/v1/cases/{illness.id}/drafts", headers=headers)
    assert drafts.status_code == 200 and drafts.json()
    assert_no_id_factor(drafts.text, numbers)
    for draft in drafts.json():
        versions = client.get(f"/api/v1/cases/{illness.id}/drafts/{draft['id']}/versions", headers=headers)
        assert versions.status_code == 200
        assert_no_id_factor(versions.text, numbers)
    # the pages: the case page and the drafting form (prefilled from the case)
    login(officer, password=demo.DEMO_PASSWORD)
    for url in (f"/cases/{illness.id}", f"/cases/{illness.id}/draft"):
        page = client.get(url)
        assert page.status_code == 200, url
        csrf_of(page.text)
        assert_no_id_factor(page.text, numbers)
