"""The SVG charts on plain values: round axes, escaped labels, well-formed documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mediation_svc.statistics import charts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("values, top", [([4], 4), ([5], 8), ([0], 4), ([37], 40), ([0.3], 0.4),
                                         ([304200.5], 400000), ([9.7, 6.5], 10), ([41], 80), ([120], 200)])
def test_the_axis_ends_on_four_round_steps(values, top):
    assert charts.axis_top([charts.Series("x", values)]) == pytest.approx(top)


def test_labels_are_escaped_and_the_document_is_well_formed():
    evil = '<script>alert("x")</script> & "quotes"'
    svg = charts.horizontal_bar_chart(title=f"负载 {evil}", categories=[evil, "林晓燕"],
                                      series=[charts.Series("办理中", [3, 1]), charts.Series(evil, [0, 2])])
    assert "<script" not in svg
    root = ET.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == f"负载 {evil}"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert evil in texts and "林晓燕" in texts
    # One bar per value, its tooltip naming the category, the series and the number.
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [b.find(f"{SVG}title").text for b in bars][:2] == [f"{evil} 办理中: 3", f"{evil} {evil}: 0"]


def test_bar_heights_follow_the_values():
    svg = charts.bar_chart(title="t", categories=["甲", "乙"], series=[charts.Series("受理", [4, 2])])
    root = ET.fromstring(svg.encode())
    heights = [float(r.get("height")) for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert heights[0] == pytest.approx(2 * heights[1]) and heights[0] > 0


def test_an_empty_chart_says_so():
    svg = charts.bar_chart(title="t", categories=[], series=[charts.Series("受理", [])], empty_text="本期间无数据")
    assert "本期间无数据" in svg
    ET.fromstring(svg.encode())


def test_the_load_chart_shows_the_busiest_forty_and_the_csv_all():
    from datetime import date

    from mediation_svc.statistics import service

    rows = [{"user_id": i, "mediator": f"调解员{i}", "open": 100 - i, "closed": 0} for i in range(45)]
    fig = service.Figure("mediator_load", "负载", (date(2026, 1, 1), date(2026, 1, 31)), "zh",
                         [("user_id", "user_id"), ("mediator", "调解员"), ("open", "办理中"), ("closed", "结案")],
                         rows, "mediator", ["open", "closed"], horizontal=True, chart_rows=service.CHART_MEDIATORS)
    names = {t.text for t in ET.fromstring(service.figure_svg(fig).encode()).iter(f"{SVG}text")}
    assert "调解员39" in names and "调解员40" not in names
    assert service.figure_csv(fig).count("\r\n") == 46  # header and 45 rows
