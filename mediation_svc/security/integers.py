"""One rule for every operation: integers outside the signed 64-bit range are refused with 422.

Ids, ``limit``, ``offset`` and numbers in bodies end up in SQL. A Python int has no upper bound, a database
column does: SQLite cannot bind 2**63 at all and PostgreSQL refuses it in a BIGINT, so such a value used to
reach the database and come back as a 500. The check runs as an application-wide dependency, before the
endpoint's own validation: every path, query and form parameter typed ``int``, and every integer anywhere in a
JSON body.
"""

from __future__ import annotations

import json
import typing

from fastapi import Request

from ..errors import InvalidInput, NotFound

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
# Record ids are INTEGER keys (32-bit on PostgreSQL): a path id beyond that range names no record.
ID_MAX = 2 ** 31 - 1


class IntegerOutOfRange(InvalidInput):
    slug, title = "integer-out-of-range", "A number is outside the range this service accepts"


def _is_int_type(annotation) -> bool:
    options = typing.get_args(annotation) or (annotation,)
    return any(option is int for option in options)


def _int_params(dependant, seen=None) -> list[tuple[str, str]]:
    """(where, name) of the parameters typed int, through the whole dependency tree."""
    seen = seen if seen is not None else set()
    if id(dependant) in seen:
        return []
    seen.add(id(dependant))
    found = []
    for where, fields in (("path", dependant.path_params), ("query", dependant.query_params),
                          ("form", dependant.body_params)):
        found += [(where, f.alias) for f in fields if _is_int_type(f.field_info.annotation)]
    for sub in dependant.dependencies:
        found += _int_params(sub, seen)
    return found


def _out_of_range(text: str) -> bool:
    text = text.strip()
    digits = text.lstrip("+-")
    if not digits.isdigit() or len(text) - len(digits) > 1:
        return False  # not an integer: the endpoint's validation says so
    if len(digits.lstrip("0")) > 19:  # 2**63 has 19 digits; do not even convert a longer one
        return True
    return not INT64_MIN <= int(text) <= INT64_MAX


def _names_a_record(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _beyond_ids(text: str) -> bool:
    text = text.strip()
    return text.lstrip("+-").isdigit() and int(text) > ID_MAX


def _refuse(loc: list, value: str) -> None:
    shown = value if len(value) <= 40 else value[:37] + "..."
    raise IntegerOutOfRange(f"{'.'.join(map(str, loc))}: {shown} is outside -2^63 .. 2^63-1",
                            errors=[{"loc": loc, "msg": "integer out of range (signed 64-bit)"}])


def _check_json(body: bytes) -> None:
    def parse_int(text: str) -> int:
        if _out_of_range(text):
            _refuse(["body"], text)
        return int(text)

    try:
        json.loads(body, parse_int=parse_int)
    except (ValueError, RecursionError):
        return  # not JSON after all: the endpoint's own validation answers


async def refuse_out_of_range_integers(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    for where, name in _int_params(dependant):
        if where == "path":
            values = [str(request.path_params.get(name, ""))]
        elif where == "query":
            values = request.query_params.getlist(name)
        else:
            continue
        for value in values:
            if _out_of_range(value):
                _refuse([where, name], value)
            if where == "path" and _names_a_record(name) and _beyond_ids(value):
                raise NotFound("no such record")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method in ("POST", "PUT", "PATCH"):
        if content_type == "application/json" or content_type.endswith("+json"):
            _check_json(await request.body())
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form_ints = {name for where, name in _int_params(dependant) if where == "form"}
            if form_ints:
                form = await request.form()
                for name in form_ints:
                    for item in form.getlist(name):
                        if isinstance(item, str) and _out_of_range(item):
                            _refuse(["body", name], item)


NUMERIC_VALUE_OUT_OF_RANGE = "22003"  # SQLSTATE


def refused_by_database(exc: BaseException) -> IntegerOutOfRange | None:
    """The same 422 when the database is the one to refuse a number: PostgreSQL's INTEGER columns (most ids)
    hold 32 bits, so an id between 2^31 and 2^63 passes the check above and fails at the query's cast."""
    if getattr(getattr(exc, "orig", None), "sqlstate", None) != NUMERIC_VALUE_OUT_OF_RANGE:
        return None
    return IntegerOutOfRange("a number in the request is larger than the database column for it holds",
                             errors=[{"loc": ["request"], "msg": "integer out of range for the stored column"}])
