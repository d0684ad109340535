"""Typed SQLAlchemy models. Timestamps are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TextClause,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workflow.model import OPEN_TASK_STATUSES, UNDER_WAY_STATUSES

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no tz support) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PersonRow(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # Telegram refused a private message (blocked, or never pressed Start); cleared when the
    # person next writes to the bot in private.
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoleGrantRow(Base):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    leader: Mapped[bool] = mapped_column(Boolean, default=False)


class ChatRow(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str | None] = mapped_column(String(256))
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # False while the bot is out of the group (removed, or the chat is gone): the department's
    # messages go to its people in private until the bot is back.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The supergroup this group became; its binding moved there.
    migrated_to: Mapped[int | None] = mapped_column(BigInteger)


# The inbox's updates not yet handled, written as the query reads them (see _status_in).
UNHANDLED = text("status = 'new'")


class InboxRow(Base):
    """An update from Telegram, stored before Telegram is told it arrived, until handled.

    A redelivered update has the same id and the same content; an id seen before with other
    content is a new update (Telegram restarts its ids after a long pause, the sandbox after a
    restart), so both are kept in the digest.
    """

    __tablename__ = "inbox"
    # Every process looks each minute for updates left unhandled (bot.intake.LEFT_BEHIND).
    __table_args__ = (Index("ix_inbox_unhandled", "received_at", sqlite_where=UNHANDLED,
                            postgresql_where=UNHANDLED),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8))  # "new" | "done" | "failed" (given up)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Rounds of tries whose turn failed for a reason of its own (not the database away).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    failure: Mapped[str | None] = mapped_column(Text)  # the last round's reason
    # On PostgreSQL a turn takes its update for a while (the process lease) before its work,
    # instead of holding a transaction open around it: see storage.repositories.turns.
    taken_by: Mapped[str | None] = mapped_column(String(32))
    taken_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LeaseRow(Base):
    """Work only one process may do at a time (long polling one bot token), held for a while
    and renewed; a holder that dies leaves a lease that runs out."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEventRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)


class OrderDraftRow(Base):
    __tablename__ = "order_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    asking: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_order_drafts_author", "chat_id", "author_id", "status"),)


class OrderCounterRow(Base):
    """The last order number handed out on a day, so numbers stay short and sayable."""

    __tablename__ = "order_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


def _status_in(statuses: tuple[Any, ...]) -> TextClause:
    """A status filter written out in full, so that a partial index built on it and a query
    using it say the very same thing: SQLite only uses such an index on an identical term."""
    return text("status IN (" + ", ".join(f"'{s.value}'" for s in statuses) + ")")


# Live work is a sliver of years of history: the working queries read it through these.
UNDER_WAY = _status_in(UNDER_WAY_STATUSES)
OPEN_TASKS = _status_in(OPEN_TASK_STATUSES)
# Not archived: what the archive has not yet taken out of the working lists (see OrderRow).
LIVE_ORDER = text("archived_at IS NULL")


class OrderRow(Base):
    __tablename__ = "orders"
    # Years of archived orders must not slow the daily archiving or the lists of live orders:
    # the ended ones not yet archived are found through a partial index as small as they are.
    __table_args__ = (Index("ix_orders_under_way", "id", sqlite_where=UNDER_WAY,
                            postgresql_where=UNDER_WAY),
                      Index("ix_orders_live_status", "status", sqlite_where=LIVE_ORDER,
                            postgresql_where=LIVE_ORDER))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    customer: Mapped[str] = mapped_column(String(256), index=True)
    product: Mapped[str] = mapped_column(String(256))
    model: Mapped[str | None] = mapped_column(String(128))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    unit_price: Mapped[float | None] = mapped_column(Float)
    amount: Mapped[float | None] = mapped_column(Float)
    due_date: Mapped[date] = mapped_column(Date)
    complete_set: Mapped[bool] = mapped_column(Boolean, default=False)
    order_class: Mapped[str] = mapped_column(String(16), default="regular")
    notes: Mapped[str | None] = mapped_column(Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(BigInteger)
    # Indexed for /find by period.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set once an ended order has left the working lists; read-only from then on.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_open_due", "due_at", "id", sqlite_where=OPEN_TASKS,
                            postgresql_where=OPEN_TASKS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Indexed for the evaluation, which reads the tasks due or opened in one period.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress: Mapped[int | None] = mapped_column(Integer)
    progress_note: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[float | None] = mapped_column(Float)
    photo: Mapped[str | None] = mapped_column(String(256))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    # The chain as it stood when the task's escalation started, and the step it has reached:
    # a policy edit mid-escalation leaves an escalation under way as it began.
    escalation_chain: Mapped[list[str] | None] = mapped_column(JSON)
    escalation_step: Mapped[int | None] = mapped_column(Integer)


# Predicates of the timers' partial indexes. A query must state them literally to use them:
# SQLite matches an index's WHERE term for term, and a PostgreSQL generic plan cannot prove that
# a bound parameter implies it.
LIVE_TIMER = "status IN ('pending', 'leased')"
LEASED_TIMER = "status = 'leased'"


class TimerRow(Base):
    """A deadline we must act on; claimed by pollers with a lease, fired at most once."""

    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    # Done and cancelled timers pile up for the audit trail; partial indexes over live timers
    # keep a poll, a cancel and the next-wake query as cheap with a million rows as with a few.
    __table_args__ = (
        Index("ix_timers_live_due", "due_at", "id",
              postgresql_where=text(LIVE_TIMER), sqlite_where=text(LIVE_TIMER)),
        Index("ix_timers_live_subject", "subject",
              postgresql_where=text(LIVE_TIMER), sqlite_where=text(LIVE_TIMER)),
        Index("ix_timers_lease_until", "lease_until",
              postgresql_where=text(LEASED_TIMER), sqlite_where=text(LEASED_TIMER)),
    )


class OutboxRow(Base):
    """A message (or an edit, or a file) owed to a chat; survives restarts until Telegram
    confirms it, is rerouted, or is given up as a dead letter."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    order_number: Mapped[str | None] = mapped_column(String(32))
    text_key: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    buttons: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Bumped by every claim: the fencing token that keeps a sender whose lease ran out from
    # finishing a row another sender holds now.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    # An edit of one of the bot's messages instead of a new one.
    edit_message_id: Mapped[int | None] = mapped_column(BigInteger)
    markup_only: Mapped[bool] = mapped_column(Boolean, default=False,
                                              server_default=false())
    document_name: Mapped[str | None] = mapped_column(String(128))
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The file is a picture, shown in the chat rather than attached.
    as_photo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A long text goes out in parts; a retry continues after the last part Telegram took.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # When the network first failed for this row; the retry budget counts from here.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who caused it (the person whose message or tap it answers), told if it cannot go.
    origin_id: Mapped[int | None] = mapped_column(BigInteger)
    # For whom it is when it went elsewhere: a person mentioned in a group instead of their
    # private chat, or the chat it was first meant for.
    mention_id: Mapped[int | None] = mapped_column(BigInteger)
    rerouted_from: Mapped[int | None] = mapped_column(BigInteger)
    # A department's message sent to its people in private because it has no group.
    for_role: Mapped[str | None] = mapped_column(String(32))
    # The task its buttons act on: when the task closes, the buttons go from the message.
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)

    # The message ids find which order a reply to one of the bot's messages is about.
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),
                      Index("ix_outbox_chat_id_status", "chat_id", "status"),
                      Index("ix_outbox_chat_id_message_id", "chat_id", "message_id"),
                      Index("ix_outbox_chat_id_edit_message_id", "chat_id", "edit_message_id"))


class UrgeSlipRow(Base):
    __tablename__ = "urge_slips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    late: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EscalationPingRow(Base):
    """One escalation message a person got (or had folded into the digest) about one order at
    one step of its chain on one day: what keeps a person to one ping per order and step."""

    __tablename__ = "escalation_pings"
    __table_args__ = (Index("ix_escalation_pings_person_id_day", "person_id", "day"),
                      Index("ix_escalation_pings_listed_at_folded", "listed_at", "folded"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    task_ids: Mapped[list[int]] = mapped_column(JSON)
    folded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CatalogEntryRow(Base):
    """A customer or product name the parser should know before any order mentions it."""

    __tablename__ = "catalog_entries"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "customer" | "product"
    name: Mapped[str] = mapped_column(String(256))


class ChangeNoticeRow(Base):
    __tablename__ = "change_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                                 index=True)
    status: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    level: Mapped[int] = mapped_column(Integer)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CustomerCreditRow(Base):
    """信用评估: what finance keeps of a customer, by the name orders are taken under."""

    __tablename__ = "customer_credit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer: Mapped[str] = mapped_column(String(256), unique=True)
    credit_limit: Mapped[float | None] = mapped_column(Float)
    terms: Mapped[str | None] = mapped_column(String(256))
    risk: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebTokenRow(Base):
    """A customer's tracking link, a one-time login link or a desk session. Only a hash of
    the token is kept: a copy of the database opens no page."""

    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                                 index=True)
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
class DingTalkIdRow(Base):
    """A DingTalk conversation or staff id under the number the rest of Gendan knows it by
    (a group below zero, a person above), so workflow and storage stay Telegram-shaped."""

    __tablename__ = "dingtalk_ids"
    __table_args__ = (UniqueConstraint("external"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    external: Mapped[str] = mapped_column(String(128))  # openConversationId or staffId
    kind: Mapped[str] = mapped_column(String(8))  # "group" | "person"
    # The last title or nick seen: a card press names neither, and must not rename.
    name: Mapped[str | None] = mapped_column(String(256))


class DingTalkMessageRow(Base):
    """What a message the bot sent on DingTalk shows now: a card press names only the card,
    a quoted reply only the quoted text, and the handlers need the message itself."""

    __tablename__ = "dingtalk_messages"

    # "gendan_<chat>_<message>", the card's outTrackId: one key, as backups and copies want.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    # Its buttons as the Bot API's reply_markup: a reply names its task by them.
    markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
