"""The working-day calendar as data: one row per year (official or provisional) and its exception days."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow


class CalendarYear(SQLModel, table=True):
    """A year's holiday arrangement: official (the State Council's notice) or provisional (by rule)."""

    __tablename__ = "calendar_years"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    status: str = Field(max_length=20)  # official | provisional
    source: str = Field(max_length=20)  # chinesecalendar | rule | state_council
    note: str | None = Field(default=None, max_length=300)  # e.g. the notice's number 国办发明电〔2026〕×号
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CalendarDay(SQLModel, table=True):
    """A day that differs from Monday-to-Friday (or a named holiday on a weekend)."""

    __tablename__ = "calendar_days"

    day: date = Field(primary_key=True)
    year: int = Field(foreign_key="calendar_years.year", index=True)
    is_workday: bool
    name: str | None = Field(default=None, max_length=60)
