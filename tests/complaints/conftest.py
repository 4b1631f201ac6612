"""Complaint fixtures: two institutions (ICBC and CCB), an officer, and one institution account at each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import select

from mediation_svc.cases.models import Institution
from mediation_svc.complaints.schemas import InstitutionAccountIn
from mediation_svc.complaints.institutions import create_institution_account
from mediation_svc.db import unit_of_work

from ..factories import credit_code

PASSWORD = "correct-horse-42"


@dataclass
class World:
    officer: object
    icbc: int
    ccb: int
    icbc_staff: object
    ccb_staff: object


def make_institution(session, name: str, body: str, kind: str = "bank") -> int:
    institution = Institution(name=name, kind=kind, credit_code=credit_code(body), address="广州市天河区")
    session.add(institution)
    session.flush()
    return institution.id


@pytest.fixture
def world(engine, make_user) -> World:
    officer = make_user("case_officer")
    with unit_of_work(engine) as session:
        icbc = make_institution(session, "中国工商银行股份有限公司广州分行", "91440101190471234")
        ccb = make_institution(session, "中国建设银行股份有限公司广州分行", "91440101190475678")
        icbc_staff, _ = create_institution_account(session, actor="test", data=InstitutionAccountIn(
            username="icbc.staff", display_name="工行投诉专员", password=PASSWORD, phone="13700137000",
            institution_id=icbc))
        ccb_staff, _ = create_institution_account(session, actor="test", data=InstitutionAccountIn(
            username="ccb.staff", display_name="建行投诉专员", password=PASSWORD, institution_id=ccb))
    return World(officer, icbc, ccb, icbc_staff, ccb_staff)


def complaint_payload(institution_id: int, **overrides) -> dict:
    payload = {"kind": "complaint", "channel": "hotline", "consumer_name": "黄志伟", "consumer_phone": "13800138001",
               "institution_id": institution_id, "institution_branch": "天河支行", "category_code": "bank_card",
               "facts": "信用卡逾期后被收取高额违约金，多次沟通未果。", "request": "减免违约金并分期还款",
               "amount": "3865.00"}
    payload.update(overrides)
    return payload


def outbox(session, kind: str):
    """The outbox messages of a kind, as detached copies; the read transaction is ended at once (on SQLite an
    open reader would hold up the app's next write)."""
    from types import SimpleNamespace

    from mediation_svc.notifications.models import OutboxMessage

    rows = [SimpleNamespace(**m.model_dump())
            for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()]
    session.rollback()
    return rows
