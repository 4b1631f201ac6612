"""Development only: a copy of every text message and e-mail the log transports "send", for /dev/outbox.

With ``MEDIATION_ENVIRONMENT=development`` (what ``make run`` sets) and the log SMS gateway or mail
transport, each message is also appended as one JSON line to ``var/dev-outbox.jsonl`` (beside the
development database), so that signing links and one-time codes can be read on a page instead of being dug
out of the log. Never on in production: the outbox itself deletes confidential bodies once sent.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from pathlib import Path

from ..config import PROJECT_ROOT, Settings
from ..db import utcnow

MAX_READ = 200
_lock = threading.Lock()


def path_for(settings: Settings) -> Path:
    if settings.dev_outbox_path is not None:
        return settings.dev_outbox_path
    database = settings.sqlite_path
    return (database.parent if database else PROJECT_ROOT / "var") / "dev-outbox.jsonl"


class DevOutbox:
    def __init__(self, path: Path) -> None:
        self.path = path

    def keep(self, *, channel: str, recipient: str, body: str, subject: str | None = None,
             attachments: list[str] | None = None) -> None:
        line = json.dumps({"at": utcnow().isoformat(), "channel": channel, "recipient": recipient,
                           "subject": subject, "body": body, "attachments": attachments or []}, ensure_ascii=False)
        with _lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")

    def latest(self, limit: int = MAX_READ) -> list[dict]:
        """The newest messages first."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as lines:
            tail = deque(lines, maxlen=limit)
        return [json.loads(line) for line in reversed(tail) if line.strip()]


def for_settings(settings: Settings) -> DevOutbox | None:
    return DevOutbox(path_for(settings)) if settings.development else None
