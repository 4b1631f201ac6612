from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class DayIn(BaseModel):
    day: date
    name: str | None = Field(default=None, max_length=60)


class YearArrangementIn(BaseModel):
    """The State Council's arrangement: every day off (weekend days of a holiday included) and the adjusted
    working days (调休上班)."""

    holidays: list[DayIn] = Field(min_length=1, max_length=120)
    workdays: list[DayIn] = Field(default_factory=list, max_length=30)
    note: str | None = Field(default=None, max_length=300)


class DayRead(BaseModel):
    day: date
    is_workday: bool
    name: str | None


class YearRead(BaseModel):
    year: int
    status: str
    source: str
    note: str | None = None
    provisional: bool
    days: list[DayRead]


class YearSummary(BaseModel):
    year: int
    status: str
    source: str
    note: str | None
    updated_at: datetime
    days: int


class YearChangeRead(YearRead):
    due_dates_changed: int
