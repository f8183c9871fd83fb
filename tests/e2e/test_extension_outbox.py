"""The outbox rewrites messages (kind EDIT), end to end with the running bot's sender and the
fake Bot API, on SQLite and PostgreSQL: an edit queued with its post waits until the post is
sent, then rewrites that very message (the id the sender kept); an edit of a message that
was never sent, or that Telegram will not edit, fails quietly (no notice to the admins);
"message is not modified" counts as done."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.db import chats as chats_repo
from bot.db import outbox as outbox_repo
from bot.db.models import OutboxMessage
from bot.domain.kinds import OutboxKind, OutboxStatus
from bot.render import outbox as outbox_texts
from tests.e2e.conftest import BOT_NOW, LEADERS_GROUP, BotWorld


def _row(chat_id: int, *, kind: OutboxKind, part: int, body: str, buttons: Any = None, edit_of: int | None = None,
         edit_message_id: int | None = None, status: OutboxStatus = OutboxStatus.PENDING) -> dict[str, Any]:
    return {
        "chat_id": chat_id, "tg_chat_id": LEADERS_GROUP, "on_date": BOT_NOW.date(), "kind": kind, "part": part,
        "parts": 1, "body": body, "buttons": buttons, "edit_of": edit_of, "edit_message_id": edit_message_id,
        "status": status, "next_attempt_at": BOT_NOW, "created_at": BOT_NOW,
    }


async def _rows(w: BotWorld, ids: list[int]) -> dict[int, OutboxMessage]:
    async with w.sm() as s:
        return {r.id: r for r in await s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}


async def test_edits_follow_their_post_and_fail_quietly_without_one(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(LEADERS_GROUP, leaders=True)
    direct = await w.app.bot.send_message(LEADERS_GROUP, "Tin gửi trực tiếp")  # type: ignore[attr-defined]
    before = len(w.server.messages_in(LEADERS_GROUP))
    async with w.sm() as s, s.begin():
        chat = await chats_repo.get_chat(s, tg_chat_id=LEADERS_GROUP)
        assert chat is not None
        [post] = await outbox_repo.enqueue(s, [_row(
            chat.id, kind=OutboxKind.EXTENSION, part=1, body="📅 Đề nghị gia hạn (chờ quyết định)",
            buttons=[[["✅ Đồng ý", "gh:1:ok"], ["❌ Từ chối", "gh:1:no"]]],
        )])
        [lost] = await outbox_repo.enqueue(s, [_row(
            chat.id, kind=OutboxKind.EXTENSION, part=2, body="không bao giờ gửi", status=OutboxStatus.FAILED,
        )])
        edits = await outbox_repo.enqueue(s, [
            # queued with its post, claimed in the same batch: waits until the post is sent
            _row(chat.id, kind=OutboxKind.EDIT, part=post, body="📅 Đề nghị gia hạn — đã rút", edit_of=post),
            # its post failed: nothing to rewrite
            _row(chat.id, kind=OutboxKind.EDIT, part=lost, body="đã rút", edit_of=lost),
            # a message sent directly, already saying this: "not modified" is done
            _row(chat.id, kind=OutboxKind.EDIT, part=-direct.message_id, body="Tin gửi trực tiếp",
                 edit_message_id=direct.message_id),
            # a message that is not there (deleted): Telegram refuses, the row fails quietly
            _row(chat.id, kind=OutboxKind.EDIT, part=-999_999, body="đã rút", edit_message_id=999_999),
        ])
    w.app.bot_data.wake_senders()  # type: ignore[attr-defined]

    async def settled() -> dict[int, OutboxMessage] | None:
        rows = await _rows(w, [post, *edits])
        return rows if all(r.status in (OutboxStatus.SENT, OutboxStatus.FAILED) for r in rows.values()) else None

    rows = None
    for _ in range(60):
        rows = await settled()
        if rows:
            break
        # The edit that found its post still on its way was put back for a few seconds; the
        # bot's clock stands still here: let that time pass, and wake the sender again.
        await w.let_retries_come_due()
        await asyncio.sleep(0.25)
    assert rows is not None, "the outbox did not settle"
    follow, of_lost, not_modified, missing = (rows[i] for i in edits)
    sent_post = rows[post]
    assert sent_post.status is OutboxStatus.SENT and sent_post.tg_message_id is not None
    # The post went once, then was rewritten in place: same message, no buttons left.
    new = w.server.messages_in(LEADERS_GROUP)[before:]
    assert len(new) == 1 and new[0].message_id == sent_post.tg_message_id
    assert w.text(LEADERS_GROUP, sent_post.tg_message_id) == "📅 Đề nghị gia hạn — đã rút"
    assert not (w.server.message(LEADERS_GROUP, sent_post.tg_message_id) or {}).get("reply_markup")
    assert follow.status is OutboxStatus.SENT and follow.tg_message_id == sent_post.tg_message_id
    assert of_lost.status is OutboxStatus.FAILED and of_lost.error == outbox_texts.EDIT_TARGET_LOST
    assert not_modified.status is OutboxStatus.SENT
    assert missing.status is OutboxStatus.FAILED and (missing.error or "").startswith("Telegram không cho sửa tin")
    async with w.sm() as s:  # a lost rewrite is not worth an admin's notice
        told = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.UNREACHABLE))).all()
    assert told == []
