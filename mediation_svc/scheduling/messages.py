"""Texts of session notices: e-mail subject and body, and the short SMS; Chinese (zh-CN) by default, English
(en) for participants who read English. Times are always Beijing time (Asia/Shanghai)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..timeutil import SHANGHAI

WEEKDAYS = "一二三四五六日"
MODES = {"onsite": "现场调解", "remote": "视频调解", "hybrid": "现场调解（可视频参加）"}
MODES_EN = {"onsite": "in person", "remote": "by video", "hybrid": "in person (video participation possible)"}
LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class SessionFacts:
    center_name: str
    case_number: str
    mode: str
    starts_at: datetime
    ends_at: datetime
    place: str | None = None
    meeting_url: str | None = None
    agenda: str | None = None
    center_name_en: str | None = None
    case_open: bool = True  # False once the case has ended: a cancellation then promises no next session


def language_of(value: str | None) -> str:
    """``en`` for a language tag that starts with "en" (any case), else ``zh-CN``."""
    return "en" if value and value.lower().startswith("en") else "zh-CN"


def when(start: datetime, end: datetime) -> str:
    """``2026年12月1日（星期二）09:30–10:30``, in Beijing time."""
    s, e = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    return f"{s.year}年{s.month}月{s.day}日（星期{WEEKDAYS[s.weekday()]}）{s:%H:%M}–{e:%H:%M}"


def when_en(start: datetime, end: datetime) -> str:
    """``Tuesday 1 December 2026, 09:30–10:30``, in Beijing time."""
    s, e = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    return f"{s:%A} {s.day} {s:%B %Y}, {s:%H:%M}–{e:%H:%M}"


# The lines of a notice's details, per language: time and mode, then place, link and agenda when there are any.
DETAIL_LINES = {"zh-CN": ("时间：{}（北京时间）", "方式：{}", "地点：{}", "视频会议链接：{}", "议程：{}"),
                "en": ("Time: {} (Beijing time, UTC+8)", "Mode: {}", "Place: {}", "Video meeting link: {}", "Agenda: {}")}


def _details(f: SessionFacts, language: str = "zh-CN") -> str:
    english = language == "en"
    time_line, mode_line, *optional = DETAIL_LINES[language]
    lines = [time_line.format((when_en if english else when)(f.starts_at, f.ends_at)),
             mode_line.format((MODES_EN if english else MODES).get(f.mode, f.mode))]
    lines += [line.format(value) for line, value in zip(optional, (f.place, f.meeting_url, f.agenda), strict=True)
              if value]
    return "\n".join(lines)


def _letter(name: str, opening: str, f: SessionFacts, closing: str) -> str:
    return f"{name}：\n\n您好！{opening}\n\n{_details(f)}\n\n{closing}\n\n{f.center_name}\n"


def _letter_en(name: str, opening: str, f: SessionFacts, closing: str) -> str:
    return f"Dear {name},\n\n{opening}\n\n{_details(f, 'en')}\n\n{closing}\n\n{f.center_name_en or f.center_name}\n"


def _en_sms(f: SessionFacts, text: str) -> str:
    return f"[{f.center_name_en or f.center_name}] {text}"


def scheduled(name: str, f: SessionFacts, language: str = "zh-CN") -> tuple[str, str, str]:
    """(subject, e-mail body, SMS) of the notice of a new session, in ``language`` (zh-CN unless "en"); the
    SMS names the link, else the place."""
    if language == "en":
        return (f"Mediation session notice ({f.case_number})",
                _letter_en(name, f"A mediation session in case {f.case_number} has been arranged as follows. "
                                 "Please attend on time.", f,
                           "Please bring your identity document and your evidence. If you need another date, "
                           "contact us as soon as possible. The calendar invitation is attached."),
                _en_sms(f, f"Dear {name}, the mediation session in case {f.case_number} is on "
                           f"{when_en(f.starts_at, f.ends_at)} (Beijing time), {MODES_EN.get(f.mode, f.mode)}. "
                           + (f"Link: {f.meeting_url}" if f.meeting_url else (f"Place: {f.place}" if f.place else ""))))
    subject = f"调解会议通知（{f.case_number}）"
    body = _letter(name, f"{f.center_name}定于以下时间就{f.case_number}纠纷举行调解会议，请准时参加。", f,
                   "请携带身份证件及相关证据材料。如需改期，请尽快与本中心联系。附件为日历邀请。")
    sms = f"【{f.center_name}】{name}您好，{f.case_number}纠纷调解会议定于{when(f.starts_at, f.ends_at)}，" \
          f"{MODES.get(f.mode, f.mode)}。" + (f"链接：{f.meeting_url}" if f.meeting_url else (f"地点：{f.place}" if f.place else ""))
    return subject, body, sms


def rescheduled(name: str, f: SessionFacts, *, previous_start: datetime, previous_end: datetime,
                reason: str, language: str = "zh-CN") -> tuple[str, str, str]:
    """(subject, e-mail body, SMS) of the notice that the session moved from its previous time, and why."""
    if language == "en":
        return (f"Mediation session moved ({f.case_number})",
                _letter_en(name, f"The mediation session in case {f.case_number} planned for "
                                 f"{when_en(previous_start, previous_end)} has been moved. Reason: {reason}. "
                                 "The new arrangement:", f,
                           "The mediator stays the same. The updated calendar invitation is attached."),
                _en_sms(f, f"Dear {name}, the mediation session in case {f.case_number} has moved to "
                           f"{when_en(f.starts_at, f.ends_at)} (Beijing time). Reason: {reason}."))
    subject = f"调解会议改期通知（{f.case_number}）"
    body = _letter(name, f"原定于{when(previous_start, previous_end)}举行的{f.case_number}纠纷调解会议改期，"
                         f"改期原因：{reason}。新的安排如下：", f, "调解员不变。附件为更新后的日历邀请。")
    sms = f"【{f.center_name}】{name}您好，{f.case_number}纠纷调解会议改至{when(f.starts_at, f.ends_at)}，" \
          f"原因：{reason}。"
    return subject, body, sms


# Why the service itself cancels a case's sessions (``cases.moves``: the case ended, by hand without a reason
# or by the signed agreement), in Chinese as stored and shown to staff, and in English for an English reader.
CASE_ENDED = "案件已结束"
AGREEMENT_SIGNED = "调解协议已由各方签署"
_REASONS_EN = {CASE_ENDED: "the case has ended", AGREEMENT_SIGNED: "the mediation agreement has been signed by all parties"}


def cancelled(name: str, f: SessionFacts, *, reason: str, language: str = "zh-CN") -> tuple[str, str, str]:
    """(subject, e-mail body, SMS) of the notice that the session is cancelled, with the reason (the service's
    own reasons in the reader's language); once the case has ended it says no session will follow."""
    if language == "en":
        reason = _REASONS_EN.get(reason, reason)
        closing = "We will tell you about the next steps." if f.case_open else \
            "No further mediation session will be held in this case."
        return (f"Mediation session cancelled ({f.case_number})",
                _letter_en(name, f"The mediation session in case {f.case_number} planned as below has been "
                                 f"cancelled. Reason: {reason}.", f, closing),
                _en_sms(f, f"Dear {name}, the mediation session in case {f.case_number} on "
                           f"{when_en(f.starts_at, f.ends_at)} (Beijing time) is cancelled. Reason: {reason}."))
    subject = f"调解会议取消通知（{f.case_number}）"
    body = _letter(name, f"原定于以下时间举行的{f.case_number}纠纷调解会议已取消，取消原因：{reason}。", f,
                   "后续安排将另行通知。" if f.case_open else "本案不再安排调解会议。")
    sms = f"【{f.center_name}】{name}您好，原定于{when(f.starts_at, f.ends_at)}的{f.case_number}纠纷调解会议" \
          f"已取消，原因：{reason}。" + ("" if f.case_open else "本案不再安排调解会议。")
    return subject, body, sms


def reminder(name: str, f: SessionFacts, *, hours_before: int, language: str = "zh-CN") -> tuple[str, str, str]:
    """(subject, e-mail body, SMS) of the reminder ``hours_before`` the start: "tomorrow" (明天) from 24 hours
    on, else "in N hours"; the SMS carries the link, never the place."""
    local = f.starts_at.astimezone(SHANGHAI)
    if language == "en":
        lead = "tomorrow" if hours_before >= 24 else f"in {hours_before} hour{'s' if hours_before != 1 else ''}"
        return (f"Reminder: mediation session ({f.case_number})",
                _letter_en(name, f"The mediation session in case {f.case_number} starts {lead}.", f,
                           "Please be on time."),
                _en_sms(f, f"Reminder: the mediation session in case {f.case_number} starts {lead} "
                           f"({local:%d %b %H:%M}, Beijing time). " + (f"Link: {f.meeting_url}" if f.meeting_url else "")))
    lead = "明天" if hours_before >= 24 else f"{hours_before}小时后"
    subject = f"调解会议提醒（{f.case_number}）"
    body = _letter(name, f"您参加的{f.case_number}纠纷调解会议将于{lead}开始。", f, "请准时参加。")
    sms = f"【{f.center_name}】提醒：{f.case_number}纠纷调解会议将于{lead}" \
          f"（{local.month}月{local.day}日 {local:%H:%M}）开始。" + \
          (f"链接：{f.meeting_url}" if f.meeting_url else "")
    return subject, body, sms
