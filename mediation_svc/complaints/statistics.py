"""Complaint statistics and the monthly report for the regulator and the institutions (XLSX with openpyxl, CSV).

Definitions (each figure is over contacts received in the period, Beijing dates):
- contacts, consultations and complaints by channel; mediation applications are cases received in the period;
- forwarded: complaints forwarded (转办); feedback rate per institution: forwarded complaints the institution has
  reported back on (办结反馈) / forwarded;
- time to close: working days from the forwarding date to the answer's date, as ``WorkdayCalendar.workdays_between``
  counts them (average, and a distribution);
- settled: the amounts of answers with outcome "settled"; overdue answers: forwarded complaints answered after
  their deadline, or still unanswered past it; steered into mediation: complaints that became cases, with the
  cases' present status; surrender-risk signals: flagged complaints per signal and month.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..cases.models import Case, Institution
from ..cases.service import workday_calendar
from ..security.spreadsheet import SafeWriter, keep_as_text
from ..timeutil import SHANGHAI, today_in_shanghai
from .models import Contact
from .policy import CHANNEL_ZH
from .risk import SIGNAL_ZH, SIGNALS

BUCKETS = ((0, 2, "0-2"), (3, 5, "3-5"), (6, 10, "6-10"), (11, 15, "11-15"), (16, 10_000, "16+"))


@dataclass
class InstitutionRow:
    institution_id: int
    name: str
    complaints: int = 0
    forwarded: int = 0
    answered: int = 0
    overdue: int = 0
    settled_count: int = 0
    settled_amount: Decimal = Decimal("0.00")
    close_days: list[int] = field(default_factory=list)

    @property
    def feedback_rate(self) -> float:
        return round(self.answered / self.forwarded, 4) if self.forwarded else 0.0

    @property
    def average_days(self) -> float:
        return round(sum(self.close_days) / len(self.close_days), 1) if self.close_days else 0.0


@dataclass
class Report:
    start: date
    end: date
    by_channel: dict[str, dict[str, int]]
    mediation_applications: int
    institutions: list[InstitutionRow]
    distribution: dict[str, int]
    steered: int
    steered_outcomes: dict[str, int]
    risk_by_month: dict[str, dict[str, int]]

    @property
    def totals(self) -> dict:
        rows = self.institutions
        forwarded = sum(r.forwarded for r in rows)
        answered = sum(r.answered for r in rows)
        days = [d for r in rows for d in r.close_days]
        return {"contacts": sum(sum(v.values()) for v in self.by_channel.values()),
                "consultations": sum(v.get("consultation", 0) for v in self.by_channel.values()),
                "complaints": sum(v.get("complaint", 0) for v in self.by_channel.values()),
                "mediation_applications": self.mediation_applications, "forwarded": forwarded, "answered": answered,
                "feedback_rate": round(answered / forwarded, 4) if forwarded else 0.0,
                "average_days": round(sum(days) / len(days), 1) if days else 0.0,
                "settled_amount": sum((r.settled_amount for r in rows), Decimal("0.00")),
                "overdue": sum(r.overdue for r in rows), "steered_into_mediation": self.steered}


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time(0), SHANGHAI), datetime.combine(end + timedelta(days=1), time(0), SHANGHAI))


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' -> (1 Nov, 30 Nov)."""
    year, number = (int(part) for part in month.split("-"))
    start = date(year, number, 1)
    following = date(year + (number == 12), number % 12 + 1, 1)
    return start, following - timedelta(days=1)


def build(session: Session, *, start: date, end: date) -> Report:
    """The report over contacts received from ``start`` to ``end`` (Beijing dates, inclusive), as the module
    docstring defines it; an unanswered complaint counts as overdue (against today, Beijing) only while its
    status is "forwarded"."""
    low, high = _utc_bounds(start, end)
    in_period = sa.and_(col(Contact.received_at) >= low, col(Contact.received_at) < high)
    by_channel: dict[str, dict[str, int]] = defaultdict(dict)
    for channel, kind, count in session.exec(select(col(Contact.channel), col(Contact.kind), sa.func.count())
                                             .where(in_period).group_by(col(Contact.channel), col(Contact.kind))).all():
        by_channel[channel][kind] = count
    applications = session.exec(select(sa.func.count()).select_from(Case).where(
        col(Case.received_on) >= start, col(Case.received_on) <= end)).one()
    names = dict(session.exec(select(Institution.id, Institution.name)).all())
    rows: dict[int, InstitutionRow] = {}
    calendar = workday_calendar(session)
    today = today_in_shanghai()
    columns = (col(Contact.institution_id), col(Contact.status), col(Contact.forwarded_on), col(Contact.deadline_on),
               col(Contact.answered_at), col(Contact.outcome), col(Contact.settled_amount))
    distribution = Counter({label: 0 for *_, label in BUCKETS})
    # One pass over the period's complaints, reading only the columns the figures need (seven columns:
    # sqlmodel's select() is typed for at most four, SQLAlchemy's for more; the statement is the same).
    for iid, status, forwarded_on, deadline_on, answered_at, outcome, settled in session.execute(
            sa.select(*columns).where(in_period, col(Contact.kind) == "complaint")).all():
        row = rows.setdefault(iid, InstitutionRow(iid, names.get(iid, str(iid))))
        row.complaints += 1
        if forwarded_on is None:
            continue
        row.forwarded += 1
        answered_on = answered_at.astimezone(SHANGHAI).date() if answered_at else None
        if answered_on is not None:
            row.answered += 1
            days = calendar.workdays_between(forwarded_on, answered_on)
            row.close_days.append(days)
            distribution[next(label for lo, hi, label in BUCKETS if lo <= days <= hi)] += 1
        if deadline_on and ((answered_on or today) > deadline_on) and (answered_on or status == "forwarded"):
            row.overdue += 1
        if outcome == "settled":
            row.settled_count += 1
            row.settled_amount += settled or Decimal("0.00")
    steered = session.exec(select(col(Case.status), sa.func.count()).join(Contact, col(Contact.case_id) == col(Case.id))
                           .where(in_period).group_by(col(Case.status))).all()
    risk: dict[str, dict[str, int]] = defaultdict(lambda: {s: 0 for s in SIGNALS})
    for received_at, flags in session.exec(select(col(Contact.received_at), col(Contact.risk_flags))
                                           .where(in_period, col(Contact.risk_flags).is_not(None))).all():
        month = received_at.astimezone(SHANGHAI).strftime("%Y-%m")
        for flag in (flags or "").split(","):  # never None here (the query's condition)
            if flag in SIGNALS:
                risk[month][flag] += 1
    return Report(start, end, dict(by_channel), applications, sorted(rows.values(), key=lambda r: r.institution_id),
                  dict(distribution), sum(n for _, n in steered), {str(s): n for s, n in steered},
                  {m: risk[m] for m in sorted(risk)})


# --- the monthly report files ---------------------------------------------------------------------------------

def institution_table(report: Report) -> list[list]:
    """The 按机构 sheet: header, then one row per institution with complaints (rate as a percentage, amounts
    to the fen)."""
    header = ["机构", "投诉数", "转办数", "办结反馈数", "反馈率", "平均办结工作日", "超期答复数", "和解件数", "和解金额（元）"]
    body = [[r.name, r.complaints, r.forwarded, r.answered, f"{r.feedback_rate:.1%}", r.average_days, r.overdue,
             r.settled_count, f"{r.settled_amount:.2f}"] for r in report.institutions]
    return [header, *body]


def summary_table(report: Report) -> list[list]:
    """The 概览 sheet: indicator and value rows from ``Report.totals``, the period first."""
    t = report.totals
    return [["指标", "数值"], ["统计期间", f"{report.start.isoformat()} 至 {report.end.isoformat()}"],
            ["来电来访来信（全部登记）", t["contacts"]], ["咨询", t["consultations"]], ["投诉", t["complaints"]],
            ["调解申请（受理案件）", t["mediation_applications"]], ["转办投诉", t["forwarded"]],
            ["机构办结反馈", t["answered"]], ["反馈率", f"{t['feedback_rate']:.1%}"],
            ["平均办结时长（工作日）", t["average_days"]], ["和解金额（元）", f"{t['settled_amount']:.2f}"],
            ["超期答复", t["overdue"]], ["引导进入调解", t["steered_into_mediation"]]]


def channel_table(report: Report) -> list[list]:
    """The 渠道 sheet: consultations, complaints and all contacts per channel of CHANNEL_ZH (zeros too)."""
    rows: list[list[str | int]] = [["渠道", "咨询", "投诉", "合计"]]
    for channel in CHANNEL_ZH:
        counts = report.by_channel.get(channel, {})
        rows.append([CHANNEL_ZH[channel], counts.get("consultation", 0), counts.get("complaint", 0), sum(counts.values())])
    return rows


def distribution_table(report: Report) -> list[list]:
    """The 办结时长分布 sheet: answered complaints per bucket of working days (BUCKETS)."""
    return [["办结时长（工作日）", "件数"], *([label, report.distribution.get(label, 0)] for *_, label in BUCKETS)]


def risk_table(report: Report) -> list[list]:
    """The 退保风险提示 sheet: flagged contacts per month (Beijing) and surrender-risk signal."""
    return [["月份", *(SIGNAL_ZH[s] for s in SIGNALS)], *([m, *(v[s] for s in SIGNALS)] for m, v in report.risk_by_month.items())]


SHEETS = (("概览", summary_table), ("按机构", institution_table), ("渠道", channel_table),
          ("办结时长分布", distribution_table), ("退保风险提示", risk_table))


def to_csv(report: Report) -> bytes:
    """Every table one after another, each under its title; UTF-8 with BOM so that Excel reads the Chinese."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)  # an institution named "=HYPERLINK(...)" stays text
    for title, table in SHEETS:
        writer.writerow([f"【{title}】"])
        writer.writerows(table(report))
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: Report, *, center_name: str) -> bytes:
    """The report as an XLSX workbook: a sheet per SHEETS table under a title naming ``center_name`` and the
    period, with bar charts of forwarded and answered per institution and of the distribution."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.chart import BarChart, Reference  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    book = Workbook()
    book.remove(book.active)
    for title, table in SHEETS:
        sheet = book.create_sheet(title)
        sheet.append([f"{center_name} 投诉处理月报（{report.start.isoformat()} 至 {report.end.isoformat()}）"])
        sheet["A1"].font = Font(bold=True, size=13)
        for row in table(report):
            sheet.append(row)
        for cells in sheet.iter_rows():
            keep_as_text(cells)  # names come from the database: never a formula
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 36
        for letter in "BCDEFGHI":
            sheet.column_dimensions[letter].width = 14
    by_institution = book["按机构"]
    if len(report.institutions):
        chart = BarChart()
        chart.title = "各机构转办与办结反馈"
        chart.y_axis.title = "件数"
        data = Reference(by_institution, min_col=3, max_col=4, min_row=2, max_row=2 + len(report.institutions))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(by_institution, min_col=1, min_row=3, max_row=2 + len(report.institutions)))
        chart.width, chart.height = 22, 10
        by_institution.add_chart(chart, "A" + str(5 + len(report.institutions)))
    spread = book["办结时长分布"]
    chart = BarChart()
    chart.title = "办结时长分布（工作日）"
    chart.add_data(Reference(spread, min_col=2, min_row=2, max_row=2 + len(BUCKETS)), titles_from_data=True)
    chart.set_categories(Reference(spread, min_col=1, min_row=3, max_row=2 + len(BUCKETS)))
    spread.add_chart(chart, "D3")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MONTH_PATTERN = r"20\d\d-(0[1-9]|1[0-2])"


def report_file(session: Session, *, month: str, fmt: str, center_name: str):
    """The monthly report as a download response (XLSX or CSV), for the API and the page alike."""
    import re  # noqa: PLC0415

    from fastapi.responses import Response  # noqa: PLC0415

    from ..errors import InvalidInput  # noqa: PLC0415

    if fmt not in ("xlsx", "csv") or not re.fullmatch(MONTH_PATTERN, month):
        raise InvalidInput("月份格式为 YYYY-MM，文件为 xlsx 或 csv (month is YYYY-MM, format xlsx or csv)",
                           errors=[{"loc": ["month"], "msg": "YYYY-MM"}])
    start, end = month_bounds(month)
    report = build(session, start=start, end=end)
    if fmt == "csv":
        body, media = to_csv(report), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(report, center_name=center_name)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="complaints-{month}.{fmt}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
