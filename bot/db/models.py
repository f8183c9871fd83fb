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
from enum import StrEnum
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


class LinkRole(StrEnum):
    LEAD = "lead"  # cơ quan chủ trì: reminded, owns the status
    SUPPORT = "support"  # cơ quan phối hợp: informed


class ChatRole(StrEnum):
    AGENCY = "agency"  # an agency's group or its focal point's private chat
    LEADERS = "leaders"  # provincial leaders: digests, extension approvals


class DueOrigin(StrEnum):
    IMPORT = "import"  # from the plan's deadline; re-imports reconcile these
    ADMIN = "admin"  # set by an admin (e.g. the date of an event deadline); imports leave it


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

    province: Mapped[Province] = relationship()


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("plan_id", "ref"),)

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


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_history_change(state: ORMExecuteState) -> None:
    # `session.execute(update(StatusChange)...)` skips the mapper events above.
    if (state.is_update or state.is_delete) and any(
        m.class_ is StatusChange for m in state.all_mappers
    ):
        raise HistoryImmutableError("status_changes is append-only: bulk UPDATE/DELETE refused")
