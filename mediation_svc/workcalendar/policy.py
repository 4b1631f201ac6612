"""Reading a State Council holiday arrangement typed by an administrator (pure; no database).

One line per period, as the notice lists them::

    2027-02-05 至 2027-02-11 春节        (days off; "至", "~", ".." or "-" between two dates)
    2027-01-01 元旦                       (one day off)

and, in the second list, the adjusted working days (调休上班), one date per line with an optional label.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ..workdays import WORKED_WEEKEND, DayRule

_DATE = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
_LINE = re.compile(rf"^\s*{_DATE}(?:\s*(?:至|到|~|～|\.\.|—|–|-{{1,2}})\s*{_DATE})?\s*(.*?)\s*$")
MAX_PERIOD_DAYS = 15


class ArrangementError(ValueError):
    def __init__(self, line_no: int, line: str, message: str) -> None:
        super().__init__(f"第{line_no}行「{line.strip()}」：{message}")
        self.line_no = line_no


def _date(parts: tuple[str, ...], line_no: int, line: str) -> date:
    y, m, d = parts
    try:
        return date(int(y), int(m), int(d))
    except ValueError as exc:
        raise ArrangementError(line_no, line, "不是有效的日期") from exc


def parse_lines(text: str, *, year: int, is_workday: bool) -> list[DayRule]:
    rules: dict[date, DayRule] = {}
    for line_no, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ArrangementError(line_no, line, "应为「日期 名称」或「日期 至 日期 名称」")
        first = _date(match.group(1, 2, 3), line_no, line)
        last = _date(match.group(4, 5, 6), line_no, line) if match.group(4) else first
        name = (match.group(7) or "").strip()[:60] or (WORKED_WEEKEND if is_workday else None)
        if last < first:
            raise ArrangementError(line_no, line, "结束日期早于开始日期")
        if (last - first).days >= MAX_PERIOD_DAYS:
            raise ArrangementError(line_no, line, f"一段假期不超过{MAX_PERIOD_DAYS}天")
        if first.year != year or last.year != year:
            raise ArrangementError(line_no, line, f"日期不在{year}年")
        day = first
        while day <= last:
            if day in rules:
                raise ArrangementError(line_no, line, f"{day.isoformat()} 重复出现")
            rules[day] = DayRule(day, is_workday, name)
            day += timedelta(days=1)
    return list(rules.values())


def parse_arrangement(*, year: int, holidays_text: str, workdays_text: str) -> list[DayRule]:
    """The days off and the adjusted working days; a date in both lists is an error."""
    off = parse_lines(holidays_text, year=year, is_workday=False)
    worked = parse_lines(workdays_text, year=year, is_workday=True)
    both = sorted({r.day for r in off} & {r.day for r in worked})
    if both:
        raise ArrangementError(0, both[0].isoformat(), "同一天既是放假日又是调休上班日")
    return sorted(off + worked, key=lambda r: r.day)


def format_lines(rules: list[DayRule], *, is_workday: bool) -> str:
    """The inverse of ``parse_lines``: consecutive days with the same name become one period."""
    picked = sorted((r for r in rules if r.is_workday == is_workday), key=lambda r: r.day)
    lines: list[str] = []
    start: date | None = None
    prev: date | None = None
    name = None
    for rule in picked + [None]:
        if rule is not None and prev is not None and rule.day == prev + timedelta(days=1) and rule.name == name:
            prev = rule.day
            continue
        if start is not None and prev is not None:  # set together
            span = start.isoformat() if start == prev else f"{start.isoformat()} 至 {prev.isoformat()}"
            lines.append(f"{span} {name or ''}".rstrip())
        if rule is not None:
            start = prev = rule.day
            name = rule.name
    return "\n".join(lines)
