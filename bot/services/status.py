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

from bot.config import Settings
from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import followup as followup_repo
from bot.db import item_messages as item_messages_repo
from bot.db import plans as plans_repo
from bot.db import recipients as recipients_repo
from bot.db import status_changes as status_changes_repo
from bot.db.models import DueItem, ExtensionRequest, StatusPrompt
from bot.db.retry import begin_write
from bot.db.session import AsyncSession
from bot.domain.admins import Admins
from bot.domain.callbacks import (
    CancelPrompt,
    CardAction,
    CardChoice,
    ConfirmOption,
    DecideExtension,
    OpenCard,
    Undo,
    encode,
)
from bot.domain.channels import Channel, NoticeSource
from bot.domain.codes import task_code
from bot.domain.kinds import ChatRole, ExtensionState, FlowState, PromptKind
from bot.domain.replies import (
    AskReason,
    ChangeKind,
    ContextItem,
    Intent,
    Planned,
    Question,
    ReplyOutcome,
    Target,
    addressed_plainly,
    completion_date,
    parse_extension_answer,
    parse_note_answer,
    parse_reply,
    parse_snooze,
    parse_status,
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
from bot.render import help as help_texts
from bot.render import notices as notice_texts
from bot.render import status as texts
from bot.render.format import short_date
from bot.render.progress import short_title
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
from bot.services.chats import Scope, ScopeKind, resolve_scope
from bot.services.links import AgencyLinks
from bot.services.progress import province_tz

log = logging.getLogger("nhacviec.status")

UNDO_WINDOW = timedelta(minutes=15)
PROMPT_TTL = timedelta(hours=24)
MAX_FILES_NOTE = 3
MAX_QUESTION_OPTIONS = 30  # buttons of one question
MAX_PENDING_SHOWN = 20  # requests listed by /giahan



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
    admins: Admins = field(default_factory=Admins)  # who hears of extension requests without leaders' chats
    # The address on another channel the words came from (a Zalo account): it gets its own
    # answer, so the agency's notices of the change skip it.
    origin: tuple[Channel, str] | None = None
    # The console's signed links (None: no public console): a notice too long for a channel
    # names its agency's page, where the whole is.
    links: AgencyLinks | None = None

    def console_url(self, agency_id: int) -> str | None:
        return self.links.url(agency_id, now=self.now) if self.links is not None else None

    @property
    def outsider(self) -> bool:
        """Neither a bound chat nor an admin: nothing of ours to update here."""
        return self.scope.kind is ScopeKind.NONE and not self.actor.is_admin

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
    roles = await plans_repo.task_agency_roles(session, task_id=item.task_id)
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
    extension_request_id: int | None = None  # new: posted to the leaders (through the outbox)
    extension_posts: int = 0  # the posts queued for it (0: nobody to decide it in Telegram)
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
        parts.append(texts.extension_request_note(proposed, intent.note))
    elif intent.note:
        parts.append(intent.note)
    elif intent.documents:
        parts.append("; ".join(d.text for d in intent.documents))
    if files:
        names = [str(f.get("name") or texts.FILE_FALLBACK_NAME) for f in files[:MAX_FILES_NOTE]]
        parts.append(texts.evidence_note(names))
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
    notify: bool = True,
) -> Outcome:
    """Record `intent` for one due item: the rules (`bot.domain.status.decide`) say whether
    and what; this loads the facts they need, writes the change and its history row.
    What was recorded is also queued for the agency's other channels (its mailboxes, its
    focal points' Zalo), whichever surface it came from — unless `notify` is false: a
    caller recording several changes of one answer tells them at once
    (`tell_other_channels`), one notice rather than one per item."""
    outcome = await _apply(
        session, env, due_item_id=due_item_id, intent=intent, number=number, version=version, files=files
    )
    if notify and outcome.recorded is not None and outcome.change_id is not None:
        await tell_other_channels(session, env, [(outcome.recorded, outcome.change_id)])
    return outcome


async def tell_other_channels(session: AsyncSession, env: Env, recorded: Sequence[tuple[RecordedView, int]]) -> None:
    """Queue the changes of one answer, (view, history row id) each, for the e-mail and
    Zalo recipients of each item's agency: one notice per agency, keyed by its first change."""
    from bot.services import notices

    # One query for every item's agency and its reachable addresses (bot/db/recipients.py).
    audience = await recipients_repo.reachable_for_items(
        session, due_item_ids=[view.item.due_item_id for view, _ in recorded], channels=notices.OTHER_CHANNELS
    )
    by_agency: dict[int, list[tuple[RecordedView, int]]] = {}
    for view, change_id in recorded:
        agency_id = audience.agency_of.get(view.item.due_item_id)
        if agency_id is not None and audience.recipients.get(agency_id):
            by_agency.setdefault(agency_id, []).append((view, change_id))
    for agency_id, changes in by_agency.items():
        views = [v for v, _ in changes]
        await notices.to_agency_channels(
            session, agency_id=agency_id, html=notice_texts.change_notice(views, env.today, channel=env.channel),
            subject=notice_texts.change_subject(views), source=NoticeSource.CHANGE, source_id=changes[0][1],
            on_date=env.today, now=env.now, skip=env.origin, console_url=env.console_url(agency_id),
            recipients=audience.recipients[agency_id],
        )


async def _apply(
    session: AsyncSession,
    env: Env,
    *,
    due_item_id: int,
    intent: Intent,
    number: int | None = None,
    version: int | None = None,
    files: Sequence[dict[str, Any]] = (),
) -> Outcome:
    item = await plans_repo.get_due_item(session, due_item_id=due_item_id, lock=True)
    if item is None or item.cancelled or item.task.removed:
        return Outcome(refused=GONE)
    today = env.today
    view = item_view(item, number)
    right = await access(session, env, item)
    current = version is None or (
        right is not Access.NONE and version == await status_changes_repo.latest_change_id(session, due_item_id=item.id)
    )
    pending = await status_changes_repo.pending_extension_request(session, due_item_id=item.id)
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
    # The reminder showed this item and its twins (same task and date, same agency through a
    # merger or a second name) as one line: the answer is theirs too, each with its history row.
    for twin in await followup_repo.twin_items(session, item=item):
        await status_changes_repo.change_status(
            session, item=twin, status=decision.status, source=env.source, now=env.now,
            today=decision.completed_on or env.today, progress=decision.progress,
            actor_name=env.actor.name, actor_tg_id=env.actor.tg_id,
            note=texts.twin_note(task_code(item.task_id)), chat_id=env.tg_chat_id, message_id=env.message_id,
        )
    if decision.withdraws_extension and pending is not None:
        await status_changes_repo.decide_extension_request(
            session, request_id=pending.id, state=ExtensionState.CANCELLED, now=env.now,
            decided_by_tg_id=env.actor.tg_id, decided_by_name=env.actor.name,
        )
        await _show_outcome(session, env, request_id=pending.id)
        outcome.withdrawn_request_id = pending.id
    return outcome


async def _show_outcome(session: AsyncSession, env: Env, *, request_id: int, shown: tuple[int, int] | None = None) -> None:
    """The request was withdrawn or decided: its copies in Telegram say so (through the
    outbox, queued with the change; bot/services/extension_posts.py)."""
    from bot.services import extension_posts  # it builds on this module (extension_view)

    await extension_posts.show_outcome(
        session, request_id=request_id, tz=env.tz, on_date=env.today, now=env.now, shown=shown
    )


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
    change = await status_changes_repo.change_status(
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
        await status_changes_repo.add_undo(
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
        files=tuple(str(f.get("name") or texts.FILE_FALLBACK_NAME) for f in files),
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
    request = await status_changes_repo.add_extension_request(
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
    # The deciders' posts, with the buttons, through the outbox: queued with the request.
    from bot.services import extension_posts

    outcome.extension_posts = await extension_posts.post_request(
        session, request_id=request.id, tz=env.tz, admins=env.admins, on_date=env.today, now=env.now
    )
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
    record = await status_changes_repo.get_undo(session, change_id=change_id)
    item = await plans_repo.get_due_item(session, due_item_id=record.due_item_id, lock=True) if record else None
    verdict = decide_undo(
        known=record is not None,
        undone=record is not None and record.undone_at is not None,
        expired=record is not None and env.now > record.expires_at,
        by_author=record is not None and record.actor_tg_id == env.actor.tg_id,
        admin=env.actor.is_admin,
        gone=item is None or item.cancelled,
        right=await access(session, env, item) if item is not None and not item.cancelled else Right.NONE,
        latest=item is not None and await status_changes_repo.latest_change_id(session, due_item_id=item.id) == change_id,
    )
    window = int(UNDO_WINDOW.total_seconds() // 60)
    if verdict is not UndoReason.UNDONE:
        return Undone(refused=undo_refusal_text(verdict, window_minutes=window))
    assert record is not None and item is not None
    if not await status_changes_repo.claim_undo(session, change_id=change_id, now=env.now):
        return Undone(refused=undo_refusal_text(UndoReason.ALREADY_UNDONE, window_minutes=window))
    withdrawn = None
    request = await status_changes_repo.extension_request_for_change(session, change_id=change_id)
    if request is not None and request.state is ExtensionState.PENDING:
        await status_changes_repo.decide_extension_request(
            session, request_id=request.id, state=ExtensionState.CANCELLED, now=env.now,
            decided_by_tg_id=env.actor.tg_id, decided_by_name=env.actor.name,
        )
        withdrawn = request.id
        await _show_outcome(session, env, request_id=request.id)
    old_label = _state(item, env.today)
    # Exactly what was there, through change_status (whose history row snapshots the dates):
    # a "done" keeps its own completion date, not today's.
    completed = record.prev_completed_on if record.prev_status is Status.DONE and record.prev_completed_on else env.today
    change = await status_changes_repo.change_status(
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
        note=texts.undo_note(old_label),
        chat_id=env.tg_chat_id,
        message_id=env.message_id,
        channel=env.channel,
    )
    await status_changes_repo.set_undone_by(session, change_id=change_id, undone_by_change_id=change.id)
    _log_change(
        "status.undone", env, item, change.id, change.old_status,
        texts.undo_log(task_code(item.task_id), old_label, item.status.label, env.actor.name),
        undone_change_id=change_id, withdrawn_request_id=withdrawn,
    )
    return Undone(item=item_view(item, number), change_id=change.id, withdrawn_request_id=withdrawn)


# --- extension requests: the leaders decide ---------------------------------------------------


async def extension_view(session: AsyncSession, request: ExtensionRequest, tz: ZoneInfo, *, withdrawn: str | None = None) -> ExtensionView | None:
    item = await plans_repo.get_due_item(session, due_item_id=request.due_item_id)
    if item is None:
        return None
    approved = {ExtensionState.APPROVED: True, ExtensionState.REJECTED: False}.get(request.state)
    if request.state is ExtensionState.CANCELLED and withdrawn is None:
        withdrawn = texts.EXTENSION_WITHDRAWN
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
    queued: int = 0  # outbox rows of the outcome for the agency's chats (wake the sender)


async def may_decide(env: Env, request_province_id: int) -> bool:
    if env.actor.administers(request_province_id):
        return True
    scope = env.scope
    return scope.kind is ScopeKind.LEADERS and request_province_id in scope.province_ids


async def decide_extension(session: AsyncSession, env: Env, *, request_id: int, approve: bool) -> Decision:
    """Approve (due date moves, original kept, status "đã gia hạn") or reject (the status
    before the request comes back, the due date stays). Once only; a request overtaken by
    another update of the item is withdrawn instead."""
    request = await status_changes_repo.get_extension_request(session, request_id=request_id)
    if request is None:
        return Decision(refused=texts.EXTENSION_MISSING)
    item = await plans_repo.get_due_item(session, due_item_id=request.due_item_id, lock=True)
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
        await status_changes_repo.decide_extension_request(session, request_id=request.id, state=ExtensionState.CANCELLED, now=env.now)
        await _show_outcome(session, env, request_id=request.id, shown=_pressed(env))
        request = await status_changes_repo.get_extension_request(session, request_id=request.id)
        assert request is not None
        return Decision(
            refused=EXTENSION_OVERTAKEN, request=request, view=await extension_view(session, request, env.tz),
        )
    state = ExtensionState.APPROVED if approve else ExtensionState.REJECTED
    if not await status_changes_repo.decide_extension_request(
        session, request_id=request.id, state=state, now=env.now,
        decided_by_tg_id=env.actor.tg_id, decided_by_name=env.actor.name,
    ):
        return Decision(refused=texts.EXTENSION_TAKEN)
    if approve:
        change = await status_changes_repo.change_status(
            session, item=item, status=Status.EXTENDED, source=env.source, now=env.now, today=env.today,
            new_due_on=request.proposed_due_on, actor_name=env.actor.name, actor_tg_id=env.actor.tg_id,
            note=texts.extension_approved_note(request.proposed_due_on, request.current_due_on),
            chat_id=env.tg_chat_id, message_id=env.message_id, channel=env.channel,
        )
    else:
        change = await status_changes_repo.change_status(
            session, item=item, status=request.prev_status, source=env.source, now=env.now, today=env.today,
            progress=request.prev_progress, actor_name=env.actor.name, actor_tg_id=env.actor.tg_id,
            note=texts.extension_rejected_note(request.proposed_due_on, request.current_due_on),
            chat_id=env.tg_chat_id, message_id=env.message_id, channel=env.channel,
        )
    request.decision_change_id = change.id
    await session.flush()
    _log_change(
        "extension.decided", env, item, change.id, change.old_status,
        texts.extension_decided_log(task_code(item.task_id), approve, request.proposed_due_on, env.actor.name),
        request_id=request.id, approved=approve, current_due_on=request.current_due_on,
        proposed_due_on=request.proposed_due_on,
    )
    await _show_outcome(session, env, request_id=request.id, shown=_pressed(env))
    request = await status_changes_repo.get_extension_request(session, request_id=request.id)
    assert request is not None
    view = await extension_view(session, request, env.tz)
    from bot.services import notices

    if view is not None:
        await notices.to_agency_channels(
            session, agency_id=item.agency_id, html=texts.extension_outcome_text(view),
            subject=notice_texts.decision_subject(view), source=NoticeSource.DECISION, source_id=request.id,
            on_date=env.today, now=env.now, console_url=env.console_url(item.agency_id),
        )
    chats = [request.tg_chat_id]
    chat = await chats_repo.get_chat(session, tg_chat_id=request.tg_chat_id)
    if chat is None or not chat.active or chat.role is not ChatRole.AGENCY:
        family = await agencies_repo.agency_family_ids(session, agency_ids=[item.agency_id])
        chats = []
        for agency_id in family:
            chats += [c.tg_chat_id for c in await chats_repo.chats_for_agency(session, agency_id=agency_id)]
    decision = Decision(
        request=request,
        view=view,
        agency_chats=list(dict.fromkeys(chats)),
        reply_to=request.source_message_id if chats == [request.tg_chat_id] else None,
    )
    if view is not None:
        # The agency's chats hear the outcome through the outbox, queued with the decision
        # (whoever decided, wherever): an answer to the request's message, naming the item
        # so that a reply to it finds it.
        decision.queued = await notices.to_telegram_chats(
            session, tg_chat_ids=decision.agency_chats, html=texts.extension_outcome_text(view),
            source=NoticeSource.DECISION, source_id=request.id, on_date=env.today, now=env.now,
            reply_to=decision.reply_to, due_item_id=request.due_item_id,
        )
    return decision


def _pressed(env: Env) -> tuple[int, int] | None:
    """The post whose button decides (Telegram: the caller rewrites it at once), if any."""
    return (env.tg_chat_id, env.message_id) if env.message_id is not None else None


async def set_extension_posts(session: AsyncSession, *, request_id: int, posts: Sequence[tuple[int, int]]) -> None:
    request = await status_changes_repo.get_extension_request(session, request_id=request_id)
    if request is not None:
        request.posts = [[c, m] for c, m in posts]
        await session.flush()


# --- messages that number items, prompts ------------------------------------------------------


async def context_items(
    session: AsyncSession, *, tg_chat_id: int, message_id: int, reminders: bool = True
) -> list[ContextItem] | None:
    """The numbered items of a bot message (reminder, card, confirmation); None: not one.
    `reminders=False`: cards and confirmations only (where card buttons may be pressed)."""
    found = await item_messages_repo.message_due_items(
        session, tg_chat_id=tg_chat_id, tg_message_id=message_id, reminders=reminders
    )
    if found is None:
        return None
    items = await plans_repo.due_items_by_ids(session, ids=[i for _, i in found])
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
        await status_changes_repo.cancel_pending_prompts(
            session, tg_chat_id=env.tg_chat_id, prompt_message_id=prompt_message_id, now=env.now
        )
    return await status_changes_repo.add_prompt(
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
        return texts.PROMPT_STALE
    if prompt.state is not FlowState.PENDING:
        return texts.PROMPT_CLOSED
    if env.now > prompt.expires_at:
        return texts.PROMPT_EXPIRED
    if prompt.tg_user_id != env.actor.tg_id and not env.actor.is_admin:
        return texts.prompt_for_someone_else(prompt.actor_name)
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
            due_ids = [i.id for i in await plans_repo.task_due_items(session, task_id=planned.target.task_id)]
            label = task_code(planned.target.task_id)
        else:
            due_ids, label = [], ""
        for due_id in due_ids:
            if await status_changes_repo.said_later(
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
    not_found = texts.task_not_in_scope(task_id)
    task = await plans_repo.get_task(session, task_id=task_id)
    if task is None or task.removed or (
        task.plan.province_id not in env.scope.province_ids and not env.actor.administers(task.plan.province_id)
    ):
        return CodeItems(refused=not_found)
    items = await plans_repo.task_due_items(session, task_id=task_id)
    if not items:
        return CodeItems(refused=texts.task_without_due(task_id))
    own = [i for i in items if i.agency_id in env.scope.agency_ids] if env.scope.kind is ScopeKind.AGENCY else []
    if own:
        return CodeItems(items=_candidates(own))
    if env.actor.administers(task.plan.province_id):
        return CodeItems(items=_candidates(items))
    if env.scope.kind is ScopeKind.AGENCY:
        roles = await plans_repo.task_agency_roles(session, task_id=task_id)
        if any(a in env.scope.agency_ids for a in roles):
            return CodeItems(items=_candidates(items)[:1])
    return CodeItems(refused=not_found)


def _candidates(items: Sequence[DueItem]) -> list[DueItem]:
    open_items = sorted((i for i in items if i.status is not Status.DONE), key=lambda i: (i.due_on, i.agency_id, i.id))
    if open_items:
        return open_items[:MAX_CODE_ITEMS]
    return [sorted(items, key=lambda i: (i.due_on, i.id))[-1]]


async def version_of(session: AsyncSession, *, due_item_id: int) -> int:
    return await status_changes_repo.latest_change_id(session, due_item_id=due_item_id)


async def load_view(session: AsyncSession, *, due_item_id: int, number: int | None = None) -> ItemView | None:
    item = await plans_repo.get_due_item(session, due_item_id=due_item_id)
    if item is None:
        return None
    return item_view(item, number)


# === use cases: one entry point per action ========================================================
# The bot's handlers (and any other surface) parse their input, call ONE of these with a session
# in a transaction and an Env, then deliver the Result: messages to send, messages to edit, the
# pressed button's answer. After sending, `remember_sent` stores the ids of the messages sent
# (replies to them find their items, prompts and extension posts).

Buttons = list[list[tuple[str, str]]]  # rows of (label, callback data)


@dataclass
class Send:
    """A message to send once the change is committed."""

    text: str
    buttons: Buttons | None = None
    items: list[tuple[int, int]] = field(default_factory=list)  # (number, due item) it numbers
    prompt_id: int | None = None  # the prompt this message asks
    chat_id: int | None = None  # None: in the acting chat, as a reply to the acting message
    reply_to: int | None = None  # with chat_id: the message to reply to, if it still exists
    extension_post: int | None = None  # the extension request this message lets the leaders decide


@dataclass
class Edit:
    """A bot message to rewrite (a card turned confirmation, a decided request's copies)."""

    chat_id: int
    message_id: int
    text: str
    buttons: Buttons | None = None
    items: list[tuple[int, int]] = field(default_factory=list)  # the items it now numbers


@dataclass
class Result:
    """What a use case did, as what to tell whom.

    `answer`/`alert`: the pressed button's toast (or alert box). `handled=False`: the input was
    about no task, nothing was done (the caller may offer it to another feature).
    `extension_requests`: new requests, posted to the leaders through the outbox — those
    with nobody to post to (`unposted`) are said so in the acting chat (`follow_ups`)."""

    sends: list[Send] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    answer: str | None = None
    alert: bool = False
    handled: bool = True
    extension_requests: list[int] = field(default_factory=list)  # new (posted through the outbox)
    withdrawn: list[int] = field(default_factory=list)  # overtaken (their copies rewritten through the outbox)
    unposted: list[int] = field(default_factory=list)  # new requests nobody can decide in Telegram
    queued: bool = False  # Telegram rows were queued (posts, rewrites): wake the sender

    @property
    def wakes_sender(self) -> bool:
        return self.queued or bool(self.extension_requests or self.withdrawn)

    def refuse(self, reason: str) -> Result:
        self.answer, self.alert = reason, True
        return self


@dataclass(frozen=True)
class Sent:
    """A message of a Result as delivered."""

    send: Send
    chat_id: int
    message_id: int


async def open_env(
    session: AsyncSession,
    *,
    settings: Settings,
    tg_chat_id: int,
    is_private: bool,
    user_id: int,
    user_name: str,
    now: datetime,
    source: ChangeSource,
    message_id: int | None,
) -> Env:
    """The start of every status transaction: take SQLite's write lock first (a write right
    after the reminder sender's commit would otherwise fail with "database is locked"),
    then who is asking, from where."""
    await begin_write(session)
    scope = await resolve_scope(
        session, settings=settings, tg_chat_id=tg_chat_id, is_private=is_private, user_id=user_id
    )
    return Env(
        scope=scope,
        actor=Actor(user_id, user_name or str(user_id), scope.admin_of),
        now=now,
        tz=province_tz(scope, settings.timezone),
        tg_chat_id=tg_chat_id,
        message_id=message_id,
        source=source,
        admins=settings.admins,
        links=AgencyLinks.from_settings(settings),
    )


def _number(n: int | None) -> int | None:
    return n if n else None


def _undo_minutes() -> int:
    return int(UNDO_WINDOW.total_seconds() // 60)


def card_keyboard(item_id: int, version: int) -> Buttons:
    def data(action: CardAction) -> str:
        return encode(CardChoice(item_id, version, action))

    return [
        [(texts.BTN_DONE, data(CardAction.DONE)), (texts.BTN_PROGRESS, data(CardAction.PROGRESS))],
        [(texts.BTN_BLOCKED, data(CardAction.BLOCKED)), (texts.BTN_EXTENSION, data(CardAction.EXTENSION))],
    ]


def progress_keyboard(item_id: int, version: int) -> Buttons:
    return [
        [(f"{p}%", encode(CardChoice(item_id, version, CardAction(f"p{p}")))) for p in texts.PROGRESS_STEPS],
        [(texts.BTN_BACK, encode(CardChoice(item_id, version, CardAction.BACK)))],
    ]


def decide_buttons(request_id: int) -> Buttons:
    return [[
        (texts.BTN_APPROVE, encode(DecideExtension(request_id, True))),
        (texts.BTN_REJECT, encode(DecideExtension(request_id, False))),
    ]]


_CARD_INTENTS = {
    CardAction.DONE: Intent(ChangeKind.DONE),
    CardAction.P25: Intent(ChangeKind.PROGRESS, progress=25),
    CardAction.P50: Intent(ChangeKind.PROGRESS, progress=50),
    CardAction.P75: Intent(ChangeKind.PROGRESS, progress=75),
    CardAction.BLOCKED: Intent(ChangeKind.BLOCKED),
    CardAction.EXTENSION: Intent(ChangeKind.EXTENSION),
}


# --- recording planned changes (replies, confirmations, /capnhat) --------------------------------


async def _resolve(session: AsyncSession, env: Env, target: Target) -> tuple[list[tuple[int | None, int]], str | None]:
    """(number, due item id) for a target; a task code is looked up in the chat's scope."""
    if target.item is not None:
        return [(_number(target.item.number), target.item.due_item_id)], None
    assert target.task_id is not None
    found = await items_for_code(session, env, task_id=target.task_id)
    if found.refused:
        return [], found.refused
    return [(None, item.id) for item in found.items], None


@dataclass
class _Recorded:
    views: list[RecordedView] = field(default_factory=list)
    undo: list[tuple[str, str]] = field(default_factory=list)  # undo buttons
    items: list[tuple[int, int]] = field(default_factory=list)  # the items numbered
    refused: list[str] = field(default_factory=list)


async def _record_planned(
    session: AsyncSession, env: Env, planned: Sequence[Planned], result: Result, *, files: Sequence[dict[str, Any]] = ()
) -> _Recorded:
    """Apply sure changes; changes that need more input become prompts (sends of `result`)."""
    done = _Recorded()
    pending_undo: list[tuple[int | None, int]] = []
    told: list[tuple[RecordedView, int]] = []  # for the agency's other channels, in one notice
    for change in planned:
        targets, problem = await _resolve(session, env, change.target)
        if problem:
            done.refused.append(problem)
            continue
        if len(targets) > 1:
            result.sends.append(await _ask_which_agency(session, env, targets, change.intent, files))
            continue
        number, item_id = targets[0]
        outcome = await apply(
            session, env, due_item_id=item_id, intent=change.intent, number=number, files=files, notify=False
        )
        if outcome.withdrawn_request_id:
            result.withdrawn.append(outcome.withdrawn_request_id)
        if outcome.refused:
            done.refused.append(outcome.refused)
            continue
        if outcome.needs is not None:
            result.sends.append(await _input_prompt(session, env, outcome, number=number, files=files))
            continue
        assert outcome.recorded is not None
        if outcome.change_id is not None:
            told.append((outcome.recorded, outcome.change_id))
        done.views.append(outcome.recorded)
        done.items.append((number or 0, item_id))
        if outcome.extension_request_id:
            result.extension_requests.append(outcome.extension_request_id)
        if outcome.undoable and outcome.change_id:
            pending_undo.append((number, outcome.change_id))
    for number, change_id in pending_undo:
        done.undo.append((texts.undo_label(number, len(pending_undo) > 1), encode(Undo(change_id))))
    await tell_other_channels(session, env, told)
    return done


async def _input_prompt(
    session: AsyncSession,
    env: Env,
    outcome: Outcome,
    *,
    number: int | None,
    files: Sequence[dict[str, Any]] = (),
    prompt_message_id: int | None = None,
) -> Send:
    """Ask for the blocker's line or the extension date, as a message to answer by reply."""
    item = outcome.item
    assert item is not None and outcome.intent is not None and outcome.needs is not None
    planned = Planned(
        Target(item=ContextItem(number or 0, item.due_item_id, item.task_id, item.due_on, item.title)),
        outcome.intent,
    )
    prompt = await new_prompt(
        session, env, kind=outcome.needs,
        payload={"planned": planned.as_json(), "files": list(files)},
        prompt_message_id=prompt_message_id,
    )
    text = (
        texts.ask_note_text(item, env.today)
        if outcome.needs is PromptKind.NOTE
        else texts.ask_date_text(item, env.today, problem=outcome.problem)
    )
    return Send(
        text, [[(texts.BTN_CANCEL, encode(CancelPrompt(prompt.id)))]], items=[(number or 0, item.due_item_id)],
        prompt_id=prompt.id,
    )


async def _ask_which_agency(
    session: AsyncSession,
    env: Env,
    targets: Sequence[tuple[int | None, int]],
    intent: Intent,
    files: Sequence[dict[str, Any]],
) -> Send:
    """A task code that means several due items (a yearly task, several lead agencies): which?"""
    views = [v for _, item_id in targets[:MAX_QUESTION_OPTIONS] if (v := await load_view(session, due_item_id=item_id))]
    several_agencies = len({v.agency_name for v in views}) > 1
    options = [
        Planned(Target(item=ContextItem(0, v.due_item_id, v.task_id, v.due_on, v.title)), intent) for v in views
    ]
    labels = [texts.due_option_label(v.agency_name if several_agencies else None, v.due_on) for v in views]
    question = Question(AskReason.WHICH_ITEM, tuple(options), "")
    send = await _question(session, env, question, files=files, labels=labels)
    if views and not files:
        send.text = texts.which_due_text(task_code(views[0].task_id), intent)
    return send


async def _question(
    session: AsyncSession,
    env: Env,
    question: Question,
    *,
    files: Sequence[dict[str, Any]] = (),
    labels: Sequence[str] | None = None,
) -> Send:
    """A question with one button per option; nothing is recorded until one is pressed."""
    if not question.options:
        return Send(texts.NO_ITEMS)
    options = question.options[:MAX_QUESTION_OPTIONS]
    prompt = await new_prompt(
        session, env, kind=PromptKind.CONFIRM,
        payload={
            "options": [o.as_json() for o in options], "raw": question.text, "reason": question.reason.value,
            "detail": question.detail, "files": list(files),
        },
    )
    refs = {(o.target.item.due_item_id if o.target.item else None, o.target.task_id) for o in options}
    kinds = {(o.intent.kind, o.intent.progress) for o in options}
    rows: Buttons = []
    for index, option in enumerate(options):
        if labels is not None:
            label = f"{'📎' if files else '🗓'} {labels[index]}"
        else:
            item = option.target.item
            ref = (
                f"{item.number}. {short_title(item.title, 28)}" if item and item.number
                else task_code(item.task_id if item else option.target.task_id or 0)
            )
            if files and option.intent.kind is ChangeKind.NOTE:
                label = f"📎 {ref}"
            else:
                label = texts.option_label(ref, option.intent, show_ref=len(refs) > 1, show_kind=len(kinds) > 1)
        rows.append([(label[:60], encode(ConfirmOption(prompt.id, index)))])
    rows.append([(texts.BTN_NONE_OF_THESE, encode(ConfirmOption(prompt.id, None)))])
    if files and question.reason is AskReason.WHICH_ITEM:
        text = texts.which_item_for_file_text(str(files[0].get("name") or texts.FILE_NAME))
    else:
        text = texts.question_text(question.reason, question.text, question.detail)
    return Send(text, rows, prompt_id=prompt.id)


async def _outcome_result(
    session: AsyncSession,
    env: Env,
    outcome: ReplyOutcome,
    *,
    items: Sequence[ContextItem],
    files: Sequence[dict[str, Any]] = (),
) -> Result:
    """What a read reply or /capnhat leads to: the recorded changes (one confirmation), the
    questions (one message each), or a word on what was not understood."""
    result = Result()
    done = await _record_planned(session, env, outcome.changes, result, files=files)
    if done.views or done.refused:
        result.sends.insert(
            0,
            Send(
                texts.recorded_text(done.views, env.today, refused=done.refused, undo_minutes=_undo_minutes()),
                [done.undo[i : i + 3] for i in range(0, len(done.undo), 3)] or None,
                items=done.items,
            ),
        )
    for question in outcome.questions:
        result.sends.append(await _question(session, env, question, files=files))
    if outcome.chatter is not None and not result.sends:
        buttons = None
        if outcome.chatter.value == "unclear" and items:
            row = [(f"✏️ {i.number}", encode(OpenCard(i.due_item_id))) for i in items[:25]]
            buttons = [row[i : i + 5] for i in range(0, len(row), 5)]
        result.sends.append(Send(texts.chatter_text(outcome.chatter, has_items=bool(items)), buttons))
    return result


async def _extension_posts(session: AsyncSession, env: Env, result: Result) -> Result:
    """New requests were posted to the leaders' chats (or the admins), withdrawn ones'
    copies rewritten, through the outbox with the change (`_request_extension`,
    `_show_outcome`); what is left is to say when a new request reached no one."""
    from bot.services import extension_posts

    for request_id in result.extension_requests:
        if not await extension_posts.posted(session, request_id=request_id):
            result.unposted.append(request_id)
    return result


# --- replies: text, files ----------------------------------------------------------------------


async def reply(
    session: AsyncSession,
    env: Env,
    *,
    replied_to: int,
    text: str,
    edited_at: datetime | None = None,
) -> Result:
    """A text answering one of the bot's messages: the answer of a prompt (blocker's line,
    extension date) or a status reply ("1 xong", "2 đang làm 60%"). `edited_at`: the message
    was edited (sent at that time): only its latest word on an item counts."""
    if env.outsider:
        return Result(handled=False)  # an unbound chat: nothing of ours to update
    snoozed = await _snooze(session, env, text=text, replied_to=replied_to)
    if snoozed is not None:
        return snoozed
    prompt = await status_changes_repo.prompt_for_message(
        session, tg_chat_id=env.tg_chat_id, prompt_message_id=replied_to, kinds=(PromptKind.NOTE, PromptKind.EXTENSION),
    )
    if prompt is not None and prompt_problem(prompt, env, tg_chat_id=env.tg_chat_id) is None:
        answered = await _answer_prompt(session, env, prompt, text)
        if answered is not None:
            return await _extension_posts(session, env, answered)
    return await _reply_flow(session, env, replied_to=replied_to, text=text, files=(), edited_at=edited_at)


async def _snooze(session: AsyncSession, env: Env, *, text: str, replied_to: int | None) -> Result | None:
    """"tạm dừng nhắc NV3 đến 15/1": the snooze use case (bot.services.followup); None: not one."""
    request = parse_snooze(text, today=env.today)
    if request is None:
        return None
    from bot.services import followup  # it builds on this module's helpers (items_for_code, access)

    return Result(sends=[Send(await followup.snooze(session, env, request=request, replied_to=replied_to))])


async def plain_message(session: AsyncSession, env: Env, *, text: str, edited_at: datetime | None = None) -> Result:
    """A group message that answers no message of the bot — the bot reads it because it is
    an admin of the group (privacy mode does not apply to admins). It is a report only when
    it starts with a task number or code ("5 xong", "NV12 đang làm 60%"): numbers are those
    of the chat's latest reminder. Anything else is the group's own talk: not handled, no
    answer."""
    if env.outsider:
        return Result(handled=False)
    snoozed = await _snooze(session, env, text=text, replied_to=None)
    if snoozed is not None:
        return snoozed
    if not addressed_plainly(text):
        return Result(handled=False)
    latest = await followup_repo.latest_reminder_message(session, tg_chat_id=env.tg_chat_id)
    return await _reply_flow(session, env, replied_to=latest or 0, text=text, files=(), edited_at=edited_at)


async def attach_evidence(
    session: AsyncSession,
    env: Env,
    *,
    replied_to: int,
    caption: str,
    file: dict[str, Any],
    edited_at: datetime | None = None,
) -> Result:
    """A document or photo answering a task's message: evidence, kept with a note on the item
    (the caption may also set a status). `file`: kind, file_id, file_unique_id, name (None: a
    photo, named by the time), mime_type, size, message_id."""
    if env.outsider:
        return Result(handled=False)
    info = _evidence_file(env, file)
    return await _reply_flow(session, env, replied_to=replied_to, text=caption, files=(info,), edited_at=edited_at)


def _evidence_file(env: Env, file: dict[str, Any]) -> dict[str, Any]:
    """The stored description of an evidence file: named (a photo by the time), with who
    sent it and when."""
    info = dict(file)
    if not info.get("name"):
        info["name"] = texts.photo_name(env.now) if info.get("kind") == "photo" else texts.FILE_NAME
    info.update({"by_tg_id": env.actor.tg_id, "by_name": env.actor.name, "at": env.now.isoformat()})
    return info


async def attach_evidence_to_item(
    session: AsyncSession, env: Env, *, due_item_id: int, note: str | None, file: dict[str, Any]
) -> Outcome:
    """Evidence for one named item (the console's upload: no message to answer): the same
    file record and rules as `attach_evidence` — a note with the file on the item, its status
    unchanged, refused to whoever may not report on it."""
    return await apply(
        session, env, due_item_id=due_item_id, intent=Intent(ChangeKind.NOTE, note=note), files=(_evidence_file(env, file),)
    )


async def _reply_flow(
    session: AsyncSession,
    env: Env,
    *,
    replied_to: int,
    text: str,
    files: Sequence[dict[str, Any]],
    edited_at: datetime | None,
) -> Result:
    items = await context_items(session, tg_chat_id=env.tg_chat_id, message_id=replied_to)
    if files and not text.strip():
        outcome = _evidence_outcome(items or [])
    else:
        outcome = parse_reply(text, items or [], today=env.today)
        if files and not outcome.is_status:
            outcome = _evidence_outcome(items or [])
    if items is None and (not outcome.is_status or (files and not outcome.changes)):
        return Result(handled=False)  # not about a task (small talk, a file under another message)
    stale: list[str] = []
    if edited_at is not None:
        assert env.message_id is not None
        outcome, stale = await latest_word_only(
            session, outcome, tg_chat_id=env.tg_chat_id, message_id=env.message_id, sent_at=edited_at
        )
    result = await _outcome_result(session, env, outcome, items=items or [], files=files)
    if stale:
        result.sends.append(Send(help_texts.stale_edit(stale)))
    return await _extension_posts(session, env, result)


def _evidence_outcome(items: Sequence[ContextItem]) -> ReplyOutcome:
    """A file without a status: a note with the file for the one item, or ask which."""
    intent = Intent(ChangeKind.NOTE)
    if len(items) == 1:
        return ReplyOutcome(changes=(Planned(Target(item=items[0]), intent),))
    if not items:
        return ReplyOutcome(questions=(Question(AskReason.NO_ITEMS, (), ""),))
    return ReplyOutcome(
        questions=(Question(AskReason.WHICH_ITEM, tuple(Planned(Target(item=i), intent) for i in items), ""),)
    )


async def _answer_prompt(session: AsyncSession, env: Env, prompt: StatusPrompt, text: str) -> Result | None:
    """A reply to "which date?" / "what is the blocker?"; None: not an answer to it."""
    planned = planned_from_prompt(prompt)
    if planned is None or planned.target.item is None:
        return None
    item = planned.target.item
    number = _number(item.number)
    result = Result()
    files = list(prompt.payload.get("files") or [])
    if prompt.kind is PromptKind.NOTE:
        note = parse_note_answer(text)
        if note is None:
            result.sends.append(Send(texts.ASK_NOTE_AGAIN))
            return result
        intent = replace(planned.intent, note=note)
    else:
        answer = parse_extension_answer(text, today=env.today)
        intent = replace(
            planned.intent,
            new_due_on=answer.new_due_on,
            extend_by=answer.extend_by,
            bad_date=answer.bad_date,
            note=answer.reason or planned.intent.note,
        )
        if intent.needs_date and not intent.bad_date:
            result.sends.append(Send(texts.ASK_DATE_AGAIN))
            return result
    outcome = await apply(session, env, due_item_id=item.due_item_id, intent=intent, number=number, files=files)
    if outcome.withdrawn_request_id:
        result.withdrawn.append(outcome.withdrawn_request_id)
    if outcome.needs is not None:
        result.sends.append(Send(texts.date_again_text(outcome.problem)))
        return result
    await status_changes_repo.close_prompt(session, prompt_id=prompt.id, state=FlowState.DONE, now=env.now)
    if outcome.refused:
        result.sends.append(Send(texts.refused_text(outcome.refused)))
    else:
        assert outcome.recorded is not None and outcome.item is not None
        if outcome.extension_request_id:
            result.extension_requests.append(outcome.extension_request_id)
        buttons = (
            [[(texts.BTN_UNDO, encode(Undo(outcome.change_id)))]] if outcome.undoable and outcome.change_id else None
        )
        result.sends.append(
            Send(texts.recorded_text([outcome.recorded], env.today, undo_minutes=_undo_minutes()),
                 buttons, items=[(number or 0, item.due_item_id)])
        )
    if prompt.prompt_message_id is not None and outcome.item is not None:
        result.edits.append(
            Edit(env.tg_chat_id, int(prompt.prompt_message_id),
                 texts.prompt_closed_text(outcome.item, env.today, texts.ANSWER_RECEIVED))
        )
    return result


# --- /capnhat <mã> <words>, /nhiemvu <mã> ------------------------------------------------------


async def report(
    session: AsyncSession,
    env: Env,
    *,
    task_id: int,
    words: str,
    edited_at: datetime | None = None,
) -> Result:
    """/capnhat <code> <words>: the same words as a reply, for a task code; no words: its card."""
    if env.outsider:
        return Result(sends=[Send(help_texts.stranger_text() if env.scope.is_private else help_texts.NOT_REGISTERED_GROUP)])
    found = await items_for_code(session, env, task_id=task_id)
    if found.refused:
        return Result(sends=[Send(texts.refused_text(found.refused))])
    if not words.strip():
        return Result(sends=[await _card(session, env, found.items[0].id, others=len(found.items) - 1)])
    targets = [Target(item=ContextItem(0, i.id, i.task_id, i.due_on, "")) for i in found.items]
    if len(targets) == 1:
        outcome = parse_status(words, targets[0], today=env.today)
    else:
        # An admin, several lead agencies: read the words once, then ask which agency.
        outcome = parse_status(words, Target(task_id=task_id), today=env.today)
    if not outcome.is_status:
        return Result(sends=[Send(texts.refused_text(texts.NOT_A_STATUS) + "\n" + texts.CAPNHAT_USAGE)])
    stale: list[str] = []
    if edited_at is not None:  # an edited /capnhat: the same rule as an edited reply
        assert env.message_id is not None
        outcome, stale = await latest_word_only(
            session, outcome, tg_chat_id=env.tg_chat_id, message_id=env.message_id, sent_at=edited_at
        )
    result = await _outcome_result(session, env, outcome, items=[])
    if stale:
        result.sends.append(Send(help_texts.stale_edit(stale)))
    return await _extension_posts(session, env, result)


async def _card(session: AsyncSession, env: Env, item_id: int, *, others: int = 0) -> Send:
    """The card of one item; `others`: more open due dates of the same task (yearly tasks)."""
    item = await plans_repo.get_due_item(session, due_item_id=item_id)
    assert item is not None
    view = item_view(item)
    allowed = await access(session, env, item)
    if allowed is not Access.CHANGE:
        text = texts.card_text(view, env.today).rsplit("\n", 1)[0]
        why = texts.SUPPORT_ONLY if allowed is Access.NOTE else texts.NOT_YOURS
        return Send(text + "\n" + texts.refused_text(why), items=[(0, item_id)])
    text = texts.card_text(view, env.today)
    if others > 0:
        text += "\n" + texts.other_dates_text(others)
    version = await version_of(session, due_item_id=item_id)
    return Send(text, card_keyboard(item_id, version), items=[(0, item_id)])


async def card_for_code(session: AsyncSession, env: Env, *, task_id: int) -> Result:
    """After /nhiemvu <code> (whose answer is the task's details): the card with the four
    choices, when this chat may update the task; else nothing."""
    if env.outsider:
        return Result()
    found = await items_for_code(session, env, task_id=task_id)
    result = Result()
    for first in found.items[:1]:
        item = await plans_repo.get_due_item(session, due_item_id=first.id)  # with its task and plan
        if item is not None and await access(session, env, item) is Access.CHANGE:
            result.sends.append(await _card(session, env, item.id, others=len(found.items) - 1))
    return result


# --- the reminder's task buttons and the card ------------------------------------------------------


async def show_card(session: AsyncSession, env: Env, *, due_item_id: int) -> Result:
    """u:<item> under a reminder (tap 1): the task card with the four choices, as a reply.
    `env.message_id`: the reminder pressed."""
    assert env.message_id is not None
    listed = await context_items(session, tg_chat_id=env.tg_chat_id, message_id=env.message_id)
    number = next((i.number for i in listed or () if i.due_item_id == due_item_id), None)
    item = await plans_repo.get_due_item(session, due_item_id=due_item_id)
    if listed is None or number is None or item is None:
        return Result().refuse(help_texts.BAD_BUTTON)
    if item.cancelled or item.task.removed:
        return Result().refuse(texts.GONE)
    allowed = await access(session, env, item)
    if allowed is not Access.CHANGE:
        return Result().refuse(texts.NOT_YOURS if allowed is Access.NONE else texts.SUPPORT_ONLY)
    version = await version_of(session, due_item_id=due_item_id)
    view = item_view(item, number)
    return Result(sends=[Send(texts.card_text(view, env.today), card_keyboard(due_item_id, version),
                              items=[(number or 0, due_item_id)])])


async def card_choice(
    session: AsyncSession, env: Env, *, due_item_id: int, version: int, action: CardAction
) -> Result:
    """A choice on a task card (tap 2, or 3 for a progress figure). `env.message_id`: the card."""
    card = env.message_id
    assert card is not None
    listed = await context_items(session, tg_chat_id=env.tg_chat_id, message_id=card, reminders=False) or []
    if not any(i.due_item_id == due_item_id for i in listed):
        return Result().refuse(help_texts.BAD_BUTTON)
    number = _number(next((i.number for i in listed if i.due_item_id == due_item_id), None))
    result = Result()
    if action in (CardAction.PROGRESS, CardAction.BACK):
        item = await plans_repo.get_due_item(session, due_item_id=due_item_id)
        allowed = await access(session, env, item) if item is not None else Access.NONE
        if item is None or allowed is not Access.CHANGE:
            return result.refuse(texts.NOT_YOURS if item is not None else texts.GONE)
        current = await version_of(session, due_item_id=due_item_id)
        view = item_view(item, number)
        if current != version:
            result.refuse(texts.CARD_REFRESHED)
            result.edits.append(Edit(env.tg_chat_id, card, texts.card_text(view, env.today), card_keyboard(due_item_id, current)))
        elif action is CardAction.PROGRESS:
            result.edits.append(
                Edit(env.tg_chat_id, card, texts.card_progress_text(view, env.today), progress_keyboard(due_item_id, version))
            )
        else:
            result.edits.append(Edit(env.tg_chat_id, card, texts.card_text(view, env.today), card_keyboard(due_item_id, version)))
        return result
    outcome = await apply(
        session, env, due_item_id=due_item_id, intent=_CARD_INTENTS[action], number=number, version=version
    )
    if outcome.withdrawn_request_id:
        result.withdrawn.append(outcome.withdrawn_request_id)
    if outcome.refused:
        result.refuse(outcome.refused)
        if outcome.stale and outcome.item is not None:
            current = await version_of(session, due_item_id=due_item_id)
            result.edits.append(
                Edit(env.tg_chat_id, card, texts.card_text(outcome.item, env.today), card_keyboard(due_item_id, current))
            )
    elif outcome.needs is not None:
        ask = await _input_prompt(session, env, outcome, number=number, prompt_message_id=card)
        result.edits.append(Edit(env.tg_chat_id, card, ask.text, ask.buttons))
    else:
        assert outcome.recorded is not None and outcome.change_id is not None
        if outcome.extension_request_id:
            result.extension_requests.append(outcome.extension_request_id)
        text = texts.recorded_text([outcome.recorded], env.today, undo_minutes=_undo_minutes())
        result.edits.append(Edit(env.tg_chat_id, card, text, [[(texts.BTN_UNDO, encode(Undo(outcome.change_id)))]]))
        result.answer = texts.RECORDED
    return await _extension_posts(session, env, result)


async def undo_change(
    session: AsyncSession,
    env: Env,
    *,
    change_id: int,
    message_html: str,
    other_buttons: Buttons,
) -> Result:
    """↩️ Hoàn tác under a confirmation (`env.message_id`, showing `message_html` with
    `other_buttons` besides the one pressed): a new history row restores what the change replaced."""
    message_id = env.message_id
    assert message_id is not None
    listed = await context_items(session, tg_chat_id=env.tg_chat_id, message_id=message_id) or []
    record = await status_changes_repo.get_undo(session, change_id=change_id)
    number = None
    if record is not None:
        number = _number(next((i.number for i in listed if i.due_item_id == record.due_item_id), None))
    undone = await undo(session, env, change_id=change_id, number=number)
    if undone.refused is not None:
        return Result().refuse(undone.refused)
    assert undone.item is not None
    result = Result(answer=texts.UNDONE)
    if undone.withdrawn_request_id:
        result.withdrawn.append(undone.withdrawn_request_id)
    done_line = texts.undone_text(undone.item, env.today, actor=env.actor.name, at=env.local_now)
    if other_buttons:
        result.edits.append(Edit(env.tg_chat_id, message_id, f"{message_html}\n\n{done_line}", other_buttons))
    else:
        version = await version_of(session, due_item_id=undone.item.due_item_id)
        # The item can be updated again right here: the four choices come back.
        result.edits.append(
            Edit(
                env.tg_chat_id, message_id, f"{done_line}\n\n{texts.card_text(undone.item, env.today)}",
                card_keyboard(undone.item.due_item_id, version), items=[(number or 0, undone.item.due_item_id)],
            )
        )
    return await _extension_posts(session, env, result)


# --- questions: confirm / cancel -------------------------------------------------------------------


async def confirm_option(
    session: AsyncSession, env: Env, *, at: int, prompt_id: int, option: int | None
) -> Result:
    """rc:<prompt>:<option> on the question `at`: record the option chosen (None: "none of these")."""
    prompt = await status_changes_repo.get_prompt(session, prompt_id=prompt_id)
    problem = prompt_problem(prompt, env, tg_chat_id=env.tg_chat_id)
    if prompt is not None and prompt.kind is not PromptKind.CONFIRM:
        problem = help_texts.BAD_BUTTON
    if problem is None and prompt is not None and prompt.prompt_message_id not in (None, at):
        problem = help_texts.BAD_BUTTON
    options = [Planned.from_json(o) for o in (prompt.payload.get("options") or [])] if prompt else []
    if problem is None and option is not None and not option < len(options):
        problem = help_texts.BAD_BUTTON
    if problem is not None:
        return Result().refuse(problem)
    assert prompt is not None
    raw = str(prompt.payload.get("raw") or "")
    state = FlowState.CANCELLED if option is None else FlowState.DONE
    if not await status_changes_repo.close_prompt(session, prompt_id=prompt.id, state=state, now=env.now):
        return Result().refuse(texts.QUESTION_ANSWERED)
    result = Result()
    if option is None:
        result.edits.append(Edit(env.tg_chat_id, at, texts.question_closed_text(raw, texts.NOTHING_RECORDED)))
        return result
    env = replace(env, message_id=prompt.source_message_id, source=prompt.source)
    files = list(prompt.payload.get("files") or [])
    done = await _record_planned(session, env, [options[option]], result, files=files)
    if done.views or done.refused:
        text = texts.recorded_text(done.views, env.today, refused=done.refused, undo_minutes=_undo_minutes())
        result.edits.append(Edit(env.tg_chat_id, at, text, [done.undo] if done.undo else None, items=done.items))
    else:
        result.edits.append(Edit(env.tg_chat_id, at, texts.question_closed_text(raw, texts.CHOSEN_NEXT)))
    return await _extension_posts(session, env, result)


async def cancel_prompt(session: AsyncSession, env: Env, *, prompt_id: int) -> Result:
    """pc:<prompt> on the question (`env.message_id`): stop waiting for a blocker's line or an
    extension date; the card comes back."""
    at = env.message_id
    assert at is not None
    prompt = await status_changes_repo.get_prompt(session, prompt_id=prompt_id)
    problem = prompt_problem(prompt, env, tg_chat_id=env.tg_chat_id)
    if problem is None and prompt is not None and prompt.prompt_message_id != at:
        problem = help_texts.BAD_BUTTON
    if problem is not None:
        return Result().refuse(problem)
    assert prompt is not None
    await status_changes_repo.close_prompt(session, prompt_id=prompt.id, state=FlowState.CANCELLED, now=env.now)
    planned = planned_from_prompt(prompt)
    view = None
    if planned is not None and planned.target.item is not None:
        item = planned.target.item
        view = await load_view(session, due_item_id=item.due_item_id, number=_number(item.number))
    result = Result(answer=texts.CANCELLED)
    if view is not None:
        version = await version_of(session, due_item_id=view.due_item_id)
        result.edits.append(Edit(env.tg_chat_id, at, texts.card_text(view, env.today), card_keyboard(view.due_item_id, version)))
    else:
        result.edits.append(Edit(env.tg_chat_id, at, texts.CANCELLED))
    return result


# --- extension requests: the leaders decide ------------------------------------------------------


async def answer_extension(session: AsyncSession, env: Env, *, request_id: int, approve: bool) -> Result:
    """gh:<request>:ok|no on a request's post (`env.message_id`, in the leaders' chat or an
    admin's private chat): decide it, show the outcome on every copy, tell the agency."""
    assert env.message_id is not None
    decision = await decide_extension(session, env, request_id=request_id, approve=approve)
    result = Result()
    request = decision.request
    if request is not None and decision.view is not None and request.state is not ExtensionState.PENDING:
        # The pressed post shows the outcome at once; every other copy (leaders' chats,
        # admins, /giahan lists) through the outbox, queued with the decision.
        result.edits.append(Edit(env.tg_chat_id, env.message_id, texts.extension_request_text(decision.view)))
        result.queued = True  # the other copies' rewrites (decided or overtaken just now)
    if decision.refused is not None:
        return result.refuse(decision.refused)
    # The agency's chats hear the outcome through the outbox (queued with the decision).
    result.queued = True
    result.answer = texts.APPROVED if approve else texts.REJECTED
    return result


async def pending_extensions(session: AsyncSession, env: Env) -> Result:
    """/giahan: the extension requests waiting for a decision (leaders' chat, admins)."""
    if not (env.actor.is_admin or env.scope.kind is ScopeKind.LEADERS):
        return Result(sends=[Send(texts.refused_text(texts.NOT_LEADER))])
    requests = await status_changes_repo.pending_extension_requests(session, province_ids=env.scope.province_ids)
    result = Result(sends=[Send(texts.pending_extensions_text(len(requests)))])
    for request in requests[:MAX_PENDING_SHOWN]:
        view = await extension_view(session, request, env.tz)
        if view is not None:
            result.sends.append(
                Send(texts.extension_request_text(view), decide_buttons(request.id), extension_post=request.id)
            )
    return result


# --- after delivery ------------------------------------------------------------------------------


def needs_remembering(result: Result, sent: Sequence[Sent]) -> bool:
    return any(s.send.items or s.send.prompt_id is not None or s.send.extension_post is not None for s in sent) or any(
        e.items for e in result.edits
    )


def follow_ups(result: Result, sent: Sequence[Sent]) -> list[str]:
    """What to add in the acting chat once delivered: a new request that nobody can decide
    in Telegram is said so."""
    return [texts.NO_LEADERS for _ in result.unposted]


def chats_touched(result: Result, sent: Sequence[Sent]) -> set[int]:
    """The chats whose later updates must see this delivery's bookkeeping."""
    return {s.chat_id for s in sent} | {e.chat_id for e in result.edits if e.items}


async def remember_sent(session: AsyncSession, result: Result, sent: Sequence[Sent], *, now: datetime) -> list[str]:
    """Store what the messages sent number, the prompts they ask, the leaders' posts of each
    request (in the caller's transaction). Returns what to add in the acting chat: a new
    request that reached no leader is said so. The bot's handlers do not call this in a
    transaction of its own but through `bot.services.sent_ids.SentIds`, which folds it into
    the next status transaction."""
    posts: dict[int, list[tuple[int, int]]] = {}
    if needs_remembering(result, sent):
        await begin_write(session)
        for s in sent:
            if s.send.items:
                await item_messages_repo.remember_item_message(
                    session, tg_chat_id=s.chat_id, tg_message_id=s.message_id, items=s.send.items, now=now
                )
            if s.send.prompt_id is not None:
                await status_changes_repo.set_prompt_message(session, prompt_id=s.send.prompt_id, prompt_message_id=s.message_id)
            if s.send.extension_post is not None:
                posts.setdefault(s.send.extension_post, []).append((s.chat_id, s.message_id))
        for edit in result.edits:
            if edit.items:
                await item_messages_repo.remember_item_message(
                    session, tg_chat_id=edit.chat_id, tg_message_id=edit.message_id, items=edit.items, now=now
                )
        for request_id, new_posts in posts.items():
            request = await status_changes_repo.get_extension_request(session, request_id=request_id)
            if request is not None:
                old = [(int(c), int(m)) for c, m in (request.posts or [])]
                await set_extension_posts(session, request_id=request_id, posts=old + new_posts)
    return follow_ups(result, sent)
