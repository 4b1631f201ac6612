"""The working-day policy on plain values: official years, provisional years by rule, periods, parsing."""

from datetime import date

import pytest

from mediation_svc.workcalendar.policy import ArrangementError, format_lines, parse_arrangement
from mediation_svc.workdays import WorkdayCalendar, library_years

CAL = WorkdayCalendar()


def test_official_year_has_the_state_councils_adjusted_days():
    assert CAL.is_known(date(2026, 10, 1))
    assert not CAL.is_workday(date(2026, 10, 7))  # 国庆 holiday on a Wednesday
    assert CAL.is_workday(date(2026, 9, 20))  # a Sunday worked (调休上班)
    assert CAL.holiday_name(date(2026, 2, 17)) == "春节"


def test_a_year_the_library_does_not_know_is_computed_by_rule_and_provisional():
    assert 2027 not in library_years()
    new_year, eve, labour_sat = date(2027, 1, 1), date(2027, 2, 5), date(2027, 5, 1)
    assert not CAL.is_workday(new_year) and CAL.holiday_name(new_year) == "元旦"
    # 春节 2027: 除夕 Fri 5 Feb to 初三 Mon 8 Feb, the weekend days given back on Tue 9 and Wed 10.
    assert [CAL.is_workday(date(2027, 2, d)) for d in range(4, 12)] == [True] + [False] * 6 + [True]
    assert CAL.holiday_name(eve) == "农历除夕"
    assert not CAL.is_workday(date(2027, 4, 5))  # 清明
    assert not CAL.is_workday(date(2027, 6, 9))  # 端午
    assert not CAL.is_workday(date(2027, 9, 15))  # 中秋
    assert not CAL.is_workday(date(2027, 10, 1)) and not CAL.is_workday(date(2027, 10, 5))  # 国庆 + 补假
    assert not CAL.is_workday(labour_sat) and not CAL.is_workday(date(2027, 5, 4))
    assert CAL.is_provisional(new_year) and not CAL.is_known(new_year)
    assert "2027年的节假日安排国务院尚未公布" in CAL.provisional_warning(new_year)
    assert CAL.provisional_warning(date(2026, 12, 31)) is None


def test_rule_years_far_ahead_still_know_the_lunar_holidays():
    assert not CAL.is_workday(date(2030, 2, 4))  # 春节 2030 (初一 falls on Sun 3 Feb)
    assert CAL.is_provisional(date(2040, 6, 1))


def test_working_days_across_a_provisional_spring_festival():
    assert CAL.add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 11)
    assert CAL.workdays_between(date(2027, 2, 4), date(2027, 2, 11)) == 1
    # Across New Year 2027: Thu 31 Dec 2026 + 1 working day skips 元旦 (Fri) and the weekend.
    assert CAL.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_a_calendar_day_period_ending_on_a_holiday_ends_on_the_next_working_day():
    assert CAL.add_days(date(2027, 1, 22), 15) == date(2027, 2, 11)  # 6 Feb is in 春节
    assert CAL.add_days(date(2027, 1, 4), 15) == date(2027, 1, 19)


def test_overrides_win_over_the_arrangement():
    calendar = WorkdayCalendar({date(2027, 1, 1): True, date(2027, 1, 4): False})
    assert calendar.is_workday(date(2027, 1, 1)) and not calendar.is_workday(date(2027, 1, 4))
    assert calendar.is_known(date(2027, 1, 4))


def test_parse_an_arrangement_as_the_notice_lists_it():
    rules = parse_arrangement(year=2027, holidays_text="2027-01-01 元旦\n2027-02-05 至 2027-02-11 春节\n\n# 注释",
                              workdays_text="2027-02-20 春节调休上班")
    off = [r.day for r in rules if not r.is_workday]
    assert off[0] == date(2027, 1, 1) and len(off) == 8
    assert [r for r in rules if r.is_workday][0].name == "春节调休上班"
    assert format_lines(rules, is_workday=False) == "2027-01-01 元旦\n2027-02-05 至 2027-02-11 春节"


@pytest.mark.parametrize("holidays, workdays, message", [
    ("2028-01-01 元旦", "", "不在2027年"),
    ("2027-02-30 春节", "", "不是有效的日期"),
    ("明年春节", "", "应为"),
    ("2027-02-11 至 2027-02-05 春节", "", "结束日期早于开始日期"),
    ("2027-02-01 至 2027-03-01 春节", "", "不超过"),
    ("2027-02-05 春节", "2027-02-05", "既是放假日又是调休上班日"),
])
def test_a_wrong_line_is_refused_with_its_reason(holidays, workdays, message):
    with pytest.raises(ArrangementError, match=message):
        parse_arrangement(year=2027, holidays_text=holidays, workdays_text=workdays)
