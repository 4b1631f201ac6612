"""Meeting links for remote sessions, behind a small provider interface.

The built-in provider makes an unguessable room name under a configured base URL (a self-hosted Jitsi
Meet or anything that opens a room by path); an officer may instead type a link from another service.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import InvalidInput


class MeetingLinkProvider(Protocol):
    name: str

    def create_link(self, *, session_uid: str) -> str: ...


class BuiltinRoomProvider:
    """``<base>/tjhy-<128 random bits>``: the room name is the only secret, so it comes from ``secrets``."""

    name = "builtin"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def create_link(self, *, session_uid: str) -> str:
        return f"{self.base_url}/tjhy-{secrets.token_urlsafe(16)}"


class ManualLinkProvider:
    """No link service at all: every remote or hybrid session needs the link the officer types."""

    name = "manual"

    def create_link(self, *, session_uid: str) -> str:
        raise InvalidInput("没有配置视频会议服务，请填写会议链接 (type the meeting link: no provider is configured)",
                           errors=[{"loc": ["meeting_url"], "msg": "required: no meeting provider is configured"}])


PROVIDERS: dict[str, Callable[[Settings], MeetingLinkProvider]] = {
    "builtin": lambda settings: BuiltinRoomProvider(settings.meeting_base_url),
    "manual": lambda settings: ManualLinkProvider(),
}


def provider_from_settings(settings: Settings) -> MeetingLinkProvider:
    try:
        return PROVIDERS[settings.meeting_provider](settings)
    except KeyError as exc:
        raise InvalidInput(f"unknown meeting provider '{settings.meeting_provider}'") from exc


def check_manual_link(url: str) -> str:
    """A link typed by an officer: only https, with a host, so that notices never carry a script or a typo."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInput("the meeting link must be an https:// address",
                           errors=[{"loc": ["meeting_url"], "msg": "must be an https URL"}])
    return url
