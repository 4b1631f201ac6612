"""/dev/outbox: the text messages and e-mails sent in development, newest first, with their links.

Off (404) unless ``MEDIATION_ENVIRONMENT=development``; what it lists comes from ``notifications.devbox``,
the copy the log transports keep in development only.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..deps import SettingsDep
from ..errors import NotFound
from ..notifications.devbox import for_settings
from .auth import MaybeUser
from .render import render

router = APIRouter(include_in_schema=False)
LINK = re.compile(r"https?://[^\s<>\"'，。；）]+")
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def _parts(body: str) -> list[tuple[str, str]]:
    """The body as (kind, text) pieces: plain text and links, so the template can make the links clickable."""
    pieces, last = [], 0
    for match in LINK.finditer(body or ""):
        pieces.append(("text", body[last:match.start()]))
        pieces.append(("link", match.group(0)))
        last = match.end()
    pieces.append(("text", (body or "")[last:]))
    return [p for p in pieces if p[1]]


@router.get("/dev/outbox")
def dev_outbox(request: Request, settings: SettingsDep, user: MaybeUser) -> Response:
    box = for_settings(settings)
    if box is None:
        raise NotFound("the development outbox is off")
    messages = [{**m, "parts": _parts(m.get("body", "")), "codes": CODE.findall(m.get("body", "") or "")}
                for m in box.latest()]
    return render(request, "dev_outbox.html", user=user, messages=messages)
