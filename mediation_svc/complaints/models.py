"""Contacts (咨询 and 投诉), their forwarding (转办) to institutions, answers, conversation and attachments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..db import Money, UTCDateTime, utcnow

OPEN_SQL = "status IN ('forwarded', 'answered', 'not_accepted', 'mediation_offered')"
URGENT_SQL = "urgent IS TRUE AND first_response_at IS NULL"


class Contact(SQLModel, table=True):
    """Every contact from any channel: a consultation answered on the spot, or a complaint."""

    __tablename__ = "contacts"
    __table_args__ = (sa.Index("ix_contacts_board", "status", "deadline_on"),
                      sa.Index("ix_contacts_institution", "institution_id", "status"),
                      # The board's main list: open complaints with a deadline, in deadline order.
                      sa.Index("ix_contacts_open_deadline", "deadline_on", "id", postgresql_where=sa.text(OPEN_SQL),
                               sqlite_where=sa.text(OPEN_SQL)),
                      # Urgent complaints nobody has responded to yet: first on the board, and counted.
                      sa.Index("ix_contacts_urgent_open", "urgent_due_at", "id", postgresql_where=sa.text(URGENT_SQL),
                               sqlite_where=sa.text(URGENT_SQL)))

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=60, unique=True)
    kind: str = Field(max_length=20)  # consultation | complaint
    channel: str = Field(max_length=20)  # hotline | web | wechat | letter | visit
    status: str = Field(max_length=30, index=True)
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    consumer_name: str = Field(max_length=200)
    consumer_phone: str | None = Field(default=None, max_length=32)
    consumer_id_number: str | None = Field(default=None, max_length=40)
    # Who filed it, when not the consumer (an agent: 代理人); and the contact details given for the complaint,
    # which the surrender-risk signals compare across complaints.
    representative_name: str | None = Field(default=None, max_length=80)
    contact_phone: str | None = Field(default=None, max_length=32, index=True)
    contact_address: str | None = Field(default=None, max_length=300)
    refund_account: str | None = Field(default=None, max_length=40, index=True)
    topic: str | None = Field(default=None, max_length=200)  # consultation topic
    answer: str | None = Field(default=None, max_length=5000)  # consultation answer
    institution_id: int | None = Field(default=None, foreign_key="institutions.id")
    institution_branch: str | None = Field(default=None, max_length=200)
    category_code: str | None = Field(default=None, foreign_key="case_categories.code", max_length=40)
    facts: str | None = Field(default=None, max_length=20000)
    request: str | None = Field(default=None, max_length=5000)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    urgent: bool = False
    urgent_reason: str | None = Field(default=None, max_length=500)
    urgent_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    forwarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    forwarded_on: date | None = None
    limit_days: int | None = None
    deadline_on: date | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=30)  # settled | rejected | mediation_requested
    settled_amount: Decimal | None = Field(default=None, sa_type=Money)
    outcome_text: str | None = Field(default=None, max_length=5000)
    consumer_accepted: bool | None = None
    consumer_comment: str | None = Field(default=None, max_length=1000)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    status_reason: str | None = Field(default=None, max_length=1000)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    risk_flags: str | None = Field(default=None, max_length=300)  # comma-separated signal codes, for the officer
    # Filed by the consumer themself (/my, a proved phone), not recorded by an officer: an officer checks it first.
    filed_by_consumer: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    wants_mediation: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    preferred_language: str | None = Field(default=None, max_length=40)  # 普通话, 粤语, 客家话, English...
    needs_elderly_support: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    needs_interpreter: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Extension(SQLModel, table=True):
    """A longer time limit for the institution's answer, with its reason (and approver for the last 30 days)."""

    __tablename__ = "complaint_extensions"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    kind: str = Field(max_length=20)  # complex | approved
    days: int
    reason: str = Field(max_length=1000)
    approved_by: str | None = Field(default=None, max_length=120)
    deadline_before: date
    deadline_after: date
    user_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Message(SQLModel, table=True):
    """The conversation between the center's officer and the institution about one complaint."""

    __tablename__ = "complaint_messages"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    side: str = Field(max_length=20)  # center | institution
    user_id: int = Field(foreign_key="users.id")  # the officer or the institution's user who wrote it
    body: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Attachment(SQLModel, table=True):
    __tablename__ = "complaint_attachments"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    side: str = Field(max_length=20)  # center | institution | consumer
    user_id: int | None = Field(default=None, foreign_key="users.id")  # None: the consumer, from a proved phone
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ConsumerLink(SQLModel, table=True):
    """The link in the consumer's SMS to accept or refuse the institution's answer: stored hashed, one use."""

    __tablename__ = "complaint_consumer_links"

    token_hash: str = Field(primary_key=True, max_length=64)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class InstitutionAccount(SQLModel, table=True):
    """An institution's complaint staff: the account's scope (the institution and, where set, one branch)."""

    __tablename__ = "institution_accounts"

    user_id: int = Field(primary_key=True, foreign_key="users.id", sa_column_kwargs={"autoincrement": False})
    institution_id: int = Field(foreign_key="institutions.id", index=True)
    branch: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RepresentativeNomination(SQLModel, table=True):
    """A person an institution account names to sign a mediation agreement for its institution on one case
    (授权签署代表). The officer's signing request takes the representative from here or names the account itself;
    an institution that works on the platform is never given a representative it did not choose (issue 17)."""

    __tablename__ = "representative_nominations"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    institution_id: int = Field(foreign_key="institutions.id")
    nominated_by_user_id: int = Field(foreign_key="users.id")
    name: str = Field(max_length=200)
    phone: str = Field(max_length=32)
    id_number: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
