"""Surrender-risk signals (代理退保, "退保黑产"): signs that a third party is coaching policyholders into
complaints for a fee. Matches are flagged for the officer and counted in the trend report; nothing is decided
automatically: a flag changes no state, no deadline and nobody's access.

Signals, each against the institution's other surrender complaints of the last ``WINDOW_DAYS`` days:
- ``shared_phone`` / ``shared_address`` / ``shared_account``: the contact phone, address or refund account
  given is also given for another consumer;
- ``scripted_text``: the facts read nearly the same as another consumer's (character trigram Jaccard);
- ``third_party_representative``: filed by someone who is not the policyholder;
- ``bulk_filing``: the same representative or contact phone filed ``BULK_COUNT`` or more in ``BULK_DAYS`` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from .models import Contact

WINDOW_DAYS = 180
BULK_DAYS = 7
BULK_COUNT = 3
SCRIPTED_SIMILARITY = 0.6
MIN_SCRIPT_TRIGRAMS = 20  # a short shared phrase ("理赔被拒") is a topic, not a script
MAX_COMPARED = 500
SIGNALS = ("shared_phone", "shared_address", "shared_account", "scripted_text", "third_party_representative",
           "bulk_filing")
SIGNAL_ZH = {"shared_phone": "多件投诉共用同一第三方电话", "shared_address": "多件投诉共用同一联系地址",
             "shared_account": "多件投诉共用同一收款账户", "scripted_text": "投诉内容高度雷同（疑似模板）",
             "third_party_representative": "非投保人本人代为投诉", "bulk_filing": "短期内批量投诉"}


@dataclass(frozen=True)
class Filing:
    id: int | None
    consumer: str
    received_at: datetime
    contact_phone: str | None = None
    consumer_phone: str | None = None
    address: str | None = None
    account: str | None = None
    representative: str | None = None
    facts: str = ""


def is_surrender(category_code: str | None, facts: str | None, request: str | None) -> bool:
    return category_code == "surrender" or "退保" in (facts or "") or "退保" in (request or "")


def _norm(value: str | None) -> str | None:
    value = "".join((value or "").split()).lower()
    return value or None


def trigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text if not ch.isspace() and ch not in "，。、；：！？,.;:!?")
    return {text[i:i + 3] for i in range(max(0, len(text) - 2))}


def similarity(a: str, b: str) -> float:
    first, second = trigrams(a), trigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def signals(new: Filing, others: list[Filing]) -> dict[int | None, set[str]]:
    """The signals raised by a new filing: on itself (key ``new.id``) and on the earlier filings it matches."""
    found: dict[int | None, set[str]] = {}

    def flag(filing: Filing, code: str) -> None:
        found.setdefault(filing.id, set()).add(code)

    if new.representative and _norm(new.representative) != _norm(new.consumer):
        flag(new, "third_party_representative")
    third_party_phone = new.contact_phone if new.contact_phone and new.contact_phone != new.consumer_phone else None
    new_facts = trigrams(new.facts)
    if len(new_facts) < MIN_SCRIPT_TRIGRAMS:
        new_facts = set()
    recent = [o for o in others if new.received_at - o.received_at <= timedelta(days=BULK_DAYS)]
    for other in others:
        if _norm(other.consumer) == _norm(new.consumer):
            continue
        for code, mine, theirs in (("shared_phone", third_party_phone, other.contact_phone),
                                   ("shared_address", _norm(new.address), _norm(other.address)),
                                   ("shared_account", _norm(new.account), _norm(other.account))):
            if mine and theirs and mine == theirs:
                flag(new, code)
                flag(other, code)
        their_facts = trigrams(other.facts) if new_facts else set()
        if new_facts and their_facts and len(new_facts & their_facts) / len(new_facts | their_facts) >= SCRIPTED_SIMILARITY:
            flag(new, "scripted_text")
            flag(other, "scripted_text")
    for key in ("representative", "contact_phone"):
        mine = _norm(getattr(new, key))
        if not mine:
            continue
        same = [o for o in recent if _norm(getattr(o, key)) == mine]
        if len(same) + 1 >= BULK_COUNT:
            flag(new, "bulk_filing")
            for other in same:
                flag(other, "bulk_filing")
    return found


def _filing(c: Contact) -> Filing:
    return Filing(c.id, c.consumer_name, c.received_at, c.contact_phone, c.consumer_phone, c.contact_address,
                  c.refund_account, c.representative_name, c.facts or "")


def flag(session: Session, *, contact: Contact) -> list[str]:
    """Check a new complaint against the institution's recent surrender complaints and store the flags."""
    if contact.kind != "complaint" or not is_surrender(contact.category_code, contact.facts, contact.request):
        return []
    since = contact.received_at - timedelta(days=WINDOW_DAYS)
    surrender = sa.or_(col(Contact.category_code) == "surrender", col(Contact.facts).contains("退保"),
                       col(Contact.request).contains("退保"))
    others = list(session.exec(select(Contact).where(
        col(Contact.kind) == "complaint", col(Contact.id) != contact.id,
        col(Contact.institution_id) == contact.institution_id,
        col(Contact.received_at) >= since, col(Contact.received_at) <= contact.received_at, surrender)
        .order_by(col(Contact.received_at).desc()).limit(MAX_COMPARED)).all())
    by_id = {o.id: o for o in others}
    found = signals(_filing(contact), [_filing(o) for o in others])
    for contact_id, codes in found.items():
        target = contact if contact_id == contact.id else by_id[contact_id]
        merged = sorted(set(filter(None, (target.risk_flags or "").split(","))) | codes)
        target.risk_flags = ",".join(merged)
        session.add(target)
    session.flush()
    return sorted(found.get(contact.id, set()))
