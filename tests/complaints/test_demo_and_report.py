"""The demo complaints and the monthly report computed from them: figures near the center's, the report's
files (XLSX, CSV) holding the same numbers, and the demo bank account scoped to ICBC."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlmodel import Session, select

from mediation_svc import demo
from mediation_svc.audit.chain import verify_chain
from mediation_svc.cases.models import Institution
from mediation_svc.complaints import demo as complaints_demo
from mediation_svc.complaints import statistics
from mediation_svc.complaints.models import Contact
from mediation_svc.db import unit_of_work
from mediation_svc.timeutil import today_in_shanghai


def _seed(engine, settings) -> demo.DemoContext:
    context = demo.DemoContext()
    with unit_of_work(engine) as session:
        demo._seed_users(session, context)
        demo._seed_cases(session, settings, context)
        complaints_demo.seed(session, settings, context)
    return context


def test_demo_figures_are_near_the_centers_and_the_report_files_agree(engine, settings, client, auth):
    context = _seed(engine, settings)
    today = today_in_shanghai()
    with Session(engine) as session:
        report = statistics.build(session, start=today - timedelta(days=91), end=today)
        totals = report.totals
        assert 0.45 <= totals["feedback_rate"] <= 0.65, totals
        assert 4.5 <= totals["average_days"] <= 7.5, totals
        assert totals["consultations"] > 50 and totals["complaints"] > 100
        assert totals["steered_into_mediation"] >= 2 and totals["settled_amount"] > 0
        assert sum(report.distribution.values()) == totals["answered"]
        ring = session.exec(select(Contact).where(Contact.contact_phone == "+8613912345678")).all()
        assert len(ring) == 8 and all({"shared_phone", "third_party_representative", "scripted_text",
                                       "bulk_filing"} <= set(c.risk_flags.split(",")) for c in ring)
        assert sum(v["shared_phone"] for v in report.risk_by_month.values()) >= 8
        assert verify_chain(session).ok
        icbc = session.exec(select(Institution).where(Institution.kind == "bank")).first()
        icbc_forwarded = session.exec(select(Contact).where(Contact.institution_id == icbc.id,
                                                            Contact.forwarded_on.is_not(None))).all()
    bank_user = context.users["party.bank"]
    seen = client.get("/api/v1/complaints?limit=500&status=forwarded", headers=auth(bank_user)).json()
    assert seen and all(c["institution_id"] == icbc.id for c in seen)
    assert len(seen) == sum(1 for c in icbc_forwarded if c.status == "forwarded")
    cases = client.get("/api/v1/cases", headers=auth(bank_user)).json()
    assert len(cases) >= 3 and all(c["institution_id"] == icbc.id for c in cases)

    officer = context.users["officer.li"]
    month = today.strftime("%Y-%m")
    xlsx = client.get(f"/api/v1/complaint-reports/{month}.xlsx", headers=auth(officer))
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["概览", "按机构", "渠道", "办结时长分布", "退保风险提示"]
    start, end = statistics.month_bounds(month)
    with Session(engine) as session:
        monthly = statistics.build(session, start=start, end=end)
    values = {row[0].value: row[1].value for row in book["概览"].iter_rows(min_row=3)}
    assert values["转办投诉"] == monthly.totals["forwarded"] and values["反馈率"] == f"{monthly.totals['feedback_rate']:.1%}"
    assert book["按机构"]._charts, "the institutions sheet carries its chart"
    csv_text = client.get(f"/api/v1/complaint-reports/{month}.csv", headers=auth(officer)).content.decode("utf-8-sig")
    assert "【按机构】" in csv_text and f"转办投诉,{monthly.totals['forwarded']}" in csv_text
    assert client.get(f"/api/v1/complaint-reports/{month}.csv", headers=auth(bank_user)).status_code == 403
    assert client.get("/api/v1/complaint-reports/2026-13.csv", headers=auth(officer)).status_code == 422
    stats = client.get("/api/v1/complaint-statistics", headers=auth(officer)).json()
    assert stats["totals"]["forwarded"] >= monthly.totals["forwarded"]
