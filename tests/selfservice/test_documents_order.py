"""The consumer's page lists a case's documents oldest first (ids are random UUIDs: their order says nothing)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlmodel import Session

from mediation_svc.cases.models import Case
from mediation_svc.cases.service import workday_calendar
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.documents.models import Document
from mediation_svc.documents.service import generate_verification_code
from mediation_svc.selfservice import service


def _document(case_id: int, *, id_: str, title: str, created_at) -> Document:
    pdf = f"%PDF-1.7 {title}".encode()
    return Document(id=id_, case_id=case_id, kind="agreement", title=title, template_id="mediation_agreement",
                    template_version=1, language="zh-CN", inputs_json="{}", inputs_hash="0" * 64, pdf=pdf,
                    sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), page_count=1,
                    verification_code=generate_verification_code(), created_at=created_at)


def test_the_documents_are_listed_in_the_order_they_were_made(engine, make_case, make_user):
    case_id = make_case(officer=make_user("case_officer")).id
    earlier = utcnow() - timedelta(days=2)
    with unit_of_work(engine) as s:  # the first one's id sorts last
        s.add(_document(case_id, id_="ffffffff-0000-4000-8000-000000000001", title="调解通知书", created_at=earlier))
        s.add(_document(case_id, id_="00000000-0000-4000-8000-000000000002", title="调解协议书",
                        created_at=earlier + timedelta(days=1)))
    with Session(engine) as s:
        facts = service.facts_of(s, case=s.get(Case, case_id), calendar=workday_calendar(s))
    assert [d.title for d in facts.documents] == ["调解通知书", "调解协议书"]
