"""What an amount typed into a form reads as, asked by the forms' script while the person types.

The script (static/amount.js) holds no rule of its own: it sends what was typed here and shows the answer
beside the field ("已识别为 ¥86,500.00", or what to type instead), so the value shown is the one the server
will store (``amounts.parse_amount``, the same function the forms and the API schemas use).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ..amounts import AmountError, format_amount, parse_amount
from .auth import PageUser
from .forms import BY_TYPE
from ..i18n.catalogue import translator
from .render import language_of

router = APIRouter(include_in_schema=False)


@router.get("/amounts/read")
def read_amount(request: Request, user: PageUser, text: str = Query("", max_length=100)) -> JSONResponse:
    """{"ok": true, "value": "86500.00", "shown": "已识别为 ¥86,500.00"} or {"ok": false, "shown": why}."""
    language = language_of(request)
    if not text.strip():
        return JSONResponse({"ok": False, "value": None, "shown": ""}, headers={"Cache-Control": "no-store"})
    try:
        value = parse_amount(text)
    except AmountError as exc:
        shown = str(exc) if language != "en" else BY_TYPE["decimal_parsing"][1]
        return JSONResponse({"ok": False, "value": None, "shown": shown}, headers={"Cache-Control": "no-store"})
    return JSONResponse({"ok": True, "value": f"{value:.2f}",
                         "shown": translator(language)("form.parsed_amount", amount=format_amount(value))},
                        headers={"Cache-Control": "no-store"})
