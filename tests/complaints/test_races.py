"""Complaints when two things happen at once (PostgreSQL).

A year's arrangement entered while an officer extends a complaint's time limit: the deadline that survives is the
one of the longer limit on the new calendar (before, the calendar's recomputation, read before the extension
committed, overwrote the extended deadline with one computed from the 15-day limit). The daily reminder run twice
at once (the same cron line on two hosts): each institution is texted once (before, twice). The consumer's tap
on the SMS link while an officer offers mediation: the offer stands and the link says it no longer applies
(before, the tap read the complaint still answered and closed it as accepted over the offer)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from mediation_svc.cases.service import workday_calendar
from mediation_svc.complaints import policy, service
from mediation_svc.complaints.models import Contact
from mediation_svc.complaints.schemas import ContactIn, ExtensionIn
from mediation_svc.db import unit_of_work
from mediation_svc.workcalendar.service import set_year_arrangement
from mediation_svc.workdays import DayRule

from ..reliability.test_lock_order import wait_for_a_lock_wait
from .conftest import complaint_payload, outbox

pytestmark = pytest.mark.postgresql_only
SH = ZoneInfo("Asia/Shanghai")
# The State Council's 2027 arrangement (as tests/workcalendar enters it): 春节 off 5 to 13 Feb, Sat 20 Feb worked.
ARRANGEMENT_2027 = ([DayRule(date(2027, 1, d), False, "元旦") for d in (1, 2, 3)]
                    + [DayRule(date(2027, 2, d), False, "春节") for d in range(5, 14)]
                    + [DayRule(date(2027, 2, 20), True, "春节调休上班")])


def test_an_extension_and_a_new_calendar_year_at_once_keep_the_longer_limit(engine, settings, world):
    with unit_of_work(engine) as session:
        officer = session.get(type(world.officer), world.officer.id)
        contact = service.record_contact(session, settings, actor=officer,
                                         data=ContactIn(**complaint_payload(world.icbc)))
        service.forward(session, settings, contact=contact, actor=officer, now=datetime(2027, 1, 22, 10, tzinfo=SH))
        contact_id = contact.id
        assert contact.deadline_on == date(2027, 2, 11)  # 15 days, past 春节 as the rule has it (5-10 Feb)

    def enter_the_year() -> int:
        with unit_of_work(engine) as session:
            return set_year_arrangement(session, year=2027, rules=ARRANGEMENT_2027, note="国办发明电（测试）",
                                        actor="user:1:admin", settings=settings).due_dates_changed

    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:
            contact = session.exec(select(Contact).where(Contact.id == contact_id).with_for_update()).one()
            officer = session.get(type(world.officer), world.officer.id)
            service.extend(session, settings, contact=contact, actor=officer,
                           data=ExtensionIn(kind="complex", reason="涉及多笔交易，需调取录音录像"))
            session.flush()
            year = pool.submit(enter_the_year)
            wait_for_a_lock_wait(engine)  # the calendar's writer waits for this complaint
        year.result(timeout=120)

    with Session(engine) as session:
        contact = session.get(Contact, contact_id)
        calendar = workday_calendar(session)
        assert contact.limit_days == 30
        assert contact.deadline_on == policy.deadline(calendar, date(2027, 1, 22), 30), contact.deadline_on
        assert contact.deadline_on == date(2027, 2, 22)  # Sun 21 Feb is a day off: the next working day


def test_the_reminder_run_twice_at_once_texts_each_institution_once(engine, settings, world, db):
    from mediation_svc.complaints.reminders import send_reminders

    with unit_of_work(engine) as session:
        officer = session.get(type(world.officer), world.officer.id)
        late = service.record_contact(session, settings, actor=officer, data=ContactIn(**complaint_payload(world.icbc)))
        service.forward(session, settings, contact=late, actor=officer, now=datetime(2026, 11, 2, 10, tzinfo=SH))

    def second_run() -> int:
        with unit_of_work(engine) as session:
            return send_reminders(session, settings)

    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:  # the first host's run, not yet committed
            assert send_reminders(session, settings) == 1
            other = pool.submit(second_run)
            wait_for_a_lock_wait(engine)  # the second host's run waits for the first
        assert other.result(timeout=120) == 0
    assert [m.recipient for m in outbox(db, "complaint_deadline_reminder")] == ["+8613700137000"]


def test_the_consumers_answer_by_link_while_the_officer_offers_mediation(client, auth, engine, settings, world, db):
    import re

    from mediation_svc.complaints.policy import Status

    filed = client.post("/api/v1/contacts", headers=auth(world.officer), json=complaint_payload(world.icbc)).json()
    assert client.post(f"/api/v1/complaints/{filed['id']}/forward", headers=auth(world.officer), json={}).status_code == 200
    replied = client.post(f"/api/v1/complaints/{filed['id']}/reply", headers=auth(world.icbc_staff),
                          json={"outcome": "mediation_requested", "text": "双方分歧较大，建议到中心调解。"})
    assert replied.status_code == 200, replied.text
    token = re.search(r"/c/([A-Za-z0-9_-]+)", outbox(db, "complaint_answered")[0].body).group(1)

    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:  # the officer's offer, not yet committed
            contact = session.exec(select(Contact).where(Contact.id == filed["id"]).with_for_update()).one()
            service.offer_mediation(session, contact=contact, actor=session.get(type(world.officer), world.officer.id))
            session.flush()
            tap = pool.submit(client.post, f"/api/v1/consumer-answers/{token}", json={"accept": True})
            wait_for_a_lock_wait(engine)
        response = tap.result(timeout=120)
    assert response.status_code == 410 and response.json()["type"].endswith("link-expired"), response.text
    with Session(engine) as session:
        assert session.get(Contact, filed["id"]).status == Status.MEDIATION_OFFERED.value
