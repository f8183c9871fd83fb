"""Status changes from buttons, replies and /capnhat: who may, what is valid, the history row,
undo, and extension requests with the leaders' decision.

Every function takes the caller's session (one per update) and never commits. A change is
checked on every press or reply — permission (the chat's scope), the item's current state
and, for buttons, the version the button was drawn for — so a forged or stale press changes
nothing and the caller can say why. Every change is one `change_status` call, hence one
history row; undo and decisions append rows too, history is never touched.

Permission (`access`):
- admins (ADMIN_IDS) may change any item, anywhere;
- a chat bound to the item's lead agency (or an agency merged into it) may change it;
- a chat bound to another agency linked to the task (a cooperating agency) may add a note;
- nobody else may do anything (the leaders decide extension requests, see `decide_extension`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import repositories as repo
from bot.db.models import (
    ChatRole,
    DueItem,
    ExtensionRequest,
    ExtensionState,
    FlowState,
    PromptKind,
    Province,
    StatusPrompt,
)
from bot.domain.admins import Admins
from bot.domain.codes import task_code
from bot.domain.replies import (
    ChangeKind,
    ContextItem,
    Intent,
    Planned,
    ReplyOutcome,
    completion_date,
    resolve_new_due,
)
from bot.domain.status import (
    ChangeSource,
    ExtensionOutcome,
    ItemState,
    Reason,
    Report,
    Right,
    Status,
    UndoReason,
    decide,
    decide_undo,
)
from bot.domain.status import decide_extension as extension_rule
from bot.logs import log_event
from bot.render.format import short_date
from bot.render.status import (
    EXTENSION_OVERTAKEN,
    GONE,
    NOT_LEADER,
    ExtensionView,
    ItemView,
    RecordedView,
    date_problem_text,
    extension_decided_text,
    report_refusal_text,
    state_phrase,
    undo_refusal_text,
)
from bot.services.chats import Scope, ScopeKind

log = logging.getLogger("nhacviec.status")

UNDO_WINDOW = timedelta(minutes=15)
PROMPT_TTL = timedelta(hours=24)
MAX_FILES_NOTE = 3



Access = Right  # what the acting user may do to one item: the domain's rights


@dataclass(frozen=True)
class Actor:
    tg_id: int
    name: str
    admin_of: frozenset[int] = frozenset()  # ids of the provinces the user administers

    @property
    def is_admin(self) -> bool:
        return bool(self.admin_of)

    def administers(self, province_id: int) -> bool:
        return province_id in self.admin_of


@dataclass(frozen=True)
class Env:
    """Who acts, where, when, and from which message."""

    scope: Scope
    actor: Actor
    now: datetime  # aware
    tz: ZoneInfo
    tg_chat_id: int
    message_id: int | None = None  # the message the change comes from (kept in the history)
    source: ChangeSource = ChangeSource.BUTTON
    channel: str = "telegram"  # the messaging channel the words came by (kept in the history)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)


def _log_change(event: str, env: Env, item: DueItem, change_id: int, old: Status | None, msg: str, **fields: Any) -> None:
    """One status event with its ids; chat_id and user_id are Telegram's."""
    log_event(
        log, event, msg, due_item_id=item.id, task_id=item.task_id, agency_id=item.agency_id,
        chat_id=env.tg_chat_id, user_id=env.actor.tg_id, change_id=change_id, old_status=old,
        new_status=item.status, source=env.source, **fields,
    )


def item_view(item: DueItem, number: int | None = None) -> ItemView:
    return ItemView(
        due_item_id=item.id,
        task_id=item.task_id,
        title=item.task.title,
        plan_number=item.task.plan.number,
        agency_name=item.agency.name,
        due_on=item.due_on,
        original_due_on=item.original_due_on,
        status=item.status,
        progress=item.progress or 0,
        completed_on=item.completed_on,
        number=number,
    )


def _state(item: DueItem, today: date) -> str:
    return state_phrase(
        item.status, item.progress or 0, due_on=item.due_on, completed_on=item.completed_on, today=today
    )


async def access(session: AsyncSession, env: Env, item: DueItem) -> Access:
    """What the acting user may do to the item in this chat (see the module doc)."""
    if env.actor.administers(item.task.plan.province_id):
        return Access.CHANGE
    scope = env.scope
    if scope.kind is not ScopeKind.AGENCY or item.task.plan.province_id not in scope.province_ids:
        return Access.NONE
    if item.agency_id in scope.agency_ids:
        return Access.CHANGE
    roles = await repo.task_agency_roles(session, task_id=item.task_id)
    if any(agency_id in scope.agency_ids for agency_id in roles):
        return Access.NOTE
    return Access.NONE


# --- one change --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What `apply` did: recorded, refused (why), or needs more input first."""

    item: ItemView | None = None
    recorded: RecordedView | None = None
    change_id: int | None = None
    undoable: bool = False
    refused: str | None = None
    stale: bool = False  # the button was drawn for an older state
    needs: PromptKind | None = None  # NOTE (a blocker's line) or EXTENSION (the date) first
    problem: str | None = None  # why the date could not be used
    intent: Intent | None = None
    extension_request_id: int | None = None  # new: post it to the leaders
    withdrawn_request_id: int | None = None  # overtaken by this change: update the leaders' posts


def _files_json(files: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(f) for f in files]


def _evidence(intent: Intent, files: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    evidence: dict[str, Any] = {}
    if intent.documents:
        evidence["documents"] = [d.as_json() for d in intent.documents]
    if files:
        evidence["files"] = _files_json(files)
    return evidence or None


def _history_note(intent: Intent, files: Sequence[dict[str, Any]], *, proposed: date | None = None) -> str | None:
    parts: list[str] = []
    if intent.kind is ChangeKind.EXTENSION and proposed is not None:
        parts.append(f"Đề nghị gia hạn đến {short_date(proposed)}" + (f": {intent.note}" if intent.note else ""))
    elif intent.note:
        parts.append(intent.note)
    elif intent.documents:
        parts.append("; ".join(d.text for d in intent.documents))
    if files:
        names = [str(f.get("name") or "tệp") for f in files[:MAX_FILES_NOTE]]
        parts.append("📎 Minh chứng: " + ", ".join(names))
    return " — ".join(parts) or None


async def apply(
    session: AsyncSession,
    env: Env,
    *,
    due_item_id: int,
    intent: Intent,
    number: int | None = None,
    version: int | None = None,
    files: Sequence[dict[str, Any]] = (),
) -> Outcome:
    """Record `intent` for one due item: the rules (`bot.domain.status.decide`) say whether
    and what; this loads the facts they need, writes the change and its history row."""
    item = await repo.get_due_item(session, due_item_id=due_item_id, lock=True)
    if item is None or item.cancelled or item.task.removed:
        return Outcome(refused=GONE)
    today = env.today
    view = item_view(item, number)
    right = await access(session, env, item)
    current = version is None or (
        right is not Access.NONE and version == await repo.latest_change_id(session, due_item_id=item.id)
    )
    pending = await repo.pending_extension_request(session, due_item_id=item.id)
    proposed = resolve_new_due(intent, due_on=item.due_on, today=today) if intent.kind is ChangeKind.EXTENSION else None
    report = Report(
        kind=intent.kind,
        progress=intent.progress,
        explained=bool(intent.note),
        evidence=bool(intent.note or intent.documents or files),
        proposed_due_on=proposed,
        bad_date=bool(intent.bad_date),
        current=current,
        completed_on=completion_date(intent, today),
    )
    facts = ItemState(
        status=item.status,
        progress=item.progress or 0,
        due_on=item.due_on,
        pending_extension_to=pending.proposed_due_on if pending is not None else None,
    )
    decision = decide(facts, report, right, today)
    if decision.refused:
        return Outcome(
            item=view,
            stale=decision.reason is Reason.STALE,
            refused=report_refusal_text(
                decision.reason, ref=view.ref, state=_state(item, today), completed_on=item.completed_on,
                pending_to=facts.pending_extension_to,
            ),
        )
    if decision.reason is Reason.NEEDS_NOTE:
        return Outcome(item=view, needs=PromptKind.NOTE, intent=intent)
    if decision.needs_more:
        problem = date_problem_text(decision.reason, typed=intent.bad_date, proposed=proposed, due_on=item.due_on)
        return Outcome(item=view, needs=PromptKind.EXTENSION, problem=problem, intent=intent)
    if decision.reason is Reason.NOTE_ADDED:
        note = Intent(ChangeKind.NOTE, note=intent.note, documents=intent.documents)
        return await _record(session, env, item, note, number=number, files=files, status=item.status, undoable=False)
    if decision.reason is Reason.EXTENSION_REQUESTED:
        assert proposed is not None
        return await _request_extension(session, env, item, intent, proposed, number=number, files=files)
    assert decision.status is not None
    outcome = await _record(
        session, env, item, intent, number=number, files=files, status=decision.status,
        progress=decision.progress, undoable=decision.undoable, completed_on=decision.completed_on,
    )
    if decision.withdraws_extension and pending is not None:
        await repo.decide_extension_request(
            session, request_id=pending.id, state=ExtensionState.CANCELLED, now=env.now,
            decided_by_tg_id=env.actor.tg_id, decided_by_name=env.actor.name,
        )
        outcome.withdrawn_request_id = pending.id
    return outcome


async def _record(
    session: AsyncSession,
    env: Env,
    item: DueItem,
    intent: Intent,
    *,
    number: int | None,
    files: Sequence[dict[str, Any]],
    status: Status,
    progress: int | None = None,
    undoable: bool,
    proposed: date | None = None,
    completed_on: date | None = None,
) -> Outcome:
    before = (item.status, item.progress or 0, item.completed_on, item.due_on)
    change = await repo.change_status(
        session,
        item=item,
        status=status,
        source=env.source,
        now=env.now,
        today=completed_on or env.today,
        progress=progress,
        actor_name=env.actor.name,
        actor_tg_id=env.actor.tg_id,
        note=_history_note(intent, files, proposed=proposed),
        evidence=_evidence(intent, files),
        chat_id=env.tg_chat_id,
        message_id=env.message_id,
        channel=env.channel,
    )
    _log_change(
        "status.changed" if undoable else "status.note", env, item, change.id, before[0],
        f"{task_code(item.task_id)}: {before[0].label} → {status.label} ({env.actor.name})",
        progress=item.progress,
    )
    if undoable:
        await repo.add_undo(
            session,
            change_id=change.id,
            due_item_id=item.id,
            actor_tg_id=env.actor.tg_id,
            prev_status=before[0],
            prev_progress=before[1],
            prev_completed_on=before[2],
            prev_due_on=before[3],
            expires_at=env.now + UNDO_WINDOW,
        )
    view = item_view(item, number)
    recorded = RecordedView(
        item=view,
        kind=intent.kind if status is not Status.DONE else ChangeKind.DONE,
        actor=env.actor.name,
        at=env.local_now,
        note=intent.note,
        documents=intent.documents,
        files=tuple(str(f.get("name") or "tệp") for f in files),
        proposed=proposed,
        unchanged=not undoable,
    )
    return Outcome(item=view, recorded=recorded, change_id=change.id, undoable=undoable)


async def _request_extension(
    session: AsyncSession,
    env: Env,
    item: DueItem,
    intent: Intent,
    proposed: date,
    *,
    number: int | None,
    files: Sequence[dict[str, Any]],
) -> Outcome:
    prev_status, prev_progress, current = item.status, item.progress or 0, item.due_on
    outcome = await _record(
        session, env, item, intent, number=number, files=files, status=Status.EXTENSION_REQUESTED,
        undoable=True, proposed=proposed,
    )
    request = await repo.add_extension_request(
        session,
        due_item_id=item.id,
        current_due_on=current,
        proposed_due_on=proposed,
        reason=intent.note,
        prev_status=prev_status,
        prev_progress=prev_progress,
        requested_by_tg_id=env.actor.tg_id,
        requested_by_name=env.actor.name,
        tg_chat_id=env.tg_chat_id,
        source_message_id=env.message_id,
        request_change_id=outcome.change_id,
        created_at=env.now,
    )
    outcome.extension_request_id = request.id
    log_event(
        log, "extension.requested",
        f"{task_code(item.task_id)}: đề nghị gia hạn từ {short_date(current)} đến {short_date(proposed)} ({env.actor.name})",
        request_id=request.id, due_item_id=item.id, task_id=item.task_id, agency_id=item.agency_id,
        chat_id=env.tg_chat_id, user_id=env.actor.tg_id, current_due_on=current, proposed_due_on=proposed,
    )
    return outcome


# --- undo --------------------------------------------------------------------------------------


@dataclass
class Undone:
    refused: str | None = None
    item: ItemView | None = None
    change_id: int | None = None  # the new history row
    withdrawn_request_id: int | None = None


async def undo(session: AsyncSession, env: Env, *, change_id: int, number: int | None = None) -> Undone:
    """Put back what change `change_id` replaced, as a new history row (never deleting it).

    Refused when: unknown change, already undone, too late (UNDO_WINDOW), someone else's
    change (admins excepted), the item changed since, or the chat may not change the item.
    """
    record = await repo.get_undo(session, change_id=change_id)
    item = await repo.get_due_item(session, due_item_id=record.due_item_id, lock=True) if record else None
    verdict = decide_undo(
        known=record is not None,
        undone=record is not None and record.undone_at is not None,
        expired=record is not None and env.now > record.expires_at,
        by_author=record is not None and record.actor_tg_id == env.actor.tg_id,
        admin=env.actor.is_admin,
        gone=item is None or item.cancelled,
        right=await access(session, env, item) if item is not None and not item.cancelled else Right.NONE,
        latest=item is not None and await repo.latest_change_id(session, due_item_id=item.id) == change_id,
    )
    window = int(UNDO_WINDOW.total_seconds() // 60)
    if verdict is not UndoReason.UNDONE:
        return Undone(refused=undo_refusal_text(verdict, window_minutes=window))
    assert record is not None and item is not None
    if not await repo.claim_undo(session, change_id=change_id, now=env.now):
        return Undone(refused=undo_refusal_text(UndoReason.ALREADY_UNDONE, window_minutes=window))
    withdrawn = None
    request = await repo.extension_request_for_change(session, change_id=change_id)
    if request is not None and request.state is ExtensionState.PENDING:
        await repo.decide_extension_request(
            session, request_id=request.id, state=ExtensionState.CANCELLED, now=env.now,
            decided_by_tg_id=env.actor.tg_id, decided_by_name=env.actor.name,
        )
        withdrawn = request.id
    old_label = _state(item, env.today)
    # Exactly what was there, through change_status (whose history row snapshots the dates):
    # a "done" keeps its own completion date, not today's.
    completed = record.prev_completed_on if record.prev_status is Status.DONE and record.prev_completed_on else env.today
    change = await repo.change_status(
        session,
        item=item,
        status=record.prev_status,
        source=env.source,
        now=env.now,
        today=completed,
        progress=record.prev_progress,
        new_due_on=record.prev_due_on if record.prev_due_on != item.due_on else None,
        actor_name=env.actor.name,
        actor_tg_id=env.actor.tg_id,
        note=f"Hoàn tác cập nhật “{old_label}”",
        chat_id=env.tg_chat_id,
        message_id=env.message_id,
        channel=env.channel,
    )
    await repo.set_undone_by(session, change_id=change_id, undone_by_change_id=change.id)
    _log_change(
        "status.undone", env, item, change.id, change.old_status,
        f"{task_code(item.task_id)}: hoàn tác “{old_label}” → {item.status.label} ({env.actor.name})",
        undone_change_id=change_id, withdrawn_request_id=withdrawn,
    )
    return Undone(item=item_view(item, number), change_id=change.id, withdrawn_request_id=withdrawn)


# --- extension requests: the leaders decide ---------------------------------------------------


async def extension_view(session: AsyncSession, request: ExtensionRequest, tz: ZoneInfo, *, withdrawn: str | None = None) -> ExtensionView | None:
    item = await repo.get_due_item(session, due_item_id=request.due_item_id)
    if item is None:
        return None
    approved = {ExtensionState.APPROVED: True, ExtensionState.REJECTED: False}.get(request.state)
    if request.state is ExtensionState.CANCELLED and withdrawn is None:
        withdrawn = "Đề nghị đã được rút hoặc không còn hiệu lực (nhiệm vụ đã được cập nhật)."
    return ExtensionView(
        request_id=request.id,
        item=item_view(item),
        current_due_on=request.current_due_on,
        proposed_due_on=request.proposed_due_on,
        reason=request.reason,
        requested_by=request.requested_by_name or str(request.requested_by_tg_id),
        requested_at=request.created_at.astimezone(tz),
        decided_by=request.decided_by_name,
        decided_at=request.decided_at.astimezone(tz) if request.decided_at else None,
        approved=approved,
        withdrawn=withdrawn,
    )


@dataclass
class Decision:
    refused: str | None = None
    request: ExtensionRequest | None = None
    view: ExtensionView | None = None
    agency_chats: list[int] = field(default_factory=list)  # where to post the outcome
    reply_to: int | None = None  # the agency's message that asked


async def may_decide(env: Env, request_province_id: int) -> bool:
    if env.actor.administers(request_province_id):
        return True
    scope = env.scope
    return scope.kind is ScopeKind.LEADERS and request_province_id in scope.province_ids


async def decide_extension(session: AsyncSession, env: Env, *, request_id: int, approve: bool) -> Decision:
    """Approve (due date moves, original kept, status "đã gia hạn") or reject (the status
    before the request comes back, the due date stays). Once only; a request overtaken by
    another update of the item is withdrawn instead."""
    request = await repo.get_extension_request(session, request_id=request_id)
    if request is None:
        return Decision(refused="Đề nghị gia hạn không tồn tại.")
    item = await repo.get_due_item(session, due_item_id=request.due_item_id, lock=True)
    if item is None:
        return Decision(refused=GONE)
    outcome = extension_rule(
        may_decide=await may_decide(env, item.task.plan.province_id),
        pending=request.state is ExtensionState.PENDING,
        item_status=item.status,
        item_due_on=item.due_on,
        requested_from=request.current_due_on,
        gone=item.cancelled,
        approve=approve,
    )
    if outcome is ExtensionOutcome.NOT_LEADER:
        return Decision(refused=NOT_LEADER)
    if outcome is ExtensionOutcome.ALREADY_DECIDED:
        return Decision(refused=extension_decided_text(request.state.value, request.decided_by_name), request=request,
                        view=await extension_view(session, request, env.tz))
    if outcome is ExtensionOutcome.OVERTAKEN:
        await repo.decide_extension_request(session, request_id=request.id, state=ExtensionState.CANCELLED, now=env.now)
        request = await repo.get_extension_request(session, request_id=request.id)
        assert request is not None
        return Decision(
            refused=EXTENSION_OVERTAKEN, request=request, view=await extension_view(session, request, env.tz),
        )
    state = ExtensionState.APPROVED if approve else ExtensionState.REJECTED
    if not await repo.decide_extension_request(
        session, request_id=request.id, state=state, now=env.now,
        decided_by_tg_id=env.actor.tg_id, decided_by_name=env.actor.name,
    ):
        return Decision(refused="Đề nghị này vừa được người khác xử lý.")
    if approve:
        change = await repo.change_status(
            session, item=item, status=Status.EXTENDED, source=env.source, now=env.now, today=env.today,
            new_due_on=request.proposed_due_on, actor_name=env.actor.name, actor_tg_id=env.actor.tg_id,
            note=f"Đồng ý gia hạn đến {short_date(request.proposed_due_on)} (hạn trước {short_date(request.current_due_on)})",
            chat_id=env.tg_chat_id, message_id=env.message_id, channel=env.channel,
        )
    else:
        change = await repo.change_status(
            session, item=item, status=request.prev_status, source=env.source, now=env.now, today=env.today,
            progress=request.prev_progress, actor_name=env.actor.name, actor_tg_id=env.actor.tg_id,
            note=f"Từ chối gia hạn đến {short_date(request.proposed_due_on)}; hạn vẫn là {short_date(request.current_due_on)}",
            chat_id=env.tg_chat_id, message_id=env.message_id, channel=env.channel,
        )
    request.decision_change_id = change.id
    await session.flush()
    _log_change(
        "extension.decided", env, item, change.id, change.old_status,
        f"{task_code(item.task_id)}: {'đồng ý' if approve else 'từ chối'} gia hạn đến "
        f"{short_date(request.proposed_due_on)} ({env.actor.name})",
        request_id=request.id, approved=approve, current_due_on=request.current_due_on,
        proposed_due_on=request.proposed_due_on,
    )
    request = await repo.get_extension_request(session, request_id=request.id)
    assert request is not None
    chats = [request.tg_chat_id]
    chat = await repo.get_chat(session, tg_chat_id=request.tg_chat_id)
    if chat is None or not chat.active or chat.role is not ChatRole.AGENCY:
        family = await repo.agency_family_ids(session, agency_ids=[item.agency_id])
        chats = []
        for agency_id in family:
            chats += [c.tg_chat_id for c in await repo.chats_for_agency(session, agency_id=agency_id)]
    return Decision(
        request=request,
        view=await extension_view(session, request, env.tz),
        agency_chats=list(dict.fromkeys(chats)),
        reply_to=request.source_message_id if chats == [request.tg_chat_id] else None,
    )


async def set_extension_posts(session: AsyncSession, *, request_id: int, posts: Sequence[tuple[int, int]]) -> None:
    request = await repo.get_extension_request(session, request_id=request_id)
    if request is not None:
        request.posts = [[c, m] for c, m in posts]
        await session.flush()


async def leader_recipients(session: AsyncSession, *, province_id: int, admins: Admins) -> list[int]:
    """Where extension requests go: the province's leaders' chats, else its admins."""
    chats = [c.tg_chat_id for c in await repo.leaders_chats(session, province_id=province_id)]
    if chats:
        return chats
    province = await session.get(Province, province_id)
    return sorted(admins.of(province.slug)) if province is not None else []


# --- messages that number items, prompts ------------------------------------------------------


async def context_items(
    session: AsyncSession, *, tg_chat_id: int, message_id: int, reminders: bool = True
) -> list[ContextItem] | None:
    """The numbered items of a bot message (reminder, card, confirmation); None: not one.
    `reminders=False`: cards and confirmations only (where card buttons may be pressed)."""
    found = await repo.message_due_items(
        session, tg_chat_id=tg_chat_id, tg_message_id=message_id, reminders=reminders
    )
    if found is None:
        return None
    items = await repo.due_items_by_ids(session, ids=[i for _, i in found])
    out = []
    for number, item_id in found:
        item = items.get(item_id)
        if item is not None:
            out.append(
                ContextItem(
                    number=number, due_item_id=item.id, task_id=item.task_id, due_on=item.due_on,
                    title=item.task.title,
                )
            )
    return out


async def new_prompt(
    session: AsyncSession,
    env: Env,
    *,
    kind: PromptKind,
    payload: dict[str, Any],
    prompt_message_id: int | None = None,
) -> StatusPrompt:
    if prompt_message_id is not None:
        await repo.cancel_pending_prompts(
            session, tg_chat_id=env.tg_chat_id, prompt_message_id=prompt_message_id, now=env.now
        )
    return await repo.add_prompt(
        session,
        kind=kind,
        tg_chat_id=env.tg_chat_id,
        tg_user_id=env.actor.tg_id,
        actor_name=env.actor.name,
        source=env.source,
        payload=payload,
        now=env.now,
        expires_at=env.now + PROMPT_TTL,
        source_message_id=env.message_id,
        prompt_message_id=prompt_message_id,
    )


def prompt_problem(prompt: StatusPrompt | None, env: Env, *, tg_chat_id: int) -> str | None:
    """Why this user may not answer this prompt now (None: they may)."""
    if prompt is None or prompt.tg_chat_id != tg_chat_id:
        return "Câu hỏi này không còn hiệu lực."
    if prompt.state is not FlowState.PENDING:
        return "Câu hỏi này đã được trả lời hoặc đã huỷ."
    if env.now > prompt.expires_at:
        return "Câu hỏi này đã hết hạn; xin cập nhật lại."
    if prompt.tg_user_id != env.actor.tg_id and not env.actor.is_admin:
        return f"Câu hỏi này dành cho {prompt.actor_name or 'người đã gửi'}."
    return None


def planned_from_prompt(prompt: StatusPrompt) -> Planned | None:
    data = prompt.payload.get("planned")
    return Planned.from_json(data) if data else None


# --- edited messages ----------------------------------------------------------------------------


async def latest_word_only(
    session: AsyncSession, outcome: ReplyOutcome, *, tg_chat_id: int, message_id: int, sent_at: datetime
) -> tuple[ReplyOutcome, list[str]]:
    """An edited message changes an item only while it is still the latest word on it:
    editing an old "20 đang làm 50%" after "20 xong" must not reopen the task. A change
    named by task code ("NV12 xong") is stale when any of the task's items has a later
    word. Returns the outcome without the stale changes, and their numbers or codes (to
    tell the sender)."""
    kept: list[Planned] = []
    stale: list[str] = []
    for planned in outcome.changes:
        item = planned.target.item
        if item is not None:
            due_ids, label = [item.due_item_id], str(item.number) if item.number else task_code(item.task_id)
        elif planned.target.task_id is not None:
            due_ids = [i.id for i in await repo.task_due_items(session, task_id=planned.target.task_id)]
            label = task_code(planned.target.task_id)
        else:
            due_ids, label = [], ""
        for due_id in due_ids:
            if await repo.said_later(
                session, due_item_id=due_id, tg_chat_id=tg_chat_id, message_id=message_id, sent_at=sent_at
            ):
                stale.append(label)
                break
        else:
            kept.append(planned)
    return replace(outcome, changes=tuple(kept)), stale


# --- /capnhat <mã>: which item of a task ------------------------------------------------------


@dataclass
class CodeItems:
    refused: str | None = None
    items: list[DueItem] = field(default_factory=list)  # one: act on it; several: ask which


MAX_CODE_ITEMS = 10


async def items_for_code(session: AsyncSession, env: Env, *, task_id: int) -> CodeItems:
    """The due items a task code may mean in this chat, to act on (one) or choose from.

    An agency chat: its agency's open items of the task, earliest first (all done: the latest
    one, to correct it). An admin: every lead agency's open items. A cooperating agency: the
    lead's items (notes only — `apply` checks). A yearly task has one item per year, so a
    code alone can mean several: the caller then asks which, showing the due dates.
    """
    not_found = f"Không tìm thấy nhiệm vụ {task_code(task_id)} trong phạm vi của nhóm này."
    task = await repo.get_task(session, task_id=task_id)
    if task is None or task.removed or (
        task.plan.province_id not in env.scope.province_ids and not env.actor.administers(task.plan.province_id)
    ):
        return CodeItems(refused=not_found)
    items = await repo.task_due_items(session, task_id=task_id)
    if not items:
        return CodeItems(refused=f"Nhiệm vụ {task_code(task_id)} chưa có mốc hạn (chưa xác định thời hạn) nên chưa cập nhật được.")
    own = [i for i in items if i.agency_id in env.scope.agency_ids] if env.scope.kind is ScopeKind.AGENCY else []
    if own:
        return CodeItems(items=_candidates(own))
    if env.actor.administers(task.plan.province_id):
        return CodeItems(items=_candidates(items))
    if env.scope.kind is ScopeKind.AGENCY:
        roles = await repo.task_agency_roles(session, task_id=task_id)
        if any(a in env.scope.agency_ids for a in roles):
            return CodeItems(items=_candidates(items)[:1])
    return CodeItems(refused=not_found)


def _candidates(items: Sequence[DueItem]) -> list[DueItem]:
    open_items = sorted((i for i in items if i.status is not Status.DONE), key=lambda i: (i.due_on, i.agency_id, i.id))
    if open_items:
        return open_items[:MAX_CODE_ITEMS]
    return [sorted(items, key=lambda i: (i.due_on, i.id))[-1]]


async def version_of(session: AsyncSession, *, due_item_id: int) -> int:
    return await repo.latest_change_id(session, due_item_id=due_item_id)


async def load_view(session: AsyncSession, *, due_item_id: int, number: int | None = None) -> ItemView | None:
    item = await repo.get_due_item(session, due_item_id=due_item_id)
    if item is None:
        return None
    return item_view(item, number)
