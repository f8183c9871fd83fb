"""Status updates: the reminder's task buttons, the task card, free-text replies, /capnhat,
evidence files, undo, and the leaders' decision on extension requests.

Buttons carry only ids (all far below Telegram's 64 bytes) and are re-checked on every
press against the database — permission, the item's current state (a card button carries
the version of the item it was drawn for) and the prompt or request it belongs to — so a
forged or stale press changes nothing and says why.

    u:<due item>                        reminder, tap 1: the task card with the four choices
    st:<due item>:<version>:<action>    card: d done, p in progress (→ 25/50/75), p25 p50 p75,
                                        b blocked (asks for one line), e extension (asks the date),
                                        k back to the four choices
    ud:<history row>                    undo that change (a new history row)
    rc:<prompt>:<option>|x              confirm what a reply meant / none of these
    pc:<prompt>                         cancel a question waiting for a reply
    gh:<request>:ok|no                  leaders: approve / reject an extension request

Each update uses one session: the changes are committed before anything is sent, then the
ids of the messages sent (for replies to them) are stored in a second short transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.app import Context
from bot.db import repositories as repo
from bot.db.models import ExtensionState, FlowState, PromptKind
from bot.domain.codes import parse_task_code, task_code
from bot.domain.replies import (
    AskReason,
    ChangeKind,
    ContextItem,
    Intent,
    Planned,
    Question,
    ReplyOutcome,
    Target,
    parse_extension_answer,
    parse_note_answer,
    parse_reply,
    parse_status,
)
from bot.domain.status import ChangeSource
from bot.render import help as help_texts
from bot.render import status as texts
from bot.render.progress import short_title
from bot.services import status as svc
from bot.services.chats import Scope, ScopeKind
from bot.services.progress import province_tz
from handlers.common import scope_of, services

log = logging.getLogger("nhacviec.handlers.status")

ALERT = 190  # callback answers are limited to 200 characters
MAX_QUESTION_OPTIONS = 30


# --- keyboards ---------------------------------------------------------------------------------


def card_keyboard(item_id: int, version: int) -> list[list[tuple[str, str]]]:
    base = f"st:{item_id}:{version}"
    return [
        [(texts.BTN_DONE, f"{base}:d"), (texts.BTN_PROGRESS, f"{base}:p")],
        [(texts.BTN_BLOCKED, f"{base}:b"), (texts.BTN_EXTENSION, f"{base}:e")],
    ]


def progress_keyboard(item_id: int, version: int) -> list[list[tuple[str, str]]]:
    base = f"st:{item_id}:{version}"
    return [[(f"{p}%", f"{base}:p{p}") for p in texts.PROGRESS_STEPS], [(texts.BTN_BACK, f"{base}:k")]]


def markup(rows: Sequence[Sequence[tuple[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows if row]
    )


# --- what to send after the transaction -------------------------------------------------------


@dataclass
class Out:
    """A message to send once the changes are committed."""

    text: str
    buttons: list[list[tuple[str, str]]] | None = None
    items: list[tuple[int, int]] = field(default_factory=list)  # (number, due item) it numbers
    prompt_id: int | None = None  # the prompt this message asks
    chat_id: int | None = None  # None: in reply, in the same chat
    reply_to: int | None = None  # with chat_id: the message to reply to, if it still exists
    extension_post: int | None = None  # an extension request this message lets the leaders decide
    undo_items: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Edit:
    chat_id: int
    message_id: int
    text: str
    buttons: list[list[tuple[str, str]]] | None = None
    items: list[tuple[int, int]] = field(default_factory=list)  # renumber (cards turned confirmations)


@dataclass
class Plan:
    outs: list[Out] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)  # extension requests to mark in the leaders' chats
    extension_requests: list[int] = field(default_factory=list)  # new: post to the leaders


async def _open_write(
    session: AsyncSession, update: Update, context: Context, *, source: ChangeSource, message_id: int | None
) -> tuple[Scope, svc.Env]:
    """The start of every status transaction: take SQLite's write lock first (a write right
    after the reminder sender's commit would otherwise fail with "database is locked"),
    then who is asking, from where."""
    await repo.begin_write(session)
    scope = await scope_of(session, update, context)
    return scope, _env(scope, update, context, source=source, message_id=message_id)


def _env(scope: Scope, update: Update, context: Context, *, source: ChangeSource, message_id: int | None) -> svc.Env:
    services_ = services(context)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    return svc.Env(
        scope=scope,
        actor=svc.Actor(user.id, user.full_name or str(user.id), scope.admin_of),
        now=services_.now(),
        tz=province_tz(scope, services_.settings.timezone),
        tg_chat_id=chat.id,
        message_id=message_id,
        source=source,
    )


def _short(text: str) -> str:
    return text if len(text) <= ALERT else text[: ALERT - 1] + "…"


def _number(n: int | None) -> int | None:
    return n if n else None


# --- recording planned changes (replies, confirmations, /capnhat) --------------------------------


async def _resolve(session: AsyncSession, env: svc.Env, target: Target) -> tuple[list[tuple[int | None, int]], str | None]:
    """(number, due item id) for a target; a task code is looked up in the chat's scope."""
    if target.item is not None:
        return [(_number(target.item.number), target.item.due_item_id)], None
    assert target.task_id is not None
    found = await svc.items_for_code(session, env, task_id=target.task_id)
    if found.refused:
        return [], found.refused
    return [(None, item.id) for item in found.items], None


async def _record(
    session: AsyncSession,
    env: svc.Env,
    planned: Sequence[Planned],
    plan: Plan,
    *,
    files: Sequence[dict[str, Any]] = (),
    refused: list[str] | None = None,
) -> tuple[list[texts.RecordedView], list[tuple[str, str]], list[tuple[int, int]]]:
    """Apply sure changes; returns what was recorded, undo buttons and the items numbered.

    Changes that need more input become prompts (their own messages, added to `plan`)."""
    views: list[texts.RecordedView] = []
    undo: list[tuple[str, str]] = []
    items: list[tuple[int, int]] = []
    refusals = refused if refused is not None else []
    undoable = 0
    pending_undo: list[tuple[int | None, int]] = []
    for change in planned:
        targets, problem = await _resolve(session, env, change.target)
        if problem:
            refusals.append(problem)
            continue
        if len(targets) > 1:
            plan.outs.append(await _ask_which_agency(session, env, targets, change.intent, files))
            continue
        number, item_id = targets[0]
        outcome = await svc.apply(session, env, due_item_id=item_id, intent=change.intent, number=number, files=files)
        if outcome.withdrawn_request_id:
            plan.withdrawn.append(outcome.withdrawn_request_id)
        if outcome.refused:
            refusals.append(outcome.refused)
            continue
        if outcome.needs is not None:
            assert outcome.item is not None
            plan.outs.append(
                await _input_prompt(session, env, outcome, number=number, files=files)
            )
            continue
        assert outcome.recorded is not None
        views.append(outcome.recorded)
        items.append((number or 0, item_id))
        if outcome.extension_request_id:
            plan.extension_requests.append(outcome.extension_request_id)
        if outcome.undoable and outcome.change_id:
            undoable += 1
            pending_undo.append((number, outcome.change_id))
    for number, change_id in pending_undo:
        undo.append((texts.undo_label(number, undoable > 1), f"ud:{change_id}"))
    return views, undo, items


async def _input_prompt(
    session: AsyncSession,
    env: svc.Env,
    outcome: svc.Outcome,
    *,
    number: int | None,
    files: Sequence[dict[str, Any]] = (),
    prompt_message_id: int | None = None,
) -> Out:
    """Ask for the blocker's line or the extension date, as a message to answer by reply."""
    item = outcome.item
    assert item is not None and outcome.intent is not None and outcome.needs is not None
    planned = Planned(
        Target(item=ContextItem(number or 0, item.due_item_id, item.task_id, item.due_on, item.title)),
        outcome.intent,
    )
    prompt = await svc.new_prompt(
        session, env, kind=outcome.needs,
        payload={"planned": planned.as_json(), "files": list(files)},
        prompt_message_id=prompt_message_id,
    )
    text = (
        texts.ask_note_text(item, env.today)
        if outcome.needs is PromptKind.NOTE
        else texts.ask_date_text(item, env.today, problem=outcome.problem)
    )
    return Out(
        text, [[(texts.BTN_CANCEL, f"pc:{prompt.id}")]], items=[(number or 0, item.due_item_id)], prompt_id=prompt.id
    )


async def _ask_which_agency(
    session: AsyncSession,
    env: svc.Env,
    targets: Sequence[tuple[int | None, int]],
    intent: Intent,
    files: Sequence[dict[str, Any]],
) -> Out:
    """A task code that means several due items (a yearly task, several lead agencies): which?"""
    views = [v for _, item_id in targets[:MAX_QUESTION_OPTIONS] if (v := await svc.load_view(session, due_item_id=item_id))]
    several_agencies = len({v.agency_name for v in views}) > 1
    options = []
    labels = []
    for view in views:
        options.append(Planned(Target(item=ContextItem(0, view.due_item_id, view.task_id, view.due_on, view.title)), intent))
        label = f"hạn {view.due_on:%d/%m/%Y}"
        labels.append(f"{view.agency_name} · {label}" if several_agencies else label[0].upper() + label[1:])
    question = Question(AskReason.WHICH_ITEM, tuple(options), "")
    out = await _question_out(session, env, question, files=files, labels=labels)
    if views and not files:
        out.text = texts.which_due_text(task_code(views[0].task_id), intent)
    return out


async def _question_out(
    session: AsyncSession,
    env: svc.Env,
    question: Question,
    *,
    files: Sequence[dict[str, Any]] = (),
    labels: Sequence[str] | None = None,
) -> Out:
    """A question with one button per option; nothing is recorded until one is pressed."""
    if not question.options:
        return Out(texts.NO_ITEMS)
    options = question.options[:MAX_QUESTION_OPTIONS]
    prompt = await svc.new_prompt(
        session, env, kind=PromptKind.CONFIRM,
        payload={
            "options": [o.as_json() for o in options], "raw": question.text, "reason": question.reason.value,
            "detail": question.detail, "files": list(files),
        },
    )
    refs = {(o.target.item.due_item_id if o.target.item else None, o.target.task_id) for o in options}
    kinds = {(o.intent.kind, o.intent.progress) for o in options}
    rows: list[list[tuple[str, str]]] = []
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
        rows.append([(label[:60], f"rc:{prompt.id}:{index}")])
    rows.append([(texts.BTN_NONE_OF_THESE, f"rc:{prompt.id}:x")])
    if files and question.reason is AskReason.WHICH_ITEM:
        text = texts.which_item_for_file_text(str(files[0].get("name") or "tệp"))
    else:
        text = texts.question_text(question.reason, question.text, question.detail)
    return Out(text, rows, prompt_id=prompt.id)


async def _handle_outcome(
    session: AsyncSession,
    env: svc.Env,
    outcome: ReplyOutcome,
    *,
    items: Sequence[ContextItem],
    files: Sequence[dict[str, Any]] = (),
) -> Plan:
    plan = Plan()
    refused: list[str] = []
    views, undo, numbered = await _record(session, env, outcome.changes, plan, files=files, refused=refused)
    if views or refused:
        plan.outs.insert(
            0,
            Out(
                texts.recorded_text(views, env.today, refused=refused, undo_minutes=int(svc.UNDO_WINDOW.total_seconds() // 60)),
                [undo[i : i + 3] for i in range(0, len(undo), 3)] or None,
                items=numbered,
            ),
        )
    for question in outcome.questions:
        plan.outs.append(await _question_out(session, env, question, files=files))
    if outcome.chatter is not None and not plan.outs:
        buttons = None
        if outcome.chatter.value == "unclear" and items:
            row = [(f"✏️ {i.number}", f"u:{i.due_item_id}") for i in items[:25]]
            buttons = [row[i : i + 5] for i in range(0, len(row), 5)]
        plan.outs.append(Out(texts.chatter_text(outcome.chatter, has_items=bool(items)), buttons))
    return plan


# --- sending ------------------------------------------------------------------------------------


async def _deliver(update: Update, context: Context, session: AsyncSession, plan: Plan, env: svc.Env) -> None:
    """Send and edit what the plan says, then remember the message ids (second transaction)."""
    message = update.effective_message
    for edit in plan.edits:
        await _edit(context, edit.chat_id, edit.message_id, edit.text, edit.buttons)
    sent: list[tuple[Out, Message]] = []
    for out in plan.outs:
        try:
            if out.chat_id is None:
                assert message is not None
                msg = await message.reply_text(out.text, reply_markup=markup(out.buttons), do_quote=True)
            else:
                msg = await context.bot.send_message(
                    out.chat_id, out.text, reply_markup=markup(out.buttons),
                    reply_to_message_id=out.reply_to, allow_sending_without_reply=True,
                )
        except (Forbidden, BadRequest) as exc:
            if out.chat_id is None:
                raise
            log.warning(
                "Không gửi được tới %s: %s", out.chat_id, exc.message,
                extra={"event": "reply.failed", "fields": {"chat_id": out.chat_id, "error": exc.message}},
            )
            continue
        sent.append((out, msg))

    posts: dict[int, list[tuple[int, int]]] = {}
    if not any(o.items or o.prompt_id is not None or o.extension_post is not None for o, _ in sent) and not any(
        e.items for e in plan.edits
    ):
        return
    async with session.begin():
        await repo.begin_write(session)
        for out, msg in sent:
            if out.items:
                await repo.remember_item_message(
                    session, tg_chat_id=msg.chat_id, tg_message_id=msg.message_id, items=out.items, now=env.now
                )
            if out.prompt_id is not None:
                await repo.set_prompt_message(session, prompt_id=out.prompt_id, prompt_message_id=msg.message_id)
            if out.extension_post is not None:
                posts.setdefault(out.extension_post, []).append((msg.chat_id, msg.message_id))
        for edit in plan.edits:
            if edit.items:
                await repo.remember_item_message(
                    session, tg_chat_id=edit.chat_id, tg_message_id=edit.message_id, items=edit.items, now=env.now
                )
        for request_id, new_posts in posts.items():
            request = await repo.get_extension_request(session, request_id=request_id)
            if request is not None:
                await svc.set_extension_posts(
                    session, request_id=request_id,
                    posts=[tuple(p) for p in (request.posts or [])] + new_posts,  # type: ignore[misc]
                )
    # A request nobody could be told about: say so to the agency.
    for request_id in plan.extension_requests:
        if request_id not in posts and message is not None:
            await message.reply_text(texts.NO_LEADERS)


async def _edit(context: Context, chat_id: int, message_id: int, text: str, buttons: Any = None) -> None:
    try:
        await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup(buttons))
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.warning(
                "Không sửa được tin nhắn %s/%s: %s", chat_id, message_id, exc.message,
                extra={"event": "edit.failed", "fields": {"chat_id": chat_id, "message_id": message_id, "error": exc.message}},
            )


async def _extension_outs(session: AsyncSession, env: svc.Env, plan: Plan, settings: Any) -> None:
    """New requests → the leaders' chats (or the admins); withdrawn ones → their posts edited."""
    for request_id in plan.extension_requests:
        request = await repo.get_extension_request(session, request_id=request_id)
        if request is None:
            continue
        view = await svc.extension_view(session, request, env.tz)
        item = await repo.get_due_item(session, due_item_id=request.due_item_id)
        if view is None or item is None:
            continue
        recipients = await svc.leader_recipients(
            session, province_id=item.task.plan.province_id, admins=settings.admins
        )
        for chat_id in recipients:
            plan.outs.append(
                Out(
                    texts.extension_request_text(view),
                    [[(texts.BTN_APPROVE, f"gh:{request_id}:ok"), (texts.BTN_REJECT, f"gh:{request_id}:no")]],
                    chat_id=chat_id, extension_post=request_id,
                )
            )
    for request_id in plan.withdrawn:
        request = await repo.get_extension_request(session, request_id=request_id)
        if request is None or not request.posts:
            continue
        view = await svc.extension_view(session, request, env.tz)
        if view is None:
            continue
        for chat_id, message_id in request.posts:
            plan.edits.append(Edit(int(chat_id), int(message_id), texts.extension_request_text(view)))


# --- the reminder's task buttons and the card ------------------------------------------------------


async def task_button(update: Update, context: Context) -> None:
    """u:<item> under a reminder (tap 1): the task card with the four choices."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    item_id = int(query.data.split(":")[1])
    reminder = query.message
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.BUTTON, message_id=reminder.message_id)
            listed = await svc.context_items(session, tg_chat_id=reminder.chat.id, message_id=reminder.message_id)
            number = next((i.number for i in listed or () if i.due_item_id == item_id), None)
            item = await repo.get_due_item(session, due_item_id=item_id)
            problem = None
            if listed is None or number is None or item is None:
                problem = help_texts.BAD_BUTTON
            elif item.cancelled or item.task.removed:
                problem = texts.GONE
            else:
                allowed = await svc.access(session, env, item)
                if allowed is svc.Access.NONE:
                    problem = texts.NOT_YOURS
                elif allowed is svc.Access.NOTE:
                    problem = texts.SUPPORT_ONLY
            if problem is None:
                assert item is not None
                view = svc.item_view(item, number)
                version = await svc.version_of(session, due_item_id=item_id)
        if problem is not None:
            await query.answer(_short(problem), show_alert=True)
            return
        plan = Plan(outs=[Out(texts.card_text(view, env.today), card_keyboard(item_id, version), items=[(number or 0, item_id)])])
        await _deliver(update, context, session, plan, env)
        await query.answer()


_CARD = re.compile(r"^st:(\d{1,9}):(\d{1,12}):(d|p|p25|p50|p75|b|e|k)$")


async def card_button(update: Update, context: Context) -> None:
    """A choice on a task card (tap 2, or 3 for a progress figure)."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    match = _CARD.match(query.data)
    assert match is not None
    item_id, version, action = int(match.group(1)), int(match.group(2)), match.group(3)
    card = query.message
    plan = Plan()
    answer: str | None = None
    alert = False
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.BUTTON, message_id=card.message_id)
            listed = await svc.context_items(
                session, tg_chat_id=card.chat.id, message_id=card.message_id, reminders=False
            ) or []
            number = next((i.number for i in listed if i.due_item_id == item_id), None)
            if not any(i.due_item_id == item_id for i in listed):
                await query.answer(help_texts.BAD_BUTTON, show_alert=True)
                return
            number = _number(number)
            if action in ("p", "k"):
                item = await repo.get_due_item(session, due_item_id=item_id)
                current = await svc.version_of(session, due_item_id=item_id)
                allowed = await svc.access(session, env, item) if item is not None else svc.Access.NONE
                if item is None or allowed is not svc.Access.CHANGE:
                    await query.answer(_short(texts.NOT_YOURS if item is not None else texts.GONE), show_alert=True)
                    return
                view = svc.item_view(item, number)
                if current != version:
                    answer, alert = "Nhiệm vụ vừa được cập nhật; đây là thông tin mới nhất.", True
                    plan.edits.append(Edit(card.chat.id, card.message_id, texts.card_text(view, env.today), card_keyboard(item_id, current)))
                elif action == "p":
                    plan.edits.append(Edit(card.chat.id, card.message_id, texts.card_progress_text(view, env.today), progress_keyboard(item_id, version)))
                else:
                    plan.edits.append(Edit(card.chat.id, card.message_id, texts.card_text(view, env.today), card_keyboard(item_id, version)))
            else:
                intent = {
                    "d": Intent(ChangeKind.DONE),
                    "p25": Intent(ChangeKind.PROGRESS, progress=25),
                    "p50": Intent(ChangeKind.PROGRESS, progress=50),
                    "p75": Intent(ChangeKind.PROGRESS, progress=75),
                    "b": Intent(ChangeKind.BLOCKED),
                    "e": Intent(ChangeKind.EXTENSION),
                }[action]
                outcome = await svc.apply(session, env, due_item_id=item_id, intent=intent, number=number, version=version)
                if outcome.withdrawn_request_id:
                    plan.withdrawn.append(outcome.withdrawn_request_id)
                if outcome.refused:
                    answer, alert = outcome.refused, True
                    if outcome.stale and outcome.item is not None:
                        current = await svc.version_of(session, due_item_id=item_id)
                        plan.edits.append(Edit(card.chat.id, card.message_id, texts.card_text(outcome.item, env.today), card_keyboard(item_id, current)))
                elif outcome.needs is not None:
                    out = await _input_prompt(session, env, outcome, number=number, prompt_message_id=card.message_id)
                    plan.edits.append(Edit(card.chat.id, card.message_id, out.text, out.buttons))
                else:
                    assert outcome.recorded is not None and outcome.change_id is not None
                    if outcome.extension_request_id:
                        plan.extension_requests.append(outcome.extension_request_id)
                    text = texts.recorded_text([outcome.recorded], env.today, undo_minutes=int(svc.UNDO_WINDOW.total_seconds() // 60))
                    plan.edits.append(Edit(card.chat.id, card.message_id, text, [[(texts.BTN_UNDO, f"ud:{outcome.change_id}")]]))
                    answer = "Đã ghi nhận."
            await _extension_outs(session, env, plan, services(context).settings)
        await _deliver(update, context, session, plan, env)
        await query.answer(_short(answer) if answer else None, show_alert=alert)


async def undo_button(update: Update, context: Context) -> None:
    """↩️ Hoàn tác: a new history row restores what the change replaced."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    change_id = int(query.data.split(":")[1])
    message = query.message
    plan = Plan()
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.BUTTON, message_id=message.message_id)
            listed = await svc.context_items(session, tg_chat_id=message.chat.id, message_id=message.message_id) or []
            record = await repo.get_undo(session, change_id=change_id)
            number = None
            if record is not None:
                number = _number(next((i.number for i in listed if i.due_item_id == record.due_item_id), None))
            result = await svc.undo(session, env, change_id=change_id, number=number)
            if result.refused is None:
                assert result.item is not None
                if result.withdrawn_request_id:
                    plan.withdrawn.append(result.withdrawn_request_id)
                original = message.text_html if isinstance(message, Message) and message.text else ""
                done_line = texts.undone_text(result.item, env.today, actor=env.actor.name, at=env.local_now)
                remaining = _other_buttons(message, query.data)
                if remaining:
                    plan.edits.append(Edit(message.chat.id, message.message_id, f"{original}\n\n{done_line}", remaining))
                else:
                    version = await svc.version_of(session, due_item_id=result.item.due_item_id)
                    # The item can be updated again right here: the four choices come back.
                    plan.edits.append(
                        Edit(
                            message.chat.id, message.message_id,
                            f"{done_line}\n\n{texts.card_text(result.item, env.today)}",
                            card_keyboard(result.item.due_item_id, version),
                            items=[(number or 0, result.item.due_item_id)],
                        )
                    )
            await _extension_outs(session, env, plan, services(context).settings)
        if result.refused:
            await query.answer(_short(result.refused), show_alert=True)
            return
        await _deliver(update, context, session, plan, env)
        await query.answer("Đã hoàn tác.")


def _other_buttons(message: Any, data: str) -> list[list[tuple[str, str]]]:
    markup_ = getattr(message, "reply_markup", None)
    rows: list[list[tuple[str, str]]] = []
    if markup_ is None:
        return rows
    for row in markup_.inline_keyboard:
        kept = [(b.text, str(b.callback_data)) for b in row if b.callback_data and b.callback_data != data]
        if kept:
            rows.append(kept)
    return rows


# --- questions: confirm / cancel -------------------------------------------------------------------


async def confirm_button(update: Update, context: Context) -> None:
    """rc:<prompt>:<option>: record the option chosen (or nothing: "Không phải")."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    _, raw_prompt, choice = query.data.split(":")
    message = query.message
    plan = Plan()
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.CHAT, message_id=None)
            prompt = await repo.get_prompt(session, prompt_id=int(raw_prompt))
            problem = svc.prompt_problem(prompt, env, tg_chat_id=message.chat.id)
            if prompt is not None and prompt.kind is not PromptKind.CONFIRM:
                problem = help_texts.BAD_BUTTON
            if problem is None and prompt is not None and prompt.prompt_message_id not in (None, message.message_id):
                problem = help_texts.BAD_BUTTON
            options = [Planned.from_json(o) for o in (prompt.payload.get("options") or [])] if prompt else []
            if problem is None and choice != "x" and not 0 <= int(choice) < len(options):
                problem = help_texts.BAD_BUTTON
            if problem is not None:
                await query.answer(_short(problem), show_alert=True)
                return
            assert prompt is not None
            raw = str(prompt.payload.get("raw") or "")
            if not await repo.close_prompt(
                session, prompt_id=prompt.id, state=FlowState.CANCELLED if choice == "x" else FlowState.DONE, now=env.now
            ):
                await query.answer("Câu hỏi này đã được trả lời.", show_alert=True)
                return
            if choice == "x":
                plan.edits.append(Edit(message.chat.id, message.message_id, texts.question_closed_text(raw, "Không ghi nhận gì.")))
            else:
                env = replace(env, message_id=prompt.source_message_id, source=prompt.source)
                files = list(prompt.payload.get("files") or [])
                refused: list[str] = []
                views, undo, numbered = await _record(session, env, [options[int(choice)]], plan, files=files, refused=refused)
                if views or refused:
                    text = texts.recorded_text(views, env.today, refused=refused, undo_minutes=int(svc.UNDO_WINDOW.total_seconds() // 60))
                    plan.edits.append(Edit(message.chat.id, message.message_id, text, [undo] if undo else None, items=numbered))
                else:
                    plan.edits.append(Edit(message.chat.id, message.message_id, texts.question_closed_text(raw, "Đã chọn; xin trả lời câu hỏi tiếp theo.")))
            await _extension_outs(session, env, plan, services(context).settings)
        await _deliver(update, context, session, plan, env)
        await query.answer()


async def prompt_cancel(update: Update, context: Context) -> None:
    """pc:<prompt>: stop waiting for a blocker's line or an extension date."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    prompt_id = int(query.data.split(":")[1])
    message = query.message
    plan = Plan()
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.BUTTON, message_id=message.message_id)
            prompt = await repo.get_prompt(session, prompt_id=prompt_id)
            problem = svc.prompt_problem(prompt, env, tg_chat_id=message.chat.id)
            if problem is None and prompt is not None and prompt.prompt_message_id != message.message_id:
                problem = help_texts.BAD_BUTTON
            if problem is not None:
                await query.answer(_short(problem), show_alert=True)
                return
            assert prompt is not None
            await repo.close_prompt(session, prompt_id=prompt.id, state=FlowState.CANCELLED, now=env.now)
            planned = svc.planned_from_prompt(prompt)
            view = None
            if planned is not None and planned.target.item is not None:
                view = await svc.load_view(session, due_item_id=planned.target.item.due_item_id, number=_number(planned.target.item.number))
            if view is not None:
                version = await svc.version_of(session, due_item_id=view.due_item_id)
                plan.edits.append(Edit(message.chat.id, message.message_id, texts.card_text(view, env.today), card_keyboard(view.due_item_id, version)))
            else:
                plan.edits.append(Edit(message.chat.id, message.message_id, "Đã huỷ."))
        await _deliver(update, context, session, plan, env)
        await query.answer("Đã huỷ.")


# --- extension requests: the leaders decide ------------------------------------------------------


async def extension_button(update: Update, context: Context) -> None:
    """gh:<request>:ok|no in the leaders' chat (or an admin's private chat)."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    _, raw_id, verb = query.data.split(":")
    plan = Plan()
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.BUTTON, message_id=query.message.message_id)
            decision = await svc.decide_extension(session, env, request_id=int(raw_id), approve=verb == "ok")
            request = decision.request
            if request is not None and decision.view is not None and request.state is not ExtensionState.PENDING:
                # Every copy of the request (leaders' chats, admins, /giahan lists) shows the outcome.
                posts = [(int(c), int(m)) for c, m in (request.posts or [])]
                here = (query.message.chat.id, query.message.message_id)
                for chat_id, message_id in dict.fromkeys([*posts, here]):
                    plan.edits.append(Edit(chat_id, message_id, texts.extension_request_text(decision.view)))
            if decision.refused is None:
                assert decision.view is not None and request is not None
                outcome = texts.extension_outcome_text(decision.view)
                for chat_id in decision.agency_chats:
                    plan.outs.append(
                        Out(outcome, chat_id=chat_id, reply_to=decision.reply_to, items=[(0, request.due_item_id)])
                    )
        await _deliver(update, context, session, plan, env)
        if decision.refused:
            await query.answer(_short(decision.refused), show_alert=True)
        else:
            await query.answer("Đã đồng ý gia hạn." if verb == "ok" else "Đã từ chối.")


async def giahan(update: Update, context: Context) -> None:
    """/giahan: the extension requests waiting for a decision (leaders' chat, admins)."""
    message = update.effective_message
    assert message is not None
    plan = Plan()
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.COMMAND, message_id=message.message_id)
            if not (env.actor.is_admin or scope.kind is ScopeKind.LEADERS):
                plan.outs.append(Out(texts.refused_text(texts.NOT_LEADER)))
            else:
                requests = await repo.pending_extension_requests(session, province_ids=scope.province_ids)
                plan.outs.append(Out(texts.pending_extensions_text(len(requests))))
                for request in requests[:20]:
                    view = await svc.extension_view(session, request, env.tz)
                    if view is not None:
                        plan.outs.append(
                            Out(
                                texts.extension_request_text(view),
                                [[(texts.BTN_APPROVE, f"gh:{request.id}:ok"), (texts.BTN_REJECT, f"gh:{request.id}:no")]],
                                extension_post=request.id,
                            )
                        )
        await _deliver(update, context, session, plan, env)


# --- free-text replies ---------------------------------------------------------------------------


class _ReplyToBot(filters.MessageFilter):
    """A message answering a bot's message (the handler checks it is this bot)."""

    def filter(self, message: Message) -> bool:
        target = message.reply_to_message
        return bool(target is not None and target.from_user is not None and target.from_user.is_bot)


REPLY_TO_BOT = _ReplyToBot(name="reply_to_bot")


async def _answer_prompt(
    session: AsyncSession, env: svc.Env, prompt: Any, text: str
) -> Plan | None:
    """A reply to "which date?" / "what is the blocker?"; None: not an answer to it."""
    planned = svc.planned_from_prompt(prompt)
    if planned is None or planned.target.item is None:
        return None
    item = planned.target.item
    number = _number(item.number)
    plan = Plan()
    files = list(prompt.payload.get("files") or [])
    if prompt.kind is PromptKind.NOTE:
        note = parse_note_answer(text)
        if note is None:
            plan.outs.append(Out("Xin nêu vướng mắc bằng một dòng chữ (trả lời tin nhắn câu hỏi)."))
            return plan
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
            plan.outs.append(Out("Bot chưa đọc được ngày đề nghị. Ví dụ: “15/12/2025 vì chờ hướng dẫn của Bộ”."))
            return plan
    outcome = await svc.apply(session, env, due_item_id=item.due_item_id, intent=intent, number=number, files=files)
    if outcome.withdrawn_request_id:
        plan.withdrawn.append(outcome.withdrawn_request_id)
    if outcome.needs is not None:
        plan.outs.append(Out(texts.refused_text(outcome.problem or "Bot chưa đọc được ngày đề nghị.")
                             + "\nXin trả lời lại tin nhắn câu hỏi với ngày khác."))
        return plan
    await repo.close_prompt(session, prompt_id=prompt.id, state=FlowState.DONE, now=env.now)
    if outcome.refused:
        plan.outs.append(Out(texts.refused_text(outcome.refused)))
    else:
        assert outcome.recorded is not None and outcome.item is not None
        if outcome.extension_request_id:
            plan.extension_requests.append(outcome.extension_request_id)
        buttons = [[(texts.BTN_UNDO, f"ud:{outcome.change_id}")]] if outcome.undoable else None
        plan.outs.append(
            Out(texts.recorded_text([outcome.recorded], env.today, undo_minutes=int(svc.UNDO_WINDOW.total_seconds() // 60)),
                buttons, items=[(number or 0, item.due_item_id)])
        )
    if prompt.prompt_message_id is not None:
        view = outcome.item
        if view is not None:
            plan.edits.append(
                Edit(env.tg_chat_id, int(prompt.prompt_message_id),
                     texts.prompt_closed_text(view, env.today, "Đã nhận trả lời, xem tin nhắn bên dưới."))
            )
    return plan


async def text_reply(update: Update, context: Context) -> None:
    """A text answering one of the bot's messages: a prompt's answer or a status reply."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None and message.text is not None
    target = message.reply_to_message
    if target.from_user is None or target.from_user.id != context.bot.id:
        return
    await _reply_flow(update, context, message, target, text=message.text, files=())


async def file_reply(update: Update, context: Context) -> None:
    """A document or photo answering a task's message: evidence (the caption may set a status)."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    target = message.reply_to_message
    if target.from_user is None or target.from_user.id != context.bot.id:
        return
    user = update.effective_user
    assert user is not None
    now = services(context).now()
    if message.document is not None:
        doc = message.document
        info: dict[str, Any] = {
            "kind": "document", "file_id": doc.file_id, "file_unique_id": doc.file_unique_id,
            "name": doc.file_name or "tệp", "mime_type": doc.mime_type, "size": doc.file_size,
        }
    else:
        photo = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        info = {
            "kind": "photo", "file_id": photo.file_id, "file_unique_id": photo.file_unique_id,
            "name": f"ảnh {now.strftime('%d%m%Y-%H%M%S')}.jpg", "mime_type": "image/jpeg", "size": photo.file_size,
        }
    info.update({"by_tg_id": user.id, "by_name": user.full_name, "at": now.isoformat(), "message_id": message.message_id})
    await _reply_flow(update, context, message, target, text=message.caption or "", files=(info,))


async def _reply_flow(
    update: Update, context: Context, message: Message, target: Message, *, text: str, files: Sequence[dict[str, Any]]
) -> None:
    if not await _reply_flow_in_session(update, context, message, target, text=text, files=files):
        if files and message.document is not None and message.chat.type == ChatType.PRIVATE:
            # Not about a task: a plan file an admin happened to send as a reply.
            from handlers import uploads

            await uploads.document(update, context)


async def _reply_flow_in_session(
    update: Update, context: Context, message: Message, target: Message, *, text: str, files: Sequence[dict[str, Any]]
) -> bool:
    """False when the message was not about any task (nothing done)."""
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.CHAT, message_id=message.message_id)
            if scope.kind is ScopeKind.NONE and not env.actor.is_admin:
                return False  # an unbound chat: nothing of ours to update
            plan: Plan | None = None
            if not files:
                prompt = await repo.prompt_for_message(
                    session, tg_chat_id=message.chat.id, prompt_message_id=target.message_id,
                    kinds=(PromptKind.NOTE, PromptKind.EXTENSION),
                )
                if prompt is not None and svc.prompt_problem(prompt, env, tg_chat_id=message.chat.id) is None:
                    plan = await _answer_prompt(session, env, prompt, text)
            if plan is None:
                items = await svc.context_items(session, tg_chat_id=message.chat.id, message_id=target.message_id)
                if files and not text.strip():
                    outcome = _evidence_outcome(items or [])
                else:
                    outcome = parse_reply(text, items or [], today=env.today)
                    if files and not outcome.is_status:
                        outcome = _evidence_outcome(items or [])
                if items is None and (not outcome.is_status or (files and not outcome.changes)):
                    return False  # not about a task (small talk, a file under another message)
                stale: list[str] = []
                if update.edited_message is not None:
                    outcome, stale = await svc.latest_word_only(
                        session, outcome, tg_chat_id=message.chat.id, message_id=message.message_id,
                        sent_at=message.date,
                    )
                plan = await _handle_outcome(session, env, outcome, items=items or [], files=files)
                if stale:
                    plan.outs.append(Out(help_texts.stale_edit(stale)))
            await _extension_outs(session, env, plan, services(context).settings)
        await _deliver(update, context, session, plan, env)
    return True


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


# --- /capnhat and /nhiemvu's buttons ------------------------------------------------------------

USAGE = (
    "Cách dùng: <code>/capnhat NV12 xong</code> · <code>/capnhat NV12 đang làm 60%</code> · "
    "<code>/capnhat NV12 vướng mắc do …</code> · <code>/capnhat NV12 xin gia hạn đến 15/12 vì …</code> · "
    "<code>/capnhat NV12 ghi chú: …</code>. Chỉ ghi mã để chọn bằng nút."
)


def _split_code(args: Sequence[str]) -> tuple[int | None, str]:
    if not args:
        return None, ""
    code = parse_task_code(args[0])
    if code is not None:
        return code, " ".join(args[1:])
    if len(args) > 1:
        code = parse_task_code(args[0] + args[1])
        if code is not None:
            return code, " ".join(args[2:])
    return None, ""


async def capnhat(update: Update, context: Context) -> None:
    """/capnhat <mã> <trạng thái> [ghi chú]: the same words as a reply, for a task code."""
    message = update.effective_message
    assert message is not None
    task_id, rest = _split_code(context.args or [])
    if task_id is None:
        await message.reply_text(USAGE)
        return
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.COMMAND, message_id=message.message_id)
            if scope.kind is ScopeKind.NONE and not env.actor.is_admin:
                plan = Plan(outs=[Out(help_texts.NOT_REGISTERED_GROUP if message.chat.type != ChatType.PRIVATE else help_texts.stranger_text())])
            else:
                edited = message if update.edited_message is not None else None
                plan = await _capnhat_plan(session, env, task_id, rest, edited=edited)
                await _extension_outs(session, env, plan, services(context).settings)
        await _deliver(update, context, session, plan, env)


async def _capnhat_plan(
    session: AsyncSession, env: svc.Env, task_id: int, rest: str, *, edited: Message | None = None
) -> Plan:
    found = await svc.items_for_code(session, env, task_id=task_id)
    if found.refused:
        return Plan(outs=[Out(texts.refused_text(found.refused))])
    if not rest.strip():
        return Plan(outs=[await _card_out(session, env, found.items[0].id, others=len(found.items) - 1)])
    targets = [
        Target(item=ContextItem(0, i.id, i.task_id, i.due_on, "")) for i in found.items
    ]
    if len(targets) == 1:
        outcome = parse_status(rest, targets[0], today=env.today)
    else:
        # An admin, several lead agencies: read the words once, then ask which agency.
        outcome = parse_status(rest, Target(task_id=task_id), today=env.today)
    if not outcome.is_status:
        return Plan(outs=[Out(texts.refused_text("Bot chưa hiểu trạng thái.") + "\n" + USAGE)])
    stale: list[str] = []
    if edited is not None:  # an edited /capnhat: the same rule as an edited reply
        outcome, stale = await svc.latest_word_only(
            session, outcome, tg_chat_id=edited.chat.id, message_id=edited.message_id, sent_at=edited.date
        )
    plan = await _handle_outcome(session, env, outcome, items=[])
    if stale:
        plan.outs.append(Out(help_texts.stale_edit(stale)))
    return plan


async def _card_out(session: AsyncSession, env: svc.Env, item_id: int, *, others: int = 0) -> Out:
    """The card of one item; `others`: more open due dates of the same task (yearly tasks)."""
    item = await repo.get_due_item(session, due_item_id=item_id)
    assert item is not None
    view = svc.item_view(item)
    if others > 0:
        text = texts.card_text(view, env.today) + "\n" + texts.other_dates_text(others)
        allowed = await svc.access(session, env, item)
        if allowed is svc.Access.CHANGE:
            version = await svc.version_of(session, due_item_id=item_id)
            return Out(text, card_keyboard(item_id, version), items=[(0, item_id)])
    allowed = await svc.access(session, env, item)
    if allowed is not svc.Access.CHANGE:
        text = texts.card_text(view, env.today).rsplit("\n", 1)[0]
        return Out(text + "\n" + texts.refused_text(texts.SUPPORT_ONLY if allowed is svc.Access.NOTE else texts.NOT_YOURS), items=[(0, item_id)])
    version = await svc.version_of(session, due_item_id=item_id)
    return Out(texts.card_text(view, env.today), card_keyboard(item_id, version), items=[(0, item_id)])


async def nhiemvu_buttons(update: Update, context: Context) -> None:
    """After /nhiemvu <mã> (handlers.progress answers first): the card with the four choices,
    when this chat may update the task."""
    message = update.effective_message
    assert message is not None
    task_id, _ = _split_code(context.args or [])
    if task_id is None:
        return
    async with services(context).sessionmaker() as session:
        async with session.begin():
            scope, env = await _open_write(session, update, context, source=ChangeSource.COMMAND, message_id=message.message_id)
            if scope.kind is ScopeKind.NONE and not env.actor.is_admin:
                return
            found = await svc.items_for_code(session, env, task_id=task_id)
            plan = Plan()
            for item in found.items[:1]:
                item_row = await repo.get_due_item(session, due_item_id=item.id)
                if item_row is not None and await svc.access(session, env, item_row) is svc.Access.CHANGE:
                    plan.outs.append(await _card_out(session, env, item.id, others=len(found.items) - 1))
            if not plan.outs:
                return
        await _deliver(update, context, session, plan, env)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Status handlers. In group 0 they must come before uploads.register (a document
    answering a task's message is evidence, not a plan) and before the private-chat fallback;
    the /nhiemvu card goes in group 1, after handlers.progress has answered the command."""
    app.add_handler(CallbackQueryHandler(task_button, pattern=r"^u:\d{1,9}$"))
    app.add_handler(CallbackQueryHandler(card_button, pattern=_CARD.pattern))
    app.add_handler(CallbackQueryHandler(undo_button, pattern=r"^ud:\d{1,12}$"))
    app.add_handler(CallbackQueryHandler(confirm_button, pattern=r"^rc:\d{1,9}:(?:\d{1,2}|x)$"))
    app.add_handler(CallbackQueryHandler(prompt_cancel, pattern=r"^pc:\d{1,9}$"))
    app.add_handler(CallbackQueryHandler(extension_button, pattern=r"^gh:\d{1,9}:(?:ok|no)$"))
    app.add_handler(CommandHandler("capnhat", capnhat))
    app.add_handler(CommandHandler("giahan", giahan))
    app.add_handler(MessageHandler(REPLY_TO_BOT & (filters.Document.ALL | filters.PHOTO), file_reply))
    app.add_handler(MessageHandler(REPLY_TO_BOT & filters.TEXT & ~filters.COMMAND, text_reply))
    app.add_handler(CommandHandler("nhiemvu", nhiemvu_buttons), group=1)
