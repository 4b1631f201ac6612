"""Reminders to institutions about complaints whose answer is due soon or overdue (run from cron, daily).

At most one reminder per complaint per Beijing day, to each active account of the institution (and branch)
with a phone; the officer's board shows the same states. Each reminder is an outbox message in the same
transaction as the check, so a crashed run sends nothing twice; and one run at a time (on PostgreSQL a
transaction-level advisory lock, taken before the check), so the same cron line on two hosts does not either.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from ..cases.models import Institution
from ..cases.service import workday_calendar
from ..config import Settings
from ..db import advisory_lock
from ..notifications.models import Channel, OutboxMessage
from ..notifications.outbox import enqueue
from ..timeutil import SHANGHAI, today_in_shanghai
from . import policy
from .models import Contact
from .policy import Status
from .service import institution_accounts

KIND = "complaint_deadline_reminder"
RUN_LOCK = 7_316_017  # advisory lock key: one reminder run at a time across hosts (beside audit's FOLD_LOCK)


def send_reminders(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Queue today's reminders; returns how many. A run that starts while another is under way waits for it,
    then finds its reminders already sent."""
    advisory_lock(session, RUN_LOCK)
    today = today_in_shanghai(now)
    calendar = workday_calendar(session)
    horizon = calendar.add_workdays(today, settings.complaint_soon_working_days)
    start_of_day = datetime.combine(today, time(0), SHANGHAI)
    already = set(session.exec(select(col(OutboxMessage.ref)).where(col(OutboxMessage.kind) == KIND,
                                                                    col(OutboxMessage.created_at) >= start_of_day))
                  .all())
    due = session.exec(select(Contact).where(col(Contact.status) == Status.FORWARDED.value,
                                             col(Contact.deadline_on) <= horizon)
                       .order_by(col(Contact.deadline_on))).all()
    names = dict(session.exec(select(Institution.id, Institution.name)).all())
    sent = 0
    for contact in due:
        ref = f"complaint:{contact.id}"
        deadline_on = contact.deadline_on
        if ref in already or deadline_on is None:  # (never None: the query asks for deadlines up to the horizon)
            continue
        state = policy.deadline_state(calendar, today=today, deadline_on=deadline_on,
                                      soon_days=settings.complaint_soon_working_days)
        what = "已超过答复期限" if state == "overdue" else "即将到期"
        for staff in institution_accounts(session, contact):
            if not staff.phone:
                continue
            enqueue(session, kind=KIND, channel=Channel.SMS, recipient=staff.phone, recipient_name=staff.display_name,
                    recipient_user_id=staff.id, ref=ref, expires_at=start_of_day + timedelta(days=1),
                    body=f"【{settings.center_name}】转办投诉{contact.number}（{names.get(contact.institution_id, '')}）"
                         f"{what}（期限{deadline_on.isoformat()}），请尽快处理并在平台反馈。")
            sent += 1
    session.flush()
    return sent
