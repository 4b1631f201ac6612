"""Validation problems put beside the form field they concern, in the reader's language.

The services report problems as pydantic does (``loc``, ``type``, ``msg``, in English unless a validator
wrote Chinese, as ``amounts.parse_amount`` does). A page maps each ``loc`` to its form field and says what is
wrong in words from here; the form is shown again with everything the person typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import InvalidInput

CJK = re.compile(r"[\u4e00-\u9fff]")


class FormProblem(InvalidInput):
    """A 422 raised by a page whose message is already in the reader's words (the error page shows it)."""

# By pydantic's error type: (zh-CN, en).
BY_TYPE = {
    "missing": ("必填，请填写。", "Required."),
    "string_too_short": ("必填，请填写。", "Required."),
    "string_too_long": ("内容太长，请删减。", "Too long; shorten it."),
    "greater_than": ("须大于 0。", "Must be more than 0."),
    "greater_than_equal": ("不能为负数。", "Cannot be negative."),
    "less_than_equal": ("数值太大。", "Too large."),
    "decimal_max_places": ("最多精确到分（小数点后两位）。", "At most two decimal places."),
    "decimal_parsing": ("请填写数字，例如 86500、86,500 或 8.65万。", "Type a number, e.g. 86500, 86,500 or 8.65万."),
    "date_from_datetime_parsing": ("请选择日期。", "Choose a date."),
    "date_parsing": ("请选择日期。", "Choose a date."),
    "int_parsing": ("请选择一项。", "Choose one."),
    "enum": ("请从列表中选择。", "Choose from the list."),
    "literal_error": ("请从列表中选择。", "Choose from the list."),
    "too_long": ("条目太多。", "Too many items."),
    # phones.normalise_mobile, the one phone rule
    "mobile_number": ("手机号码不正确：请填写 11 位手机号码（如 13912345678），座机号码收不到短信；境外手机号码请以 + 和国家或"
                      "地区代码开头（如 +852 9123 4567）。",
                      "Not a mobile number: 11 digits for a mainland mobile (e.g. 13912345678), a landline cannot "
                      "receive texts; a number abroad starts with + and its country code (e.g. +852 9123 4567)."),
}
# By field, for a validator's own (English) message: what a person should check.
BY_FIELD = {
    "id_number": ("身份证号码不正确：请核对 18 位号码（最后一位可能是 X）。",
                  "Not a valid resident ID: check the 18 characters (the last may be X)."),
    "claim_amount": ("请填写数字，例如 86500、86,500 或 8.65万。", "Type a number, e.g. 86500, 86,500 or 8.65万."),
}
GENERAL = ("这一项填写有误，请检查。", "This is not valid; check it.")


def message(error: Mapping[str, Any], field: str, language: str) -> str:
    pick = 1 if language == "en" else 0
    text = str(error.get("msg", "")).removeprefix("Value error, ")
    if error.get("type") == "value_error" and CJK.search(text) and language != "en":
        return text
    if error.get("type") in BY_TYPE:
        return BY_TYPE[error["type"]][pick]
    return BY_FIELD.get(field, GENERAL)[pick]


def field_errors(errors: Iterable[Mapping[str, Any]], field_of: Callable[[tuple], str | None], language: str) -> dict[str, str]:
    """{form field: message}; problems without a field go under "" (shown above the form)."""
    found: dict[str, str] = {}
    for error in errors:
        loc = tuple(str(p) for p in error.get("loc", ()) if str(p) not in ("body", "inputs"))
        field = field_of(loc) or ""
        found.setdefault(field, message(error, field, language))
    return found


INTAKE_FIELDS = {("applicant", "name"): "applicant_name", ("applicant", "id_number"): "id_number",
                 ("applicant", "phone"): "phone", ("applicant", "address"): "address",
                 ("respondent", "institution_id"): "institution_id", ("respondent", "branch"): "branch",
                 ("respondent",): "institution_id", ("applicant",): "applicant_name"}


def intake_field(loc: tuple) -> str | None:
    if loc in INTAKE_FIELDS:
        return INTAKE_FIELDS[loc]
    return loc[0] if len(loc) == 1 else None


def draft_field(loc: tuple) -> str | None:
    """``payments.0.amount`` -> ``pay_amount_0`` (the drafting form's field ids)."""
    if len(loc) >= 3 and loc[0] == "payments" and loc[1].isdigit():
        name = {"due_date": "due"}.get(loc[2], loc[2])
        return f"pay_{name}_{loc[1]}"
    return loc[0] if loc else None
