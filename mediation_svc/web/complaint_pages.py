"""Pages for complaints: the officer's forwarding board and the institution's inbox and reply."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
