"""Statistics for the center (中心统计): cases by category, status and month; time to close in working days;
settled amounts; load per mediator. Each figure is a ``Figure`` (a small table with localised labels) that
the routes serve as JSON, as CSV and as a server-generated SVG chart.

Importable for the web pages (all keyword-only after the session; ``lang`` is "zh" or "en"):

- ``default_period(today=None) -> (date, date)``: the twelve calendar months up to today (Shanghai).
- ``check_period(start, end) -> None``: raises ``InvalidInput`` for a reversed or over-long period.
- ``cases_by_category(session, *, start, end, lang="zh") -> Figure``
- ``cases_by_status(session, *, start, end, lang="zh") -> Figure``
- ``cases_by_month(session, *, start, end, lang="zh") -> Figure``
- ``time_to_close(session, *, start, end, lang="zh") -> Figure``
- ``settled_amounts(session, *, start, end, lang="zh") -> Figure``
- ``mediator_load(session, *, start, end, lang="zh") -> Figure``
- ``figure(session, name, *, start, end, lang="zh") -> Figure``: one of ``FIGURES`` by name, or ``NotFound``.
- ``overview(session, *, start, end, lang="zh") -> StatisticsRead``: every figure, JSON-ready.
- ``figure_csv(fig) -> str`` and ``figure_svg(fig) -> str``: the figure as CSV text and as an SVG document.

Definitions (the period is [start, end] in Shanghai dates):
- cases by category, status, settled amounts: the cases *received* in the period (``received_on``); the
  status is the case's status now.
- by month: cases received per month, and cases closed per month (``closed_at`` in Shanghai time).
- time to close: the cases *closed* in the period; the average of the working days from ``received_on``
  to the closing date (Shanghai) as ``workdays.WorkdayCalendar.workdays_between`` counts them (statutory
  holidays and 调休 included, the center's calendar overrides too).
- settled: a case with a recorded settled amount (``cases.settled_amount``); amounts are Decimal yuan.
- load per mediator: open cases now (states that still run against a due date), and cases received in
  the period and closed in the period per mediator, next to the roster's maximum where there is one.

Counting is done with SQL aggregates (GROUP BY, COUNT, SUM) that run alike on SQLite and PostgreSQL; the
Shanghai date of a timestamp is the one dialect-specific expression (``shanghai_day``). No query reads one
row per case: time to close is the difference of two sums over a running count of working days (the working
days from r to c are W(c) - W(r), so their total over the cases is the sum of W over closing dates minus the
sum of W over receiving dates, each a GROUP BY over dates).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..cases.models import Case, CaseCategory
from ..cases.service import workday_calendar
from ..cases.states import OPEN_STATES, CaseStatus
from ..errors import InvalidInput, NotFound
from ..security.roles import Role
from ..security.spreadsheet import SafeWriter
from ..timeutil import SHANGHAI, today_in_shanghai
from . import charts
from .schemas import StatisticsRead

MAX_PERIOD_DAYS = 366 * 5
CHART_MEDIATORS = 40  # the load chart shows the 40 busiest mediators
FEN = Decimal("0.01")

STATUS_LABELS = {
    "zh": {"received": "已接收", "accepted": "已受理", "rejected": "不予受理", "mediator_assigned": "已指派调解员",
           "in_mediation": "调解中", "agreement_drafted": "协议起草中", "signing": "签署中", "signed": "已签署",
           "confirmation_requested": "司法确认申请中", "confirmed": "已司法确认", "not_confirmed": "未获司法确认",
           "mediation_failed": "调解不成", "withdrawn": "已撤回", "closed": "已结案"},
    "en": {"received": "Received", "accepted": "Accepted", "rejected": "Rejected",
           "mediator_assigned": "Mediator assigned", "in_mediation": "In mediation",
           "agreement_drafted": "Agreement drafted", "signing": "Signing", "signed": "Signed",
           "confirmation_requested": "Confirmation requested", "confirmed": "Confirmed by court",
           "not_confirmed": "Not confirmed", "mediation_failed": "Mediation failed", "withdrawn": "Withdrawn",
           "closed": "Closed"},
}

# Column and title wording, per language.
WORDS = {
    "zh": {"category": "案件类别", "status": "状态", "month": "月份", "cases": "案件数", "received": "受理",
           "open": "办理中", "closed": "结案", "settled": "达成协议", "claim_total": "争议金额合计（元）",
           "settled_total": "协议金额合计（元）", "settled_average": "平均协议金额（元）",
           "average_workdays": "平均结案用时（工作日）",
           "mediator": "调解员", "max_active": "在办上限", "all": "全部",
           "t.by_category": "按类别统计的案件", "t.by_status": "按状态统计的案件", "t.by_month": "按月受理与结案",
           "t.time_to_close": "平均结案用时（工作日）", "t.settled_amounts": "协议金额（元）",
           "t.mediator_load": "调解员工作量", "unit.cases": "件", "unit.days": "工作日", "unit.yuan": "元",
           "empty": "本期间无数据"},
    "en": {"category": "Category", "status": "Status", "month": "Month", "cases": "Cases", "received": "Received",
           "open": "Open", "closed": "Closed", "settled": "Settled", "claim_total": "Amount claimed (CNY)",
           "settled_total": "Amount settled (CNY)", "settled_average": "Average settlement (CNY)",
           "average_workdays": "Average time to close (working days)",
           "mediator": "Mediator",
           "max_active": "Maximum active", "all": "All",
           "t.by_category": "Cases by category", "t.by_status": "Cases by status",
           "t.by_month": "Cases received and closed per month", "t.time_to_close": "Time to close (working days)",
           "t.settled_amounts": "Settled amounts (CNY)", "t.mediator_load": "Load per mediator",
           "unit.cases": "cases", "unit.days": "working days", "unit.yuan": "CNY", "empty": "No data in this period"},
}


@dataclass
class Figure:
    """A table: ``columns`` are (key, label) pairs, ``rows`` dicts by key. ``chart`` says how to draw it:
    the column that labels the bars, the value columns drawn as series, vertical or horizontal, and unit."""

    name: str
    title: str
    period: tuple[date, date]
    lang: str
    columns: list[tuple[str, str]]
    rows: list[dict]
    chart_label: str
    chart_series: list[str]
    unit: str = ""
    horizontal: bool = False
    notes: dict = field(default_factory=dict)
    chart_rows: int | None = None  # the chart shows the first rows only; the CSV and JSON have all

    def as_json(self) -> dict:
        return {"name": self.name, "title": self.title, "period": {"start": self.period[0], "end": self.period[1]},
                "columns": [{"key": k, "label": label} for k, label in self.columns],
                "rows": [{k: _json_value(r.get(k)) for k, _ in self.columns} for r in self.rows], **self.notes}


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value.quantize(FEN))
    return value


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


# --- the period -----------------------------------------------------------------------------------------

def default_period(today: date | None = None) -> tuple[date, date]:
    """The first of the month eleven months back, to ``today`` (Shanghai date by default): twelve calendar
    months, the last one partial."""
    today = today or today_in_shanghai()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today


def check_period(start: date, end: date) -> None:
    """InvalidInput (422) when ``end`` is before ``start`` or more than MAX_PERIOD_DAYS (366 × 5) after it."""
    if end < start:
        raise InvalidInput("the period ends before it starts", errors=[{"loc": ["end"], "msg": "before start"}])
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput("the period is longer than five years",
                           errors=[{"loc": ["start"], "msg": "at most five years"}])


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Shanghai time, as UTC."""
    lo = datetime.combine(start, time(0), SHANGHAI).astimezone(timezone.utc)
    hi = datetime.combine(end + timedelta(days=1), time(0), SHANGHAI).astimezone(timezone.utc)
    return lo, hi


def _received_in(start: date, end: date):
    return (col(Case.received_on) >= start) & (col(Case.received_on) <= end)


def _months(start: date, end: date) -> list[str]:
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _month_label(month: str, lang: str) -> str:
    y, m = month.split("-")
    return f"{y}年{int(m)}月" if lang == "zh" else month


def _category_names(session: Session, lang: str) -> dict[str, str]:
    rows = session.exec(select(CaseCategory.code, CaseCategory.name_zh, CaseCategory.name_en)).all()
    return {code: (zh if lang == "zh" else en) for code, zh, en in rows}


_OPEN = [s.value for s in OPEN_STATES]
_AGREED = [CaseStatus.SIGNED.value, CaseStatus.CONFIRMATION_REQUESTED.value, CaseStatus.CONFIRMED.value,
           CaseStatus.NOT_CONFIRMED.value]


# --- the figures ----------------------------------------------------------------------------------------

def cases_by_category(session: Session, *, start: date, end: date, lang: str = "zh") -> Figure:
    """Cases received in the period per category: received, still open, with a settled amount, and the amount
    claimed (Decimal yuan); most received first."""
    lang, w = _lang(lang), WORDS[_lang(lang)]
    is_open = func.sum(case((col(Case.status).in_(_OPEN), 1), else_=0))
    settled = func.sum(case((col(Case.settled_amount).is_not(None), 1), else_=0))
    # Five columns: sqlmodel's select() is typed for at most four, SQLAlchemy's for more (same statement).
    rows = session.execute(sa.select(col(Case.category_code), func.count(), is_open, settled,
                                     func.sum(col(Case.claim_amount)))
                           .where(_received_in(start, end)).group_by(col(Case.category_code))).all()
    names = _category_names(session, lang)
    table = sorted(({"category_code": code, "category": names.get(code, code), "received": n, "open": int(o or 0),
                     "settled": int(s or 0), "claim_total": _money(total)} for code, n, o, s, total in rows),
                   key=lambda r: (-r["received"], r["category_code"]))
    return Figure("by_category", w["t.by_category"], (start, end), lang,
                  [("category_code", "code"), ("category", w["category"]), ("received", w["received"]),
                   ("open", w["open"]), ("settled", w["settled"]), ("claim_total", w["claim_total"])],
                  table, "category", ["received", "settled"], unit=w["unit.cases"])


def cases_by_status(session: Session, *, start: date, end: date, lang: str = "zh") -> Figure:
    """Cases received in the period by their status now, in CaseStatus order (statuses with none left out)."""
    lang, w = _lang(lang), WORDS[_lang(lang)]
    # The column is a plain string column: the keys are the status values (str() of a CaseStatus is its value).
    counts = {str(status): n for status, n in session.exec(select(col(Case.status), func.count())
                                                           .where(_received_in(start, end))
                                                           .group_by(col(Case.status))).all()}
    labels = STATUS_LABELS[lang]
    table = [{"status_code": s.value, "status": labels[s.value], "cases": counts.get(s.value, 0)}
             for s in CaseStatus if counts.get(s.value)]
    return Figure("by_status", w["t.by_status"], (start, end), lang,
                  [("status_code", "code"), ("status", w["status"]), ("cases", w["cases"])],
                  table, "status", ["cases"], unit=w["unit.cases"])


def shanghai_day(session: Session, column):
    """SQL for the Shanghai calendar date of a UTC timestamp column (no daylight saving: UTC+8 all year)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")  # SQLite keeps naive UTC text


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _closed_in(start: date, end: date):
    lo, hi = _utc_bounds(start, end)
    return col(Case.closed_at).is_not(None) & (col(Case.closed_at) >= lo) & (col(Case.closed_at) < hi)


def cases_by_month(session: Session, *, start: date, end: date, lang: str = "zh") -> Figure:
    """Per month of the period, every month even without cases: cases received (``received_on``) and cases
    closed (``closed_at`` as a Shanghai date)."""
    lang, w = _lang(lang), WORDS[_lang(lang)]
    received: Counter[str] = Counter()
    for received_on, n in session.exec(select(col(Case.received_on), func.count())
                                       .where(_received_in(start, end)).group_by(col(Case.received_on))).all():
        received[f"{received_on.year:04d}-{received_on.month:02d}"] += n
    closed: Counter[str] = Counter()
    day = shanghai_day(session, col(Case.closed_at))
    for value, n in session.exec(select(day, func.count()).where(_closed_in(start, end)).group_by(day)).all():
        closed[_as_date(value).strftime("%Y-%m")] += n
    table = [{"month": m, "month_label": _month_label(m, lang), "received": received[m], "closed": closed[m]}
             for m in _months(start, end)]
    return Figure("by_month", w["t.by_month"], (start, end), lang,
                  [("month", w["month"]), ("received", w["received"]), ("closed", w["closed"])],
                  table, "month_label", ["received", "closed"], unit=w["unit.cases"])


class _WorkdayCounter:
    """A running count of working days over a span of dates (one calendar lookup per day of the span)."""

    def __init__(self, session: Session, first: date, last: date) -> None:
        calendar = workday_calendar(session)
        self.first = first
        self.cumulative = [0]
        day = first
        while day < last:
            day += timedelta(days=1)
            self.cumulative.append(self.cumulative[-1] + calendar.is_workday(day))

    def upto(self, day: date) -> int:
        """Working days after the first day of the span up to and including ``day``: W(day), so that
        ``upto(end) - upto(start)`` is ``WorkdayCalendar.workdays_between(start, end)`` for start <= end."""
        return self.cumulative[(day - self.first).days]


def time_to_close(session: Session, *, start: date, end: date, lang: str = "zh") -> Figure:
    """Cases closed in the period per category and in all: the average working days from ``received_on`` to
    the Shanghai closing date, to one decimal (the overall one also in ``notes``)."""
    lang, w = _lang(lang), WORDS[_lang(lang)]
    closed_day = shanghai_day(session, col(Case.closed_at))
    closing_rows = session.exec(select(col(Case.category_code), closed_day, func.count())
                                .where(_closed_in(start, end)).group_by(col(Case.category_code), closed_day)).all()
    receipt_rows = session.exec(select(col(Case.category_code), col(Case.received_on), func.count())
                                .where(_closed_in(start, end))
                                .group_by(col(Case.category_code), col(Case.received_on))).all()
    closings = [(code, _as_date(day), n) for code, day, n in closing_rows]
    receipts = [(code, _as_date(day), n) for code, day, n in receipt_rows]
    count: Counter[str] = Counter()
    total: Counter[str] = Counter()  # working days summed over the category's cases
    if closings:
        days = [d for _c, d, _n in closings] + [d for _c, d, _n in receipts]
        counter = _WorkdayCounter(session, min(days), max(days))
        for code, day, n in closings:
            count[code] += n
            total[code] += n * counter.upto(day)
        for code, day, n in receipts:
            total[code] -= n * counter.upto(day)
    names = _category_names(session, lang)

    def row(code: str, label: str, cases: int, workdays: int) -> dict:
        return {"category_code": code, "category": label, "closed": cases,
                "average_workdays": round(workdays / cases, 1)}

    table = [row(code, names.get(code, code), n, total[code])
             for code, n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))]
    everyone, all_days = sum(count.values()), sum(total.values())
    if everyone:
        table.append(row("all", w["all"], everyone, all_days))
    return Figure("time_to_close", w["t.time_to_close"], (start, end), lang,
                  [("category_code", "code"), ("category", w["category"]), ("closed", w["closed"]),
                   ("average_workdays", w["average_workdays"])],
                  table, "category", ["average_workdays"], unit=w["unit.days"],
                  notes={"average_workdays": round(all_days / everyone, 1) if everyone else None})


def settled_amounts(session: Session, *, start: date, end: date, lang: str = "zh") -> Figure:
    """Cases received in the period with a settled amount, per category and in all: count, total and average
    (Decimal yuan, to the fen); largest total first."""
    lang, w = _lang(lang), WORDS[_lang(lang)]
    rows = session.exec(select(col(Case.category_code), func.count(), func.sum(col(Case.settled_amount)))
                        .where(_received_in(start, end), col(Case.settled_amount).is_not(None))
                        .group_by(col(Case.category_code))).all()
    names = _category_names(session, lang)
    table: list[dict] = []
    count, grand = 0, Decimal("0.00")
    for code, n, amount in sorted(rows, key=lambda r: (-(r[2] or 0), r[0])):
        total = _money(amount)
        table.append({"category_code": code, "category": names.get(code, code), "settled": n,
                      "settled_total": total, "settled_average": (total / n).quantize(FEN)})
        count += n
        grand += total
    if table:
        table.append({"category_code": "all", "category": w["all"], "settled": count, "settled_total": grand,
                      "settled_average": (grand / count).quantize(FEN)})
    return Figure("settled_amounts", w["t.settled_amounts"], (start, end), lang,
                  [("category_code", "code"), ("category", w["category"]), ("settled", w["settled"]),
                   ("settled_total", w["settled_total"]), ("settled_average", w["settled_average"])],
                  table, "category", ["settled_total"], unit=w["unit.yuan"],
                  notes={"settled_total": str(grand), "settled_cases": count})


def mediator_load(session: Session, *, start: date, end: date, lang: str = "zh") -> Figure:
    """Per mediator account (every active one, and anyone with cases counted here): open cases now, cases
    received and closed in the period, and the roster's maximum, busiest first; the chart shows the first
    CHART_MEDIATORS of them."""
    lang, w = _lang(lang), WORDS[_lang(lang)]
    mediator = col(Case.mediator_user_id)
    open_now = dict(session.exec(select(mediator, func.count())
                                 .where(mediator.is_not(None), col(Case.status).in_(_OPEN))
                                 .group_by(mediator)).all())
    received = dict(session.exec(select(mediator, func.count())
                                 .where(mediator.is_not(None), _received_in(start, end))
                                 .group_by(mediator)).all())
    closed = dict(session.exec(select(mediator, func.count())
                               .where(mediator.is_not(None), _closed_in(start, end))
                               .group_by(mediator)).all())
    worked = set(open_now) | set(received) | set(closed)
    # Every active mediator (an idle one shows as zero), and anyone else who has cases in the figures.
    users = session.exec(select(col(User.id), col(User.display_name), col(User.active))
                         .where((col(User.role) == Role.MEDIATOR) | col(User.id).in_(worked))).all()
    maxima = _roster_maxima(session)
    loads: list[tuple[int, str, int, int, int]] = []
    for uid, name, active in users:
        if uid is None:  # read back from the table: a primary key is never NULL
            raise RuntimeError("a user row without an id")
        if active or uid in worked:
            loads.append((uid, name, open_now.get(uid, 0), received.get(uid, 0), closed.get(uid, 0)))
    loads.sort(key=lambda u: (-u[2], -u[3], u[1], u[0]))
    table = [{"user_id": uid, "mediator": name, "open": n_open, "received": n_received, "closed": n_closed,
              "max_active": maxima.get(uid)} for uid, name, n_open, n_received, n_closed in loads]
    return Figure("mediator_load", w["t.mediator_load"], (start, end), lang,
                  [("user_id", "user_id"), ("mediator", w["mediator"]), ("open", w["open"]),
                   ("received", w["received"]), ("closed", w["closed"]), ("max_active", w["max_active"])],
                  table, "mediator", ["open", "closed"], unit=w["unit.cases"], horizontal=True,
                  chart_rows=CHART_MEDIATORS)


def _roster_maxima(session: Session) -> dict[int, int]:
    try:
        from ..rosters.models import Mediator  # noqa: PLC0415
    except ImportError:
        return {}
    return dict(session.exec(select(Mediator.user_id, Mediator.max_active_cases)).all())


def _money(value) -> Decimal:
    return Decimal("0.00") if value is None else Decimal(value).quantize(FEN)


FIGURES: dict[str, Callable[..., Figure]] = {
    "by_category": cases_by_category, "by_status": cases_by_status, "by_month": cases_by_month,
    "time_to_close": time_to_close, "settled_amounts": settled_amounts, "mediator_load": mediator_load,
}


def figure(session: Session, name: str, *, start: date, end: date, lang: str = "zh") -> Figure:
    """The figure ``name`` of FIGURES for the period: NotFound (404) for another name, InvalidInput (422) for
    a bad period."""
    build = FIGURES.get(name)
    if build is None:
        raise NotFound(f"no figure named '{name}'; the figures are {', '.join(FIGURES)}")
    check_period(start, end)
    return build(session, start=start, end=end, lang=lang)


def overview(session: Session, *, start: date, end: date, lang: str = "zh") -> StatisticsRead:
    """Every figure of FIGURES for the period (checked: 422), JSON-ready, with the time zone of its dates."""
    check_period(start, end)
    figures = {name: build(session, start=start, end=end, lang=lang).as_json() for name, build in FIGURES.items()}
    return StatisticsRead.model_validate({"period": {"start": start, "end": end, "timezone": "Asia/Shanghai"},
                                          "lang": _lang(lang), "figures": figures})


# --- CSV and SVG ----------------------------------------------------------------------------------------

def figure_csv(fig: Figure) -> str:
    """The figure's table as CSV (header of localised labels; amounts with two decimals), with a UTF-8 BOM
    so that spreadsheet programs open the Chinese text correctly."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\r\n")  # cells like "=HYPERLINK(...)" stay text
    writer.writerow([label for _k, label in fig.columns])
    for row in fig.rows:
        writer.writerow(["" if row.get(k) is None else _json_value(row.get(k)) for k, _ in fig.columns])
    return "\ufeff" + out.getvalue()


def figure_svg(fig: Figure) -> str:
    """The figure as an SVG bar chart (horizontal when ``fig.horizontal``) of its first ``chart_rows`` rows;
    amounts in yuan read ``¥1,234`` (whole yuan)."""
    w = WORDS[fig.lang]
    labels = dict(fig.columns)
    rows = fig.rows[:fig.chart_rows] if fig.chart_rows else fig.rows
    categories = [str(r[fig.chart_label]) for r in rows]
    series = [charts.Series(labels[key], [float(r.get(key) or 0) for r in rows]) for key in fig.chart_series]
    title = f"{fig.title}（{fig.period[0]}—{fig.period[1]}）" if fig.lang == "zh" else \
        f"{fig.title} ({fig.period[0]} to {fig.period[1]})"
    fmt = _yuan if fig.unit == w["unit.yuan"] else charts._plain
    draw = charts.horizontal_bar_chart if fig.horizontal else charts.bar_chart
    return draw(title=title, categories=categories, series=series, unit=fig.unit, fmt=fmt, empty_text=w["empty"])


def _yuan(value: float) -> str:
    return f"¥{value:,.0f}"
