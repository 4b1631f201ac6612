"""Amounts of renminbi in Chinese capitals (大写金额), as written on agreements and payment documents.

The conversion itself is ``cn2an.an2cn(value, "rmb")``, checked against the rules of the People's Bank
of China on writing amounts (正确填写票据和结算凭证的基本规定) and our table of known values
(tests/documents/test_numerals.py). cn2an is right on the digits and the zero rules; this wrapper adds
what it does not do:

- the "人民币" prefix, written with no gap before the first digit;
- refusal of amounts it would silently change: cn2an truncates past the fen (1.005 -> 壹元整) and
  writes negatives as 负...; an agreement never rounds a payment, so those are ``ValueError``;
- refusal of floats (binary fractions are not amounts) and of values past cn2an's 16-character limit.

House style (DOMAIN.md): "整" after 元, none after 角 (optional by the rules; we keep to one form),
never after 分; 零 for internal zeros and when 角 is zero but 分 is not.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import cn2an

FEN = Decimal("0.01")
# cn2an handles up to 16 characters of input; keep well inside (under a trillion yuan).
MAX_AMOUNT = Decimal("999999999999.99")


def to_amount(value: Decimal | int | str) -> Decimal:
    """Parse an amount of yuan exactly; at most two decimal places, not negative, no floats."""
    if isinstance(value, (bool, float)):
        raise ValueError("amounts must be Decimal, int or str, not float")
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("¥", "").replace("￥", "")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    if amount < 0:
        raise ValueError("an amount in capitals cannot be negative")
    if amount != amount.quantize(FEN):
        raise ValueError(f"{amount} has more than two decimal places (fen)")
    if amount > MAX_AMOUNT:
        raise ValueError(f"{amount} is larger than {MAX_AMOUNT}")
    return amount.quantize(FEN)


def rmb_capitals(value: Decimal | int | str) -> str:
    """``Decimal("50000")`` -> ``"人民币伍万元整"``; ``"16409.02"`` -> ``"人民币壹万陆仟肆佰零玖元零贰分"``."""
    amount = to_amount(value)
    return "人民币" + cn2an.an2cn(format(amount, "f"), "rmb")


def rmb_figures(value: Decimal | int | str) -> str:
    """``Decimal("1409.5")`` -> ``"¥1,409.50"`` (the figure printed beside the capitals)."""
    return f"¥{to_amount(value):,.2f}"
