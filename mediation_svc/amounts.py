"""Amounts of money as people type them, read into ``Decimal`` yuan by one pure function.

``86,500``, ``86，500``, ``86500元``, ``¥86,500.00``, ``８６５００``, ``8.65万``, ``8.65万元``, ``1.2亿`` and
``RMB 86500`` all read as the same kind of value; ``parse_amount`` is used by the intake form, the drafting
form and the API schemas (``lenient_amount`` as a pydantic before-validator), so an amount accepted in one
place is accepted everywhere. Anything else (words, two numbers, a negative sum, a fraction of a fen) is
refused with a message in Chinese that says what to type.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

FEN = Decimal("0.01")
UNITS = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
# Grouping commas must group by three (86,500 or 1,086,500); a stray comma (8,65) is more likely a typo.
_NUMBER = re.compile(r"^(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?P<unit>万|亿)?$")
_NOISE = re.compile(r"^(?:人民币|rmb|cny|¥)|(?:元整|元|块钱|块|rmb|cny)$", re.IGNORECASE)


class AmountError(ValueError):
    """An amount that cannot be read; the message says, in Chinese, what to type instead."""


def parse_amount(text: str | int | Decimal) -> Decimal:
    """The amount in yuan, exact to the fen: ``parse_amount("8.65万") == Decimal("86500.00")``."""
    if isinstance(text, (bool, float)):
        raise AmountError("金额须为文字或整数，不能是浮点数")
    value = Decimal(text) if isinstance(text, (int, Decimal)) else _read(str(text))
    if not value.is_finite() or value < 0:
        raise AmountError("金额不能为负数")
    if value != value.quantize(FEN):
        raise AmountError("金额最多精确到分（小数点后两位）")
    return value.quantize(FEN)


def _read(text: str) -> Decimal:
    # Full-width digits, commas and the yen sign (８６，５００ ￥) become their plain forms; spaces go.
    plain = unicodedata.normalize("NFKC", text).replace("，", ",").replace("￥", "¥")
    plain = re.sub(r"\s+", "", plain)
    if not plain:
        raise AmountError("请填写金额，例如 86500、86,500 或 8.65万")
    for _ in range(2):  # "人民币8.65万元": a prefix and a suffix
        plain = _NOISE.sub("", plain)
    match = _NUMBER.match(plain)
    if match is None:
        raise AmountError(f"无法识别金额“{text.strip()[:40]}”，请填写数字，例如 86500、86,500 或 8.65万")
    try:
        number = Decimal(match.group("number").replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise AmountError(f"无法识别金额“{text.strip()[:40]}”") from None
    return number * UNITS[match.group("unit") or ""]


def lenient_amount(value: Any) -> Any:
    """Pydantic before-validator: a typed amount string becomes a Decimal; other values pass through to the
    field's own checks (ranges, places)."""
    if isinstance(value, str):
        return parse_amount(value)
    return value


def format_amount(value: Decimal | None) -> str:
    """How a parsed amount is shown back: ``¥86,500.00``."""
    return "" if value is None else f"¥{value:,.2f}"
