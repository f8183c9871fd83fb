"""An extension request's posts to the deciders, through the outbox, and their rewrites.

A request made anywhere (a Zalo message, the console, a reply in the group) is posted to
the province's leaders' chats — else to its admins — with the decision buttons, as outbox
rows of kind EXTENSION queued in the transaction that records the request: the post exists
if and only if the request does, and it is sent once, retried, never lost. The sender keeps
each post's message id (outbox.tg_message_id).

When the request is withdrawn (the item updated otherwise, the request undone) or decided,
every copy shows it, without the buttons: a post still waiting is rewritten in place; one on
its way or sent gets an EDIT row naming it (sent after it, whatever the order the rows are
claimed in); copies sent directly (a /giahan listing, posts of older versions: the
request's `posts`) get EDIT rows naming their message. All in the caller's transaction.

Functions take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import outbox as outbox_repo
from bot.db import plans as plans_repo
from bot.db import status_changes as status_changes_repo
from bot.db.session import AsyncSession
from bot.domain.admins import Admins
from bot.domain.kinds import OutboxKind, OutboxStatus
from bot.render import status as texts
from bot.services import status as svc


def _row(
    *, chat_id: int | None, admin_tg_id: int | None, tg_chat_id: int, kind: OutboxKind, part: int, body: str,
    buttons: Any, on_date: date, now: datetime, edit_of: int | None = None, edit_message_id: int | None = None,
) -> dict[str, Any]:
    # Every row of one enqueue call has the same keys.
    return {
        "chat_id": chat_id, "admin_tg_id": admin_tg_id, "tg_chat_id": tg_chat_id, "on_date": on_date, "kind": kind,
        "part": part, "parts": 1, "body": body, "buttons": buttons, "edit_of": edit_of,
        "edit_message_id": edit_message_id, "next_attempt_at": now, "created_at": now,
    }


async def post_request(
    session: AsyncSession, *, request_id: int, tz: ZoneInfo, admins: Admins, on_date: date, now: datetime
) -> int:
    """Queue the request's post, with the decision buttons, for the leaders' chats of its
    province (else its admins' private chats). Returns the rows queued: 0 means nobody can
    decide it in Telegram (the caller says so)."""
    request = await status_changes_repo.get_extension_request(session, request_id=request_id)
    if request is None:
        return 0
    view = await svc.extension_view(session, request, tz)
    item = await plans_repo.get_due_item(session, due_item_id=request.due_item_id)
    if view is None or item is None:
        return 0
    body, buttons = texts.extension_request_text(view), svc.decide_buttons(request_id)
    province_id = item.task.plan.province_id
    to: list[tuple[int | None, int | None, int]] = [
        (chat.id, None, chat.tg_chat_id) for chat in await chats_repo.leaders_chats(session, province_id=province_id)
    ]
    if not to:
        province = await agencies_repo.get_province_by_id(session, province_id=province_id)
        to = [(None, admin, admin) for admin in (sorted(admins.of(province.slug)) if province is not None else [])]
    rows = [
        _row(
            chat_id=chat_id, admin_tg_id=admin_tg_id, tg_chat_id=tg_chat_id, kind=OutboxKind.EXTENSION,
            part=request_id, body=body, buttons=buttons, on_date=on_date, now=now,
        )
        for chat_id, admin_tg_id, tg_chat_id in to
    ]
    return len(await outbox_repo.enqueue(session, rows))


async def posted(session: AsyncSession, *, request_id: int) -> bool:
    """Whether the request has posts queued (or sent) to anyone."""
    return bool(await outbox_repo.posts(session, kind=OutboxKind.EXTENSION, part=request_id))


async def show_outcome(
    session: AsyncSession,
    *,
    request_id: int,
    tz: ZoneInfo,
    on_date: date,
    now: datetime,
    shown: tuple[int, int] | None = None,
) -> int:
    """Every copy of the request shows where it stands now (withdrawn, approved, rejected),
    without the buttons; `shown`: the (chat, message) the caller rewrites itself (the post
    whose button was pressed). Returns the rows queued (rewrites in place not counted)."""
    request = await status_changes_repo.get_extension_request(session, request_id=request_id)
    view = await svc.extension_view(session, request, tz) if request is not None else None
    if request is None or view is None:
        return 0
    body = texts.extension_request_text(view)
    rows: list[dict[str, Any]] = []
    for post in await outbox_repo.posts(session, kind=OutboxKind.EXTENSION, part=request_id):
        if post.status in (OutboxStatus.FAILED, OutboxStatus.UNCERTAIN):
            continue  # never shown (or not known to be): nothing to rewrite
        if shown is not None and (post.tg_chat_id, post.tg_message_id) == shown:
            continue
        if post.status is OutboxStatus.PENDING and await outbox_repo.rewrite_pending(
            session, outbox_id=post.id, body=body, buttons=None
        ):
            continue
        rows.append(
            _row(
                chat_id=post.chat_id, admin_tg_id=post.admin_tg_id, tg_chat_id=int(post.tg_chat_id or 0),
                kind=OutboxKind.EDIT, part=post.id, body=body, buttons=None, on_date=on_date, now=now, edit_of=post.id,
            )
        )
    for chat, message in dict.fromkeys((int(c), int(m)) for c, m in request.posts or []):
        if (chat, message) == shown:
            continue
        bound = await chats_repo.get_chat(session, tg_chat_id=chat)
        rows.append(
            _row(
                # A copy in a bound chat goes with the chat's rows; else it is an admin's private chat.
                chat_id=bound.id if bound is not None else None, admin_tg_id=None if bound is not None else chat,
                tg_chat_id=chat, kind=OutboxKind.EDIT, part=-message, body=body, buttons=None, on_date=on_date,
                now=now, edit_message_id=message,
            )
        )
    return len(await outbox_repo.enqueue(session, rows))
