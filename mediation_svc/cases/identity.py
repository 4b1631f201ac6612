"""Checks on Chinese identifiers, delegated to python-stdnum (GB 11643 resident ID, GB 32100 credit code)."""

from __future__ import annotations

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

ID_TYPES = ("resident_id", "passport", "hk_macau_permit", "taiwan_permit", "foreign_permanent_resident", "other")


def normalise_resident_id(value: str) -> str:
    """Validate an 18-digit resident ID number: format, date of birth, and the GB 11643 check digit.

    The region prefix is not looked up: python-stdnum's region table misses many current districts
    (e.g. Guangzhou's 440106) and would turn away genuine applicants.
    """
    number = ric.compact(value)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValueError("not a valid resident ID number: expected 17 digits and a check digit (0-9 or X)")
    try:
        ric.get_birth_date(number)
    except ValidationError as exc:
        raise ValueError("not a valid resident ID number: the date of birth is not a real date") from exc
    if ric.calc_check_digit(number) != number[17]:
        raise ValueError("not a valid resident ID number: the check digit does not match")
    return number


def normalise_credit_code(value: str) -> str:
    """Validate an 18-character unified social credit code with its check character."""
    try:
        return uscc.validate(value.strip().upper())
    except ValidationError as exc:
        raise ValueError(f"not a valid unified social credit code: {exc}") from exc
