"""The words of a cancellation: the service's own reasons in the reader's language, and no promise of a next
session once the case has ended (scheduling.messages.cancelled, on plain values)."""

from __future__ import annotations

from datetime import datetime, timezone

from mediation_svc.scheduling import messages

FACTS = messages.SessionFacts(center_name="广东某金融纠纷调解中心", case_number="粤金调〔2026〕第0001号", mode="remote",
                              starts_at=datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc),
                              ends_at=datetime(2026, 12, 8, 3, 0, tzinfo=timezone.utc),
                              center_name_en="Guangdong Financial Dispute Mediation Center")
ENDED = messages.SessionFacts(**{**FACTS.__dict__, "case_open": False})


def test_an_officer_cancelling_one_session_promises_the_next_steps():
    _, body, sms = messages.cancelled("陈秀兰", FACTS, reason="调解员临时有事")
    assert "取消原因：调解员临时有事。" in body and "后续安排将另行通知。" in body
    assert sms.endswith("已取消，原因：调解员临时有事。")


def test_a_signed_agreement_is_said_in_chinese_and_no_session_is_promised():
    _, body, sms = messages.cancelled("陈秀兰", ENDED, reason=messages.AGREEMENT_SIGNED)
    assert "取消原因：调解协议已由各方签署。" in body and "本案不再安排调解会议。" in body
    assert "后续安排" not in body and sms.endswith("原因：调解协议已由各方签署。本案不再安排调解会议。")


def test_an_english_reader_reads_the_reason_in_english():
    subject, body, sms = messages.cancelled("Li Ming", ENDED, reason=messages.AGREEMENT_SIGNED, language="en")
    assert "Reason: the mediation agreement has been signed by all parties." in body
    assert "No further mediation session will be held in this case." in body and "调解" not in body
    assert sms.endswith("Reason: the mediation agreement has been signed by all parties.")
    _, body, _ = messages.cancelled("Li Ming", ENDED, reason=messages.CASE_ENDED, language="en")
    assert "Reason: the case has ended." in body
