"""Response bodies of the statistics API (``GET /api/v1/statistics``): every figure as a table."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

Cell = str | int | float | None  # amounts are strings with two decimals ("86500.00"), counts ints


class Period(BaseModel):
    start: date
    end: date


class StatisticsPeriod(Period):
    timezone: str


class Column(BaseModel):
    key: str
    label: str


class FigureRead(BaseModel):
    """One figure: its columns (key and the label in the language asked for) and its rows by key."""

    name: str
    title: str
    period: Period
    columns: list[Column]
    rows: list[dict[str, Cell]]


class TimeToCloseFigure(FigureRead):
    average_workdays: float | None  # over every case closed in the period


class SettledAmountsFigure(FigureRead):
    settled_total: str  # yuan, two decimals
    settled_cases: int


class Figures(BaseModel):
    by_category: FigureRead
    by_status: FigureRead
    by_month: FigureRead
    time_to_close: TimeToCloseFigure
    settled_amounts: SettledAmountsFigure
    mediator_load: FigureRead


class StatisticsRead(BaseModel):
    period: StatisticsPeriod
    lang: str
    figures: Figures
