"""Phone numbers as people type them, read into E.164 (ITU-T E.164): one rule for every form and API schema.

A number we keep is one we may have to text (a signing code, a reminder, the notice that an agreement took
effect), so it must be a mobile: a mainland mobile number, 11 digits ``1[3-9]\\d{9}`` (typed with spaces,
dashes or ``+86`` as people write it), or a number abroad written explicitly with ``+`` and its country code
(``+852 9123 4567``), checked against libphonenumber's metadata. A landline (``020-12345678``), a short number
(``1392468``) or a foreign number without ``+`` is refused with a plain reason.
"""

from __future__ import annotations

import re
from typing import Annotated

import phonenumbers
from phonenumbers import PhoneNumberType
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-().（）]")
# the pydantic error type pages translate (web/forms.py BY_TYPE); the message is for API clients
ERROR_TYPE = "mobile_number"
_MESSAGE = ("not a mobile number: a mainland mobile has 11 digits starting with 13-19 (e.g. 13912345678); "
            "a number abroad starts with + and its country code (e.g. +852 9123 4567)")


def _refuse(reason: str = _MESSAGE) -> PydanticCustomError:
    return PydanticCustomError(ERROR_TYPE, reason)


def normalise_mobile(value: str | None) -> str:
    """``+8613912345678`` for 13912345678 / 139 1234 5678 / +86 139-1234-5678, ``+85291234567`` for
    +852 9123 4567; otherwise a ValueError (a ``PydanticCustomError`` of type ``mobile_number``)."""
    compact = _SEPARATORS.sub("", (value or "").strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+86"):
        compact = compact[3:]
    if MAINLAND_MOBILE.fullmatch(compact):
        return "+86" + compact
    if not compact.startswith("+") or not compact[1:].isdigit():
        raise _refuse()
    try:
        number = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        raise _refuse() from None
    if not phonenumbers.is_valid_number(number):
        raise _refuse()
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise _refuse("not a mobile number: this number abroad is a landline, which cannot receive a text")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _optional(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return normalise_mobile(str(value))


def _required(value: object) -> str:
    return normalise_mobile(value if isinstance(value, str) else None)


# For schemas: ``phone: MobilePhone`` / ``phone: OptionalMobilePhone = None`` (blank means none given).
MobilePhone = Annotated[str, BeforeValidator(_required)]
OptionalMobilePhone = Annotated[str | None, BeforeValidator(_optional)]
