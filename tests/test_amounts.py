"""Amounts as people type them: one pure function for the intake form, the drafting form and the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mediation_svc.amounts import AmountError, format_amount, parse_amount


@pytest.mark.parametrize("typed, value", [
    ("86500", "86500.00"), ("86,500", "86500.00"), ("86，500", "86500.00"), ("86500元", "86500.00"),
    ("¥86,500.00", "86500.00"), ("￥86500", "86500.00"), ("８６５００", "86500.00"), ("8.65万", "86500.00"),
    ("8.65万元", "86500.00"), ("人民币8.65万元", "86500.00"), (" 86 500 ", "86500.00"), ("1,086,500.5", "1086500.50"),
    ("1.2亿", "120000000.00"), ("0.01", "0.01"), ("RMB 70,000", "70000.00"), ("70000块", "70000.00"),
])
def test_what_people_type_reads_as_yuan(typed, value):
    assert parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize("typed, words", [
    ("", "请填写金额"), ("八万", "无法识别金额"), ("8,65", "无法识别金额"), ("-5", "无法识别金额"),
    ("1.005", "精确到分"), ("86500 元 3", "无法识别金额"), ("8.6555555万", "精确到分"), ("1e5", "无法识别金额"),
])
def test_what_cannot_be_read_is_refused_in_chinese(typed, words):
    with pytest.raises(AmountError, match=words):
        parse_amount(typed)


def test_numbers_and_floats():
    assert parse_amount(86500) == Decimal("86500.00") and parse_amount(Decimal("1.5")) == Decimal("1.50")
    with pytest.raises(AmountError):
        parse_amount(86500.0)
    assert format_amount(Decimal("86500")) == "¥86,500.00"
