"""Complaint policy on plain values: transitions, time limits and extensions, urgency, surrender-risk signals."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mediation_svc.complaints import policy, risk
from mediation_svc.complaints.policy import Limits, Status
from mediation_svc.workdays import WorkdayCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkdayCalendar()


def test_state_table():
    assert policy.can_move(Status.RECEIVED, Status.FORWARDED)
    assert not policy.can_move(Status.RECEIVED, Status.ANSWERED)
    assert not policy.can_move(Status.ACCEPTED, Status.MEDIATION_OFFERED)
    assert policy.allowed(Status.WITHDRAWN) == []


def test_limits_15_then_30_then_at_most_30_more():
    limits = Limits()
    assert policy.limit_after(limits, current_days=15, kind="complex", days=None) == 30
    assert policy.limit_after(limits, current_days=30, kind="approved", days=10) == 40
    assert policy.limit_after(limits, current_days=15, kind="approved", days=None) == 60
    for current, kind, days in ((30, "complex", None), (30, "approved", 31), (40, "approved", 5)):
        with pytest.raises(ValueError):
            policy.limit_after(limits, current_days=current, kind=kind, days=days)


def test_deadline_rolls_past_national_day_2026_and_states():
    # 15 days after 16 Sep 2026 is 1 Oct (国庆, off to 7 Oct): the limit ends Thu 8 Oct.
    assert policy.deadline(CAL, date(2026, 9, 16), 15) == date(2026, 10, 8)
    assert policy.deadline_state(CAL, today=date(2026, 10, 9), deadline_on=date(2026, 10, 8)) == "overdue"
    assert policy.deadline_state(CAL, today=date(2026, 10, 6), deadline_on=date(2026, 10, 8)) == "soon"
    assert policy.deadline_state(CAL, today=date(2026, 9, 16), deadline_on=date(2026, 10, 8)) == "ok"


def test_urgent_complaint_on_a_day_off_is_due_at_close_of_the_next_working_day():
    saturday = datetime(2026, 12, 5, 11, 0, tzinfo=SH)
    assert policy.urgent_due(CAL, saturday) == datetime(2026, 12, 7, 17, 30, tzinfo=SH)
    assert policy.minutes_left(datetime(2026, 12, 7, 17, 30, tzinfo=SH), datetime(2026, 12, 7, 17, 0, tzinfo=SH)) == 30


def _filing(i, consumer, days_ago=0, **fields):
    return risk.Filing(i, consumer, datetime(2026, 11, 30, tzinfo=SH) - timedelta(days=days_ago), **fields)


def test_surrender_signals_flag_both_sides_and_never_the_same_consumer():
    others = [_filing(1, "王秀兰", 3, contact_phone="+8613912345678", account="6222 0202 0011"),
              _filing(2, "陈国平", 40, address="广州市白云区某某大厦1208室"),
              _filing(3, "李建华", 1, contact_phone="+8613912345678")]
    new = _filing(None, "李建华", 0, contact_phone="+8613912345678", consumer_phone="+8613800000000",
                  account="622202020011", address="广州市白云区 某某大厦1208室", representative="刘某")
    found = risk.signals(new, others)
    assert {"shared_phone", "shared_account", "shared_address", "third_party_representative",
            "bulk_filing"} <= found[None]
    assert found[1] == {"shared_phone", "shared_account", "bulk_filing"} and found[2] == {"shared_address"}
    assert "shared_phone" not in found.get(3, set())  # the same consumer filing again is not a third party


def test_scripted_wording_is_near_identical_text_not_a_shared_topic():
    script = "本人于购买该保险时，业务员存在夸大收益、隐瞒退保损失等销售误导行为，要求全额退还已交保费。"
    assert risk.similarity(script, script.replace("本人", "我")) > 0.6
    assert risk.similarity(script, "申请退保时现金价值远低于已交保费，销售时被告知可随时全额退还。") < 0.3
    found = risk.signals(_filing(None, "甲", facts=script), [_filing(7, "乙", 2, facts=script)])
    assert found[None] == {"scripted_text"} and found[7] == {"scripted_text"}
    assert risk.signals(_filing(None, "甲", facts="理赔被拒"), [_filing(7, "乙", 2, facts="理赔被拒")]) == {}


def test_only_surrender_complaints_are_checked():
    assert risk.is_surrender("surrender", None, None) and risk.is_surrender("insurance_claim", "要求退保", None)
    assert not risk.is_surrender("bank_card", "信用卡违约金", "减免")
