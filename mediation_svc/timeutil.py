"""UTC in storage, Asia/Shanghai for people."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_shanghai(now: datetime | None = None) -> date:
    from .db import utcnow

    return (now or utcnow()).astimezone(SHANGHAI).date()


def to_shanghai(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)


def format_shanghai(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.astimezone(SHANGHAI).strftime(fmt)
