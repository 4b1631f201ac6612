"""Amounts in Chinese capitals against a table written from the PBOC rules (not from the library's output)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediation_svc.documents.numerals import rmb_capitals, rmb_figures

TABLE = [
    # the table
    ("0.01", "人民币壹分"),
    ("0.5", "人民币伍角"),
    ("10", "人民币壹拾元整"),
    ("100.5", "人民币壹佰元伍角"),
    ("1000000.07", "人民币壹佰万元零柒分"),
    ("100000000", "人民币壹亿元整"),
    ("1000010000.00", "人民币壹拾亿零壹万元整"),
    # DOMAIN.md's vectors
    ("1409.50", "人民币壹仟肆佰零玖元伍角"),
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
    ("50000", "人民币伍万元整"),
    # zero rules
    ("0", "人民币零元整"),
    ("0.00", "人民币零元整"),
    ("0.05", "人民币伍分"),
    ("0.10", "人民币壹角"),
    ("0.55", "人民币伍角伍分"),
    ("1", "人民币壹元整"),
    ("101", "人民币壹佰零壹元整"),
    ("1001", "人民币壹仟零壹元整"),
    ("1010.01", "人民币壹仟零壹拾元零壹分"),  # 角 is zero, 分 is not: 零 after 元
    ("325.04", "人民币叁佰贰拾伍元零肆分"),
    ("6007.14", "人民币陆仟零柒元壹角肆分"),  # PBOC example
    ("1680.32", "人民币壹仟陆佰捌拾元叁角贰分"),  # PBOC example (the form without 零)
    ("107000.53", "人民币壹拾万柒仟元伍角叁分"),  # PBOC example (the form without 零)
    ("100100", "人民币壹拾万零壹佰元整"),
    ("110000", "人民币壹拾壹万元整"),
    ("400000", "人民币肆拾万元整"),
    ("1000010", "人民币壹佰万零壹拾元整"),
    ("101000000", "人民币壹亿零壹佰万元整"),
    ("1000000001", "人民币壹拾亿零壹元整"),
    ("999999999999.99", "人民币玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("amount", "expected"), TABLE)
def test_capitals_table(amount, expected):
    assert rmb_capitals(amount) == expected


def test_decimal_int_and_formatted_inputs_agree():
    assert rmb_capitals(Decimal("50000.00")) == rmb_capitals(50000) == rmb_capitals("¥50,000") == "人民币伍万元整"


@pytest.mark.parametrize("bad", ["-1", "1.005", "1.999", "abc", "NaN", "Infinity", "1000000000000", 1.5, True])
def test_refuses_what_it_would_change(bad):
    # cn2an alone would truncate 1.999 to 壹元玖角玖分 and write -1 as 负壹元整.
    with pytest.raises(ValueError):
        rmb_capitals(bad)


@pytest.mark.parametrize(("amount", "expected"), [("1409.5", "¥1,409.50"), ("50000", "¥50,000.00"),
                                                  ("0.01", "¥0.01"), ("1000010000", "¥1,000,010,000.00")])
def test_figures(amount, expected):
    assert rmb_figures(amount) == expected


@given(st.integers(min_value=0, max_value=99_999_999_999_999))
def test_endings_follow_the_rules(fen):
    amount = Decimal(fen) / 100
    text = rmb_capitals(amount)
    assert text.startswith("人民币") and text[3] != " "
    jiao, fen_digit = (fen // 10) % 10, fen % 10
    if fen_digit:
        assert text.endswith("分") and "整" not in text
    elif jiao:
        assert text.endswith("角") and "整" not in text
    else:
        assert text.endswith("元整")
    if fen_digit and not jiao and fen >= 100:
        assert "元零" in text
    assert "零零" not in text and not text.endswith("零")
