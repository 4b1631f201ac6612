"""Page texts of the complaints, institutions and working-day calendar pages (merged into ``i18n``)."""

from __future__ import annotations

ZH: dict[str, str] = {
    "nav.calendar": "工作日历", "nav.complaints": "投诉转办", "nav.inbox": "投诉待办",
    "role.institution": "机构投诉专员",
    "cal.title": "工作日历（法定节假日与调休）", "cal.year": "年份", "cal.status": "状态", "cal.source": "来源",
    "cal.days": "特殊日期数", "cal.official": "正式", "cal.provisional": "暂定（按规则推算）",
    "cal.source.chinesecalendar": "节假日数据库", "cal.source.rule": "法定节假日规则",
    "cal.source.state_council": "国务院通知（人工录入）",
    "cal.holidays": "放假日期（每行一段，如「2027-02-05 至 2027-02-11 春节」，含周末）",
    "cal.workdays": "调休上班日期（每行一天，如「2027-02-20 春节调休上班」）", "cal.note": "通知文号",
    "cal.save": "保存为正式安排", "cal.provisional_note": "{year}年的安排尚未公布：以下按法定节假日规则推算，"
    "周末不调休。国务院公布后请在此录入。", "cal.official_note": "{year}年为正式安排。",
    "cal.edit": "录入{year}年国务院节假日安排", "cal.choose": "查看年份",
    "cal.provisional_due": "暂定期限", "cal.provisional_due_title": "{year}年节假日安排尚未公布，期限按规则推算，公布后可能调整",
    "ok.calendar_saved": "已保存{year}年的正式安排，{n} 个期限已重新计算。",
}

EN: dict[str, str] = {
    "nav.calendar": "Calendar", "nav.complaints": "Complaints", "nav.inbox": "Complaints inbox",
    "role.institution": "Institution complaint staff",
    "cal.title": "Working-day calendar (holidays and adjusted days)", "cal.year": "Year", "cal.status": "Status",
    "cal.source": "Source", "cal.days": "Special days", "cal.official": "official",
    "cal.provisional": "provisional (computed by rule)", "cal.source.chinesecalendar": "holiday database",
    "cal.source.rule": "statutory rule", "cal.source.state_council": "State Council notice (entered)",
    "cal.holidays": "Days off (one period a line, e.g. '2027-02-05 至 2027-02-11 春节', weekends included)",
    "cal.workdays": "Adjusted working days (one a line, e.g. '2027-02-20 春节调休上班')", "cal.note": "Notice number",
    "cal.save": "Save as the official arrangement",
    "cal.provisional_note": "{year}'s arrangement is not published yet: below are the statutory holidays by rule, "
    "with no weekend moved. Enter the State Council's arrangement here once published.",
    "cal.official_note": "{year} is the official arrangement.", "cal.edit": "Enter the State Council's arrangement for {year}",
    "cal.choose": "Show year", "cal.provisional_due": "provisional due date",
    "cal.provisional_due_title": "{year}'s holidays are not published yet; this due date is computed by rule and may change",
    "ok.calendar_saved": "{year}'s official arrangement saved; {n} due dates recomputed.",
}
