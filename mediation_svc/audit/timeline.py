"""A case's audit trail as a person reads it: each entry of its hash chain (``audit.chain.case_trail``) as a row in
words (who, what, on which document or session, the values that changed), in the reader's language, with the
chain's integrity; filtered by person, kind and dates. The audit page shows it (``web/audit_pages.py``); the
evidence package carries it as a PDF (``render_timeline_pdf``, zh-CN), beside the machine-readable trail."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..accounts import queries as account_queries
from ..accounts.models import User
from ..amounts import format_amount
from ..cases import queries as case_queries
from ..db import utcnow
from ..documents import queries as document_queries
from ..documents.rendering import render_page_pdf
from ..i18n.catalogue import translator
from ..i18n.labels import has_label, label
from ..timeutil import SHANGHAI, format_shanghai
from .chain import case_trail, verify_chain

TIMELINE_TEMPLATE = "audit_timeline/zh-CN/v1.html"


# Which catalogue names the values of a status-like field, by the domain that recorded the entry.
STATUS_KIND = {"case": "case_status", "document": "document_status", "session": "session_status",
               "signing": "request_status", "judicial": "application_status"}
FREE_TEXT = {"reason", "note", "name", "question", "court_name", "ruling_number", "number", "signer"}
CODES = {"sha256", "document_id"}  # shown as <code>: hashes and identifiers a technical reader compares
TIMES = {"starts_at", "ends_at", "expires_at", "deadline_at"}
USERS = {"mediator_user_id", "previous_mediator_user_id", "court_user_id"}
GROUPS = ("case", "session", "document", "signing", "judicial", "rosters")


# payload keys whose value is a code with words in the catalogue (labels.py): key -> catalogue kind
LABELLED = {"role": "role", "outcome": "session_outcome", "mode": "session_mode", "channel": "channel"}


def _amount(value: Any) -> str | None:
    try:
        return format_amount(Decimal(str(value)))
    except InvalidOperation:
        return None


@dataclass
class Row:
    seq: int
    at: datetime
    who: str
    who_key: str
    what: str
    group: str
    target: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, before, after)
    details: list[tuple[str, str, bool]] = field(default_factory=list)  # (field, value, shown as code)
    raw: dict[str, Any] = field(default_factory=dict)
    broken: bool = False

    @property
    def raw_text(self) -> str:
        return json.dumps(self.raw, ensure_ascii=False, indent=2)


class Describer:
    """Turns entries into rows for one reader's language; looks people and objects up once each."""

    def __init__(self, session, case, language: str) -> None:
        self.session, self.case, self.language = session, case, language
        self.users: dict[int, User | None] = {}

    def text(self, kind: str, code: object) -> str:
        return label(kind, code, self.language)

    def user(self, user_id) -> User | None:
        try:
            key = int(user_id)
        except (TypeError, ValueError):
            return None
        if key not in self.users:
            self.users[key] = account_queries.user_of(self.session, user_id=key)
        return self.users[key]

    def person(self, user: User | None) -> str:
        if user is None:
            return self.text("role", "unknown")
        return f"{user.display_name}（{self.text('role', user.role)}）" if self.language != "en" \
            else f"{user.display_name} ({self.text('role', user.role)})"

    def actor(self, actor: str) -> tuple[str, str]:
        """(words, filter key) for an actor reference such as ``user:2:officer.li`` or ``signer:5:陈秀兰``."""
        kind, _, rest = actor.partition(":")
        ident, _, name = rest.partition(":")
        if kind == "user":
            return self.person(self.user(ident)), f"user:{ident}"
        if kind == "signer":
            role = translator(self.language)("audit.signer")
            return (f"{name}（{role}）" if self.language != "en" else f"{name} ({role})"), "signer"
        t = translator(self.language)
        if kind == "seed-demo":
            return t("audit.demo"), "system"
        if kind == "cli":
            return t("audit.cli"), "system"
        return t("audit.system"), "system"

    def target(self, subject: str) -> str:
        kind, _, ident = subject.partition(":")
        if kind == "case":
            return f"{self.text('subject', 'case')} {self.case.number}"
        if kind == "document":
            document = document_queries.document_of(self.session, document_id=ident)
            if document is not None:
                return f"{self.text('subject', 'document')}《{document.title}》"
        if kind == "user":
            user = self.user(ident)
            if user is not None:
                return f"{self.text('subject', 'user')} {self.person(user)}"
        name = self.text("subject", kind)
        return f"{name} {ident}" if ident.isdigit() else name

    def value(self, key: str, value: Any, group: str) -> str | None:
        """A payload value in words, or None when it has no words for a person (left to the raw entry)."""
        if value is None or value == "" or value == []:
            return None
        if isinstance(value, bool):
            if key == "confirmed":
                return translator(self.language)("court.confirm" if value else "court.reject")
            return translator(self.language)("case.yes" if value else "case.no")
        if isinstance(value, dict):
            parts = [f"{self.text('field', k)} {v}" for k, v in
                     ((k, self.value(k, v, group)) for k, v in value.items() if has_label("field", k)) if v]
            return "；".join(parts) if parts else None
        if key in ("from", "to", "status"):
            kind = STATUS_KIND.get(group)
            return self.text(kind, value) if kind and has_label(kind, value) else None
        if key in USERS:
            return self.person(self.user(value))
        if key in TIMES:
            try:
                return format_shanghai(datetime.fromisoformat(str(value)))
            except ValueError:
                return None
        if key in LABELLED:
            kind = LABELLED[key]
            return self.text(kind, value) if has_label(kind, value) else None
        if key == "language":
            return {"zh-CN": "中文", "en": "English"}.get(str(value))
        if key == "category_code":
            return self.category(value)
        if key == "claim_amount":
            return _amount(value)
        if key in FREE_TEXT or key in CODES or key in ("draft_version", "version", "pages"):
            return str(value)
        return None

    def category(self, code: Any) -> str | None:
        return case_queries.category_name(self.session, code=str(code), language=self.language)

    def row(self, entry) -> Row:
        payload = json.loads(entry.payload) if isinstance(entry.payload, str) else dict(entry.payload or {})
        group = entry.action.split(".", 1)[0]
        who, who_key = self.actor(entry.actor)
        row = Row(seq=entry.seq, at=entry.at, who=who, who_key=who_key,
                  what=self.text("action", entry.action), group=group if group in GROUPS else "other",
                  target=self.target(entry.subject),
                  raw={"seq": entry.seq, "at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action,
                       "subject": entry.subject, "payload": payload, "prev_hash": entry.prev_hash,
                       "hash": entry.hash})
        before, after = payload.get("from"), payload.get("to")
        if before is not None or after is not None:
            old, new = self.value("from", before, group), self.value("to", after, group)
            if old or new:
                row.changes.append((self.text("field", "status") if not isinstance(after, dict)
                                    else self.text("field", "starts_at"), old or "—", new or "—"))
        for key, value in payload.items():
            if key in ("from", "to") or not has_label("field", key):
                continue
            words = self.value(key, value, group)
            if words:
                row.details.append((self.text("field", key), words, key in CODES))
        return row


@dataclass(frozen=True)
class Filters:
    who: str = ""
    what: str = ""
    start: date | None = None
    end: date | None = None

    def keep(self, row: Row) -> bool:
        day = row.at.astimezone(SHANGHAI).date()
        return ((not self.who or row.who_key == self.who) and (not self.what or row.group == self.what)
                and (self.start is None or day >= self.start) and (self.end is None or day <= self.end))


def timeline(session, case, language: str, filters: Filters = Filters()) -> dict:
    """The rows (oldest first), the people and groups to filter by, and the chain's integrity."""
    describer = Describer(session, case, language)
    rows = [describer.row(e) for e in case_trail(session, case.id)]
    chain = verify_chain(session)
    for r in rows:
        r.broken = not chain.ok and chain.first_broken_seq is not None and r.seq >= chain.first_broken_seq
    people = sorted({(r.who_key, r.who) for r in rows if r.who_key.startswith("user:")}, key=lambda p: p[1])
    return {"rows": [r for r in rows if filters.keep(r)], "total": len(rows), "people": people,
            "groups": [g for g in (*GROUPS, "other") if any(r.group == g for r in rows)], "chain": chain}


def render_timeline_pdf(*, case, rows, chain) -> bytes:
    """The timeline's rows as a PDF (zh-CN), rendered like the center's other papers."""
    return render_page_pdf(TIMELINE_TEMPLATE, case_number=case.number, rows=rows, chain=chain, generated_at=utcnow())
