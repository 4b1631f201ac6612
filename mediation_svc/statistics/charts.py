"""Bar charts as standalone SVG 1.1 documents, generated on the server (no JavaScript, no external assets).

Pure functions over plain values. Every piece of text (titles, labels, legend) is XML-escaped, so a
category or mediator name cannot inject markup. The root carries ``role="img"``, a ``<title>`` and a
``<desc>`` for screen readers; the fonts named first are the Noto CJK fonts the service installs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"
# Colour-blind-safe (Okabe-Ito), each with enough contrast on white for thin bars.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
TEXT = "#1f2328"
GRID = "#d0d7de"


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]


TICKS = 4


def nice_step(value: float, whole: bool) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at least ``value``; for whole numbers a whole step."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    multiples = (1, 2, 5, 10) if whole and power < 10 else (1, 2, 2.5, 5, 10)
    step = next((m * power for m in multiples if m * power >= value - 1e-9), 10 * power)
    return max(step, 1.0) if whole else step


def axis_top(series: Sequence[Series]) -> float:
    """The top of the value axis: ``TICKS`` nice steps, so every gridline is a round (whole, for counts) value."""
    values = [float(v) for s in series for v in s.values]
    whole = all(v.is_integer() for v in values)
    return TICKS * nice_step(max(values, default=0) / TICKS, whole)


def _plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _text(x: float, y: float, content: str, *, size: int = 12, anchor: str = "middle", weight: str = "normal",
          rotate: float | None = None, fill: str = TEXT) -> str:
    transform = f' transform="rotate({rotate:g} {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}"{transform}>{escape(content)}</text>')


def _document(width: float, height: float, title: str, description: str, body: list[str]) -> str:
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label={quoteattr(title)} '
        f'font-family={quoteattr(FONT)}>',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        *body,
        "</svg>",
        "",
    ])


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts = []
    for i, s in enumerate(series):
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(_text(x + 16, y, s.label, anchor="start"))
        x += 28 + 13 * len(s.label)
    return parts


def _describe(categories: Sequence[str], series: Sequence[Series], fmt: Callable[[float], str]) -> str:
    """The numbers in words, for screen readers (the CSV has them too)."""
    return "；".join(f"{c}：" + "，".join(f"{s.label} {fmt(s.values[i])}" for s in series)
                    for i, c in enumerate(categories))


def bar_chart(*, title: str, categories: Sequence[str], series: Sequence[Series], unit: str = "",
              fmt: Callable[[float], str] = _plain, width: int = 760, empty_text: str = "无数据") -> str:
    """Vertical bars, grouped by category (one colour per series), with a value above each bar."""
    height, left, right, top, bottom = 380, 64, 16, 56, 80
    rotate = len(categories) > 8 or max((len(c) for c in categories), default=0) > 6
    if rotate:
        bottom = 110
        height += 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = axis_top(series)
    body = [_text(left, 24, title, size=16, anchor="start", weight="bold")]
    if unit:
        body.append(_text(left - 8, top - 10, unit, size=11, anchor="end"))
    body += _legend(series, left, 44) if len(series) > 1 else []
    for k in range(TICKS + 1):
        value = peak * k / TICKS
        y = top + plot_h - plot_h * k / TICKS
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 8, y + 4, fmt(value), size=11, anchor="end"))
    if not categories:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, empty_text, size=14))
    slot = plot_w / max(len(categories), 1)
    bar_w = min(48.0, slot * 0.8 / max(len(series), 1))
    for i, category in enumerate(categories):
        x0 = left + slot * i + (slot - bar_w * len(series)) / 2
        for j, s in enumerate(series):
            value = float(s.values[i])
            h = plot_h * value / peak
            x, y = x0 + j * bar_w, top + plot_h - h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                        f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(f"{category} {s.label}: {fmt(value)}")}'
                        f"</title></rect>")
            body.append(_text(x + (bar_w - 2) / 2, y - 4, fmt(value), size=10))
        cx, cy = left + slot * (i + 0.5), top + plot_h + 18
        body.append(_text(cx, cy, category, anchor="end" if rotate else "middle", rotate=-35 if rotate else None))
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{TEXT}"/>')
    return _document(width, height, title, _describe(categories, series, fmt), body)


def horizontal_bar_chart(*, title: str, categories: Sequence[str], series: Sequence[Series], unit: str = "",
                         fmt: Callable[[float], str] = _plain, width: int = 760, empty_text: str = "无数据") -> str:
    """One row per category (e.g. per mediator), bars side by side within the row."""
    left, right, top = 150, 56, 64
    row_h = 10 + 16 * len(series)
    height = top + row_h * max(len(categories), 1) + 40
    plot_w = width - left - right
    peak = axis_top(series)
    body = [_text(16, 24, title, size=16, anchor="start", weight="bold")]
    body += _legend(series, left, 46) if len(series) > 1 else []
    bottom = top + row_h * max(len(categories), 1)
    for k in range(TICKS + 1):
        x = left + plot_w * k / TICKS
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}"/>')
        body.append(_text(x, bottom + 16, fmt(peak * k / TICKS), size=11))
    if unit:
        body.append(_text(width - right, bottom + 32, unit, size=11, anchor="end"))
    if not categories:
        body.append(_text(left + plot_w / 2, top + row_h / 2, empty_text, size=14))
    for i, category in enumerate(categories):
        y0 = top + row_h * i + 5
        body.append(_text(left - 8, y0 + row_h / 2, category, anchor="end"))
        for j, s in enumerate(series):
            value = float(s.values[i])
            w = plot_w * value / peak
            y = y0 + 16 * j
            body.append(f'<rect x="{left}" y="{y:.1f}" width="{w:.1f}" height="14" fill="{PALETTE[j % len(PALETTE)]}">'
                        f'<title>{escape(f"{category} {s.label}: {fmt(value)}")}</title></rect>')
            body.append(_text(left + w + 4, y + 11, fmt(value), size=10, anchor="start"))
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{TEXT}"/>')
    return _document(width, height, title, _describe(categories, series, fmt), body)
