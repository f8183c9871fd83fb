"""The database schema (SQLAlchemy 2 typed ORM).

Every plan, agency and chat belongs to a province, so one database can serve
several provinces. Rows that people act on are never deleted: a task that
disappears from an edited plan is marked `removed`, a due item that is no longer
due is `cancelled`, and the status history is append-only (guarded here for the
ORM, and by a trigger in the database).

Relationships use the default lazy loading: in async code load them explicitly
(`selectinload(...)`) or through `await obj.awaitable_attrs.name`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    inspect,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    relationship,
)

from bot.db.types import StrEnumType, UTCDateTime, enum_check
from bot.domain.channels import Channel
from bot.domain.escalation import Rung
from bot.domain.kinds import (
    ChatRole,
    DigestRunStatus,
    DueOrigin,
    ExtensionState,
    FlowState,
    HoldKind,
    LinkRole,
    OutboxKind,
    OutboxStatus,
    PromptKind,
)
from bot.domain.status import ChangeSource, Status

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(none_as_null=True)}


class Province(Base):
    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)  # directory slug: "phu-tho"
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("province_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    code: Mapped[str] = mapped_column(String(64))  # directory code: "STP"
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str | None] = mapped_column(String(32))  # directory kind: "so", "ubnd_huyen", ...
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Accent-insensitive key of the name and aliases ("|"-joined), for name search in SQL.
    search_key: Mapped[str] = mapped_column(Text, default="")
    # 2025 reorganisation: whose tasks this agency's successor inherits.
    successor_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    successor: Mapped[Agency | None] = relationship(remote_side=[id])


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("province_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    number: Mapped[str] = mapped_column(String(64))  # "1782/KH-UBND"
    title: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(Text)
    issued_on: Mapped[date | None] = mapped_column(Date)
    signer: Mapped[str | None] = mapped_column(String(255))
    first_year: Mapped[int | None] = mapped_column(Integer)
    last_year: Mapped[int | None] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)  # first import
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # last import that changed it
    # The day the bot began following the plan (migration 0007_follow_from): items due before
    # it were imported as "chưa cập nhật" (Status.UNKNOWN), not overdue. NULL: from the start.
    follow_from: Mapped[date | None] = mapped_column(Date)

    province: Mapped[Province] = relationship()


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("plan_id", "ref"),
        Index(None, "plan_id", "removed"),  # tasks per plan counted from the index alone (0018)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    ref: Mapped[str] = mapped_column(String(64))  # stable within the plan: "12", "II.3.a.2"
    position: Mapped[int] = mapped_column(Integer)  # order in the document
    section: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    product: Mapped[str | None] = mapped_column(Text)
    lead_text: Mapped[str | None] = mapped_column(Text)
    support_text: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    deadline_text: Mapped[str] = mapped_column(Text)
    deadline_rule: Mapped[dict[str, Any]] = mapped_column(JSON)  # bot.db.codec.deadline_to_json
    deadline_kind: Mapped[str] = mapped_column(String(16))  # DeadlineKind value
    assumed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    needs_review: Mapped[list[str]] = mapped_column(JSON, default=list)  # ReviewReason values
    removed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    plan: Mapped[Plan] = relationship()
    links: Mapped[list[TaskAgency]] = relationship(
        back_populates="task", cascade="all, delete-orphan", passive_deletes=True
    )


class TaskAgency(Base):
    __tablename__ = "task_agencies"
    __table_args__ = (CheckConstraint(enum_check("role", LinkRole), name="role"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    role: Mapped[LinkRole] = mapped_column(StrEnumType(LinkRole, 16), primary_key=True)

    task: Mapped[Task] = relationship(back_populates="links")
    agency: Mapped[Agency] = relationship()


class DueItem(Base):
    """One thing one lead agency must have done by one date: what reminders are about."""

    __tablename__ = "due_items"
    __table_args__ = (
        UniqueConstraint("task_id", "agency_id", "original_due_on"),
        Index(None, "agency_id", "due_on"),
        Index(None, "status", "due_on"),
        Index(None, "due_on"),  # the console's task list, in due order, a page at a time
        CheckConstraint(enum_check("status", Status), name="status"),
        CheckConstraint(enum_check("origin", DueOrigin), name="origin"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    due_on: Mapped[date] = mapped_column(Date)  # moves when an extension is granted
    original_due_on: Mapped[date] = mapped_column(Date)  # from the plan: the identity
    status: Mapped[Status] = mapped_column(
        StrEnumType(Status), default=Status.PENDING, server_default=Status.PENDING.value
    )
    progress: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_on: Mapped[date | None] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    origin: Mapped[DueOrigin] = mapped_column(
        StrEnumType(DueOrigin, 16), default=DueOrigin.IMPORT, server_default=DueOrigin.IMPORT.value
    )
    # An item of unknown status is listed for confirmation once: the day it was (0007).
    asked_on: Mapped[date | None] = mapped_column(Date)

    task: Mapped[Task] = relationship()
    agency: Mapped[Agency] = relationship()
    history: Mapped[list[StatusChange]] = relationship(
        viewonly=True, order_by="StatusChange.id"
    )


class StatusChange(Base):
    """Append-only history of a due item: who said what, when, from where."""

    __tablename__ = "status_changes"
    __table_args__ = (
        CheckConstraint(enum_check("source", ChangeSource), name="source"),
        Index(None, "due_item_id", "at"),
        Index(None, "at"),  # the rows since a date: who answered this year, what changed since a day (0018)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    due_item_id: Mapped[int] = mapped_column(ForeignKey("due_items.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[ChangeSource] = mapped_column(StrEnumType(ChangeSource, 16))
    old_status: Mapped[Status | None] = mapped_column(StrEnumType(Status))
    new_status: Mapped[Status] = mapped_column(StrEnumType(Status))
    progress: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Which messaging channel the words came by: "telegram", "zalo" (migration 0007_zalo);
    # NULL for imports, the system and rows written before 0007.
    channel: Mapped[str | None] = mapped_column(String(16))
    # The item's due and completion dates after this change (migration 0005_digests), so the
    # history alone says what was true on any past date (digests "as of"). Filled from the
    # item by `_snapshot_dates` below; NULL on rows written before 0005.
    due_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)

    due_item: Mapped[DueItem] = relationship()


class Chat(Base):
    """A Telegram chat bound to an agency (several chats per agency allowed) or the leaders."""

    __tablename__ = "chats"
    __table_args__ = (CheckConstraint(enum_check("role", ChatRole), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    tg_chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[ChatRole] = mapped_column(StrEnumType(ChatRole, 16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    bound_by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency | None] = relationship()


# --- the history is append-only -------------------------------------------------------


class HistoryImmutableError(Exception):
    """Raised when code tries to change or delete a status history row."""


def _refuse_history_change(mapper: Any, connection: Any, target: StatusChange) -> None:
    raise HistoryImmutableError(
        f"status_changes is append-only: row {target.id} may not be updated or deleted"
    )


event.listen(StatusChange, "before_update", _refuse_history_change)
event.listen(StatusChange, "before_delete", _refuse_history_change)


@event.listens_for(StatusChange, "before_insert")
def _snapshot_dates(mapper: Any, connection: Any, target: StatusChange) -> None:
    # Every writer (import, replies, buttons, /dathan) gets this without passing anything:
    # the row records the item's dates as they are after the change. Only an item already
    # attached to the row is read (never a lazy load inside a flush).
    item = inspect(target).attrs.due_item.loaded_value
    if isinstance(item, DueItem):
        if target.due_on is None:
            target.due_on = item.due_on
        if target.completed_on is None and target.new_status is Status.DONE:
            target.completed_on = item.completed_on


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_history_change(state: ORMExecuteState) -> None:
    # `session.execute(update(StatusChange)...)` skips the mapper events above.
    if (state.is_update or state.is_delete) and any(
        m.class_ is StatusChange for m in state.all_mappers
    ):
        raise HistoryImmutableError("status_changes is append-only: bulk UPDATE/DELETE refused")


# --- bot flows (migration 0002_bot) -------------------------------------------------
# Multi-step chat flows are rows, not ConversationHandler memory: a restart or a second
# process loses nothing, and a stale or repeated button press finds the row already decided.

from sqlalchemy import LargeBinary  # noqa: E402


class PendingUpload(Base):
    """A plan file an admin sent to the bot, parsed but not stored until confirmed."""

    __tablename__ = "pending_uploads"
    __table_args__ = (CheckConstraint(enum_check("state", FlowState), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger)
    tg_chat_id: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(255))
    file_id: Mapped[str | None] = mapped_column(String(255))  # Telegram's, to download again
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # the bytes (files are small)
    sha256: Mapped[str] = mapped_column(String(64))
    province_slug: Mapped[str | None] = mapped_column(String(64))
    plan_number: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)  # what the admin was shown (plain text)
    # Corrections made in the console before importing (bot.services.uploads.review):
    # {"tasks": {ref: {field: value}}, "agencies": [{"code": …, "name": …}]}.
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    state: Mapped[FlowState] = mapped_column(StrEnumType(FlowState, 16), default=FlowState.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class BindRequest(Base):
    """A non-admin's /dangky: binds the chat to the agency once an admin approves."""

    __tablename__ = "bind_requests"
    __table_args__ = (CheckConstraint(enum_check("state", FlowState), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    tg_chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_title: Mapped[str | None] = mapped_column(String(255))
    requested_by_tg_id: Mapped[int] = mapped_column(BigInteger)
    requested_by_name: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[FlowState] = mapped_column(StrEnumType(FlowState, 16), default=FlowState.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column()

    agency: Mapped[Agency] = relationship()


class InviteLink(Base):
    """A one-time `t.me/<bot>?startgroup=<token>` link (/moi) that binds the group it is used in."""

    __tablename__ = "invite_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_by_tg_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_tg_chat_id: Mapped[int | None] = mapped_column(BigInteger)

    agency: Mapped[Agency] = relationship()


# --- channels and recipients (migration 0009_channels) ----------------------------------
# Telegram chats stay in `chats` (bound in Telegram itself). Every other way to reach an
# agency or a person is a Recipient: (channel, address), set by an admin (e-mail) or linked
# by the person (Zalo). An agency may have several; a leader is a recipient with role
# LEADERS and a name. A permanent delivery error marks it unreachable (kept, not deleted).


ONE_RECIPIENT = (
    "(CASE WHEN chat_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN admin_tg_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN recipient_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class Recipient(Base):
    """An address on a channel other than a Telegram chat: an agency's mailbox, a leader's
    e-mail, a focal point's Zalo account. One address is one recipient (unique per channel)."""

    __tablename__ = "recipients"
    __table_args__ = (
        UniqueConstraint("channel", "address"),
        CheckConstraint(enum_check("channel", Channel), name="channel"),
        CheckConstraint(enum_check("role", ChatRole), name="role"),
        CheckConstraint("role = 'leaders' OR agency_id IS NOT NULL", name="agency"),
        Index(None, "agency_id", "channel"),
        Index(None, "province_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))
    address: Mapped[str] = mapped_column(String(320))
    # AGENCY: reminders and the agency's notices; LEADERS: digests, reports, escalations.
    role: Mapped[ChatRole] = mapped_column(StrEnumType(ChatRole, 16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    person_name: Mapped[str | None] = mapped_column(String(255))  # a person (leader, focal point)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # An agency's mailbox: True — the daily reminder always (the agency chose e-mail);
    # False — only while the agency has no reachable Telegram group (migration 0017_email_always).
    always_remind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    unreachable_at: Mapped[datetime | None] = mapped_column()
    unreachable_reason: Mapped[str | None] = mapped_column(Text)
    created_by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency | None] = relationship()


# --- reminders: outbox, escalations, tick runs (migration 0003_reminders) -------------
# The database is the source of truth for reminders: a tick writes what must be sent into
# the outbox (one row per message, unique per recipient, day, kind and part, so repeating
# or racing ticks never add a second row), and the sender delivers rows one by one. See
# bot/db/outbox.py for the life of a row and what a crash in the middle costs.


class OutboxMessage(Base):
    """One message to deliver, with its delivery state."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("chat_id", "on_date", "kind", "part"),
        UniqueConstraint("admin_tg_id", "on_date", "kind", "part"),
        UniqueConstraint("recipient_id", "on_date", "kind", "part"),
        CheckConstraint(ONE_RECIPIENT, name="recipient"),
        CheckConstraint(
            "(channel = 'telegram') = (recipient_id IS NULL) AND (channel = 'telegram') = (tg_chat_id IS NOT NULL)",
            name="channel_address",
        ),
        CheckConstraint(enum_check("kind", OutboxKind), name="kind"),
        CheckConstraint(enum_check("status", OutboxStatus), name="status"),
        CheckConstraint(enum_check("channel", Channel), name="channel"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "channel", "status", "next_attempt_at"),
        Index(None, "tg_chat_id", "tg_message_id"),
        Index(None, "on_date", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The channel the row goes by: each channel's sender claims only its own rows.
    channel: Mapped[Channel] = mapped_column(
        StrEnumType(Channel, 16), default=Channel.TELEGRAM, server_default=Channel.TELEGRAM.value
    )
    # Exactly one recipient: a bound Telegram chat (agency or leaders), an admin's private
    # Telegram chat, or a Recipient (an e-mail address, a Zalo account: migration 0007).
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    admin_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id"))
    tg_chat_id: Mapped[int | None] = mapped_column(BigInteger)  # Telegram: where it went (follows migrations)
    subject: Mapped[str | None] = mapped_column(Text)  # e-mail: the subject line
    alt_body: Mapped[str | None] = mapped_column(Text)  # e-mail: the plain-text part beside the HTML body
    delivery_ref: Mapped[str | None] = mapped_column(String(255))  # other channels: Message-ID, message id
    on_date: Mapped[date] = mapped_column(Date)  # the province's day it belongs to
    kind: Mapped[OutboxKind] = mapped_column(StrEnumType(OutboxKind, 16))
    part: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    parts: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    body: Mapped[str] = mapped_column(Text)  # rendered for the channel when queued (Telegram/e-mail HTML, Zalo text)
    buttons: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))  # [[[label, data]]]
    # The due items the message numbers, in order (number = first_number + index).
    due_item_ids: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    first_number: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    status: Mapped[OutboxStatus] = mapped_column(
        StrEnumType(OutboxStatus, 16), default=OutboxStatus.PENDING, server_default=OutboxStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    # kind EDIT: the message to rewrite — an outbox row's (its tg_message_id once sent), or a
    # message the bot sent directly (migration 0019_outbox_edits).
    edit_of: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    edit_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Telegram: the message this one answers (sent without it if that one is gone; 0020).
    reply_to_message_id: Mapped[int | None] = mapped_column(BigInteger)

    chat: Mapped[Chat | None] = relationship()


class OutboxFile(Base):
    """A file that goes with an outbox row (e-mail: an attachment, or an inline image when
    `content_id` is set). Rendered when queued, like the body: the sender only sends."""

    __tablename__ = "outbox_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(127))
    content_id: Mapped[str | None] = mapped_column(String(127))  # inline (cid:…) rather than attached
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Escalation(Base):
    """An overdue item brought to a rung of the escalation ladder — the office (the admins)
    or the leaders — once per item, due date and rung (migration 0016_escalation_rungs)."""

    __tablename__ = "escalations"
    __table_args__ = (CheckConstraint(enum_check("rung", Rung), name="rung"),)

    due_item_id: Mapped[int] = mapped_column(ForeignKey("due_items.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)  # an extension re-arms it
    rung: Mapped[Rung] = mapped_column(
        StrEnumType(Rung, 16), primary_key=True, default=Rung.LEADERS, server_default=Rung.LEADERS.value
    )
    escalated_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderRun(Base):
    """A reminder tick that completed for a day (the catch-up's "already done today?")."""

    __tablename__ = "reminder_runs"

    on_date: Mapped[date] = mapped_column(Date, primary_key=True)
    first_run_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_at: Mapped[datetime] = mapped_column(default=utcnow)
    runs: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


# --- status replies: prompts, undo, extension requests (migration 0004_replies) ---------
# A status change can come from a button, a command or a free-text reply (bot.domain.replies).
# What the bot is waiting for — a confirmation of what it understood, the line explaining a
# blocker, the date of an extension — is a row here, never process memory; so are the messages
# that number due items (task cards, confirmations), so that a reply to them maps back.


class StatusPrompt(Base):
    """A question the bot asked about a status change, answered by a button or a reply."""

    __tablename__ = "status_prompts"
    __table_args__ = (
        CheckConstraint(enum_check("kind", PromptKind), name="kind"),
        CheckConstraint(enum_check("state", FlowState), name="state"),
        CheckConstraint(enum_check("source", ChangeSource), name="source"),
        Index(None, "tg_chat_id", "prompt_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PromptKind] = mapped_column(StrEnumType(PromptKind, 16))
    state: Mapped[FlowState] = mapped_column(StrEnumType(FlowState, 16), default=FlowState.PENDING)
    tg_chat_id: Mapped[int] = mapped_column(BigInteger)
    tg_user_id: Mapped[int] = mapped_column(BigInteger)  # who may answer (and admins)
    actor_name: Mapped[str | None] = mapped_column(String(255))
    prompt_message_id: Mapped[int | None] = mapped_column(BigInteger)  # the bot's question
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)  # what it came from
    source: Mapped[ChangeSource] = mapped_column(StrEnumType(ChangeSource, 16))
    # CONFIRM: {"options": [Planned JSON…], "question": reason}; NOTE/EXTENSION: {"planned": …}
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()


class ItemMessage(Base):
    """A message of the bot that numbers due items (a task card, a confirmation, a question):
    a reply or a file sent in answer to it is about those items."""

    __tablename__ = "item_messages"
    __table_args__ = (UniqueConstraint("tg_chat_id", "tg_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tg_chat_id: Mapped[int] = mapped_column(BigInteger)
    tg_message_id: Mapped[int] = mapped_column(BigInteger)
    due_item_ids: Mapped[list[int]] = mapped_column(JSON)
    numbers: Mapped[list[int]] = mapped_column(JSON)  # the number each item has in the message
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExtensionRequest(Base):
    """An agency's request for a later due date, decided by the leaders (or an admin)."""

    __tablename__ = "extension_requests"
    __table_args__ = (
        CheckConstraint(enum_check("state", ExtensionState), name="state"),
        CheckConstraint(enum_check("prev_status", Status), name="prev_status"),
        # At most one open request per due item (a partial unique index on both databases).
        Index(
            "ux_extension_requests_pending",
            "due_item_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index(None, "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    due_item_id: Mapped[int] = mapped_column(ForeignKey("due_items.id"), index=True)
    state: Mapped[ExtensionState] = mapped_column(
        StrEnumType(ExtensionState, 16), default=ExtensionState.PENDING
    )
    current_due_on: Mapped[date] = mapped_column(Date)  # the due date when asked
    proposed_due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_status: Mapped[Status] = mapped_column(StrEnumType(Status))  # restored on rejection
    prev_progress: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    requested_by_tg_id: Mapped[int] = mapped_column(BigInteger)
    requested_by_name: Mapped[str | None] = mapped_column(String(255))
    tg_chat_id: Mapped[int] = mapped_column(BigInteger)  # the agency chat it came from
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    request_change_id: Mapped[int | None] = mapped_column(ForeignKey("status_changes.id"))
    # Where the Approve / Reject buttons were posted: [[tg_chat_id, message_id], …]
    posts: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_by_name: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_change_id: Mapped[int | None] = mapped_column(ForeignKey("status_changes.id"))

    due_item: Mapped[DueItem] = relationship()


class StatusUndo(Base):
    """What a change replaced, so that "Hoàn tác" can put it back — by a NEW history row."""

    __tablename__ = "status_undos"
    __table_args__ = (CheckConstraint(enum_check("prev_status", Status), name="prev_status"),)

    change_id: Mapped[int] = mapped_column(ForeignKey("status_changes.id"), primary_key=True)
    due_item_id: Mapped[int] = mapped_column(ForeignKey("due_items.id"), index=True)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    prev_status: Mapped[Status] = mapped_column(StrEnumType(Status))
    prev_progress: Mapped[int] = mapped_column(Integer)
    prev_completed_on: Mapped[date | None] = mapped_column(Date)
    prev_due_on: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[datetime] = mapped_column()
    undone_at: Mapped[datetime | None] = mapped_column()
    undone_by_change_id: Mapped[int | None] = mapped_column(ForeignKey("status_changes.id"))


# --- digests (migration 0005_digests) ----------------------------------------------------
# The reminder outbox carries one HTML text per row and its sender only sends text; a digest
# is several texts, a chart and a workbook, so each (chat, kind, as-of date) gets a row of
# its own: the unique key makes the weekly/monthly digest go out once per period however
# many ticks or processes race, and `parts_sent` lets a retry resume where a failure stopped.


class DigestRun(Base):
    """One scheduled digest (weekly or monthly) for one leaders' chat."""

    __tablename__ = "digest_runs"
    __table_args__ = (
        UniqueConstraint("chat_id", "kind", "as_of"),
        CheckConstraint("kind IN ('week', 'month')", name="kind"),
        CheckConstraint(enum_check("status", DigestRunStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    kind: Mapped[str] = mapped_column(String(8))  # bot.domain.digest.DigestKind value
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[DigestRunStatus] = mapped_column(
        StrEnumType(DigestRunStatus, 16), default=DigestRunStatus.PENDING,
        server_default=DigestRunStatus.PENDING.value,
    )
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


# --- web console (migration 0006_web) -----------------------------------------------------
# Sign-in without passwords (bot/web/auth.py): `/web` in a private chat gives a one-time link
# (a WebLogin row: only its hash is stored), opening it creates a WebSession (the cookie holds
# the secret, the row its hash). Corrections of a task (lead, deadline, …) are kept by
# (province, plan number, task ref), not by task id: an edited version of the same plan
# imported again gets them back (bot/services/corrections.py), and they are its history.


class WebLogin(Base):
    """A one-time sign-in link: valid until expires_at, used once."""

    __tablename__ = "web_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A signed-in browser: who, what they may see (checked again at sign-in), until when."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_name: Mapped[str | None] = mapped_column(String(255))
    csrf: Mapped[str] = mapped_column(String(64))
    # {"admin": [province ids], "leader": [province ids], "agency": [agency ids]}
    grants: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class TaskCorrection(Base):
    """One correction of one field of a plan's task, by a person (append-only)."""

    __tablename__ = "task_corrections"
    __table_args__ = (Index(None, "province_id", "plan_number", "task_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    plan_number: Mapped[str] = mapped_column(String(64))
    task_ref: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(16))  # bot.domain.corrections.Field value
    old_value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Zalo (migration 0007_zalo) -------------------------------------------------------
# On Zalo the unit is a person: a focal point links their Zalo account to an agency once,
# with a one-time code the agency's group (or an admin) got from the Telegram bot; the
# account then receives the agency's reminders one to one and answers in plain words.
# Only a hash of the code is stored. The delivery address is a `Recipient` (channel zalo,
# migration 0009_channels); "1 xong" means the first item of the latest reminder delivered
# to it (the outbox row's due_item_ids: Zalo messages carry no reply-to).


class ZaloLinkCode(Base):
    """A one-time code linking a Zalo account to an agency: valid until expires_at, used once."""

    __tablename__ = "zalo_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_by_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by_chat_id: Mapped[str | None] = mapped_column(String(64))

    agency: Mapped[Agency] = relationship()


class ZaloRecipient(Base):
    """A person's Zalo account linked to an agency (one agency per account; relinking moves it)."""

    __tablename__ = "zalo_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    zalo_chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    zalo_user_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("zalo_link_codes.id"))
    unreachable_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)

    agency: Mapped[Agency] = relationship()


# --- following up: focal points (migration 0012_followup) ------------------------------
# A focal point (đầu mối) is a person who answers for an agency: registered with /daumoi in
# the agency's group, @mentioned in its reminders, optionally sent a copy in a private chat
# (that private chat is then one more of the agency's chats, see bot/services/focal.py).


class FocalPoint(Base):
    """A person who answers the bot for an agency (several per agency)."""

    __tablename__ = "focal_points"
    __table_args__ = (UniqueConstraint("agency_id", "tg_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(255))  # as Telegram gave it when registering
    username: Mapped[str | None] = mapped_column(String(64))
    private_copy: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    registered_in: Mapped[int] = mapped_column(BigInteger)  # the group's tg chat id
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


from bot.domain.calendar import DayKind as CalendarDayKind  # noqa: E402


class CalendarDay(Base):
    """A day an admin declared off or worked (from the Government's announcement), without
    editing data/holidays.yaml; wins over the file and the `holidays` package. One row a day."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint(enum_check("kind", CalendarDayKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[CalendarDayKind] = mapped_column(StrEnumType(CalendarDayKind, 16))
    note: Mapped[str | None] = mapped_column(Text)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderHold(Base):
    """Why reminders stop for an item or an agency (migration 0015_holds). Kept when it ends
    (`ended_at`): with the items' history rows it is the record of who stopped what and why."""

    __tablename__ = "reminder_holds"
    __table_args__ = (
        CheckConstraint(enum_check("kind", HoldKind), name="kind"),
        CheckConstraint("(due_item_id IS NULL) <> (agency_id IS NULL)", name="target"),
        Index(None, "due_item_id", "ended_at"),
        Index(None, "agency_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[HoldKind] = mapped_column(StrEnumType(HoldKind, 16))
    due_item_id: Mapped[int | None] = mapped_column(ForeignKey("due_items.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    until_on: Mapped[date | None] = mapped_column(Date)  # reminded again from this day (None: until ended)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by_tg_id: Mapped[int | None] = mapped_column(BigInteger)


class ItemFigure(Base):
    """Derived (migration 0018_item_figures): per due item that counts in the figures, what
    they need of it now, one narrow row. Written only by database triggers on due_items,
    tasks and status_changes (so no writer can forget it, bulk statements included), never
    by the application; not in backups (a restore rebuilds it as it inserts the items).

    Which items: not cancelled, task not removed, and dated by the plan (origin import) or
    by a history row (an admin's date exists from its first row). Their state: the item's
    own columns once it has a history row; before, as the plan made it (pending, due on
    its original date). `last_at`: its last history row (None: none), so the figures as of
    a day read the items unchanged since then from here and the others from the history;
    `dated_from`: the first history row of an item an admin dated (None for the plan's).
    """

    __tablename__ = "item_figures"
    __table_args__ = (
        # The figures' GROUP BY reads this index alone (SQLite: a covering scan).
        Index("ix_item_figures_counts", "plan_id", "agency_id", "status", "due_on", "completed_on", "last_at"),
        Index(None, "last_at"),
        Index(None, "task_id"),
        {"info": {"derived": True}},
    )

    due_item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    plan_id: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[Status] = mapped_column(StrEnumType(Status))
    due_on: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    last_at: Mapped[datetime | None] = mapped_column()
    dated_from: Mapped[datetime | None] = mapped_column()
