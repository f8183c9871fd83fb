"""What to do when a message cannot go where it was addressed: the policy above the
outbox's rows (bot/db/outbox.py holds the rows, their state machine and every query).

- A group became a supergroup (`readdress`): the chat and its waiting rows follow the new
  id, unless the supergroup is bound as a chat of its own.
- A chat the bot can no longer write to (`chat_unreachable`), or an address refused for
  good (`recipient_unreachable`): it is marked so, its waiting rows fail, and the admins of
  its province are told once, through the outbox.
- A row that failed for good (`row_undeliverable`, `recipient_undeliverable`): the admins
  are told, once per row.

Functions take the caller's session and never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from bot.db import chats as chats_repo
from bot.db import outbox as outbox_repo
from bot.db import recipients
from bot.db.session import AsyncSession
from bot.domain.admins import Admins
from bot.domain.kinds import OutboxKind
from bot.logs import log_event
from bot.render import outbox as outbox_texts
from bot.render.channels import recipient_undeliverable_notice, recipient_unreachable_notice
from bot.render.reminders import (
    undeliverable_notice,
    unreachable_notice,
    unreachable_reason,
)

log = logging.getLogger("nhacviec.outbox")

# The error a row left `sending` by a process that died carries when it goes back to pending.
LEASE_LOST = outbox_texts.LEASE_LOST


async def readdress(
    session: AsyncSession, *, outbox_id: int, worker: str, chat_id: int | None, new_tg_chat_id: int, now: datetime
) -> str:
    """A group became a supergroup: point the chat (and its waiting rows) at the new id and
    put the row back to be sent again at once. Returns what was done, for the log."""
    note = outbox_texts.migrated_note(new_tg_chat_id)
    if chat_id is not None:
        owner = await chats_repo.get_chat(session, tg_chat_id=new_tg_chat_id)
        if owner is None:
            await chats_repo.set_tg_chat_id(session, chat_id=chat_id, tg_chat_id=new_tg_chat_id)
        elif owner.id != chat_id:
            # The supergroup is bound as a chat of its own (bound after the upgrade): it gets
            # its own reminders; this stale binding stops here.
            await chats_repo.mark_inactive(session, chat_id=chat_id)
            await outbox_repo.mark_failed(
                session, outbox_id=outbox_id, worker=worker,
                error=outbox_texts.superseded_error(note, owner.id),
            )
            return "superseded"
        await outbox_repo.readdress_open_rows(session, chat_id=chat_id, new_tg_chat_id=new_tg_chat_id)
    else:
        await outbox_repo.readdress_row(session, outbox_id=outbox_id, new_tg_chat_id=new_tg_chat_id)
    await outbox_repo.defer(session, outbox_id=outbox_id, worker=worker, until=now, error=note)
    return "readdressed"


async def chat_unreachable(
    session: AsyncSession,
    *,
    chat_id: int,
    error: str,
    on_date: date,
    now: datetime,
    admins: Admins,
) -> bool:
    """The bot can no longer write to a bound chat (removed, blocked, chat gone).

    The chat is marked inactive; its waiting rows fail with the reason (kept, not deleted);
    and — only by the call that actually deactivated it, so once — every admin of the
    chat's province gets a private notice through the outbox. Returns whether this call deactivated the chat.
    Also usable by the my_chat_member handler when Telegram reports the removal first.
    """
    flipped = await chats_repo.mark_inactive(session, chat_id=chat_id)
    reason = unreachable_reason(error)
    await outbox_repo.fail_pending_for_chat(session, chat_id=chat_id, error=outbox_texts.chat_unreachable_error(error))
    if not flipped:
        return False
    info = await chats_repo.chat_info(session, chat_id=chat_id)
    log_event(
        log, "chat.unreachable", outbox_texts.chat_unreachable_event(info.tg_chat_id, reason),
        level=logging.WARNING, chat_id=info.tg_chat_id, agency_id=info.agency_id, province=info.province_slug,
        error=error,
    )
    body = unreachable_notice(
        agency_name=info.agency_name, chat_title=info.title, tg_chat_id=info.tg_chat_id, reason=reason
    )
    # one notice per lost chat and day
    await outbox_repo.enqueue(
        session,
        _admin_rows(admins.of(info.province_slug), on_date=on_date, kind=OutboxKind.UNREACHABLE, part=chat_id,
                    body=body, now=now),
    )
    return True


async def row_undeliverable(
    session: AsyncSession, *, outbox_id: int, error: str, on_date: date, now: datetime, admins: Admins
) -> int:
    """A row failed for good (Telegram refused it, or every retry failed): tell the admins
    of its chat's province, once per row. Returns the notices queued.

    The notices reuse the UNREACHABLE kind with `part = -outbox_id` (a chat's notices use
    the positive Chat.id), so no new kind, and one notice per failed row and admin.
    An admin's own notice that fails is only logged (no notice about a notice).
    """
    info = await outbox_repo.row_chat_info(session, outbox_id=outbox_id)
    if info is None:
        return 0
    body = undeliverable_notice(
        agency_name=info.agency_name, chat_title=info.title, tg_chat_id=info.tg_chat_id, error=error
    )
    ids = await outbox_repo.enqueue(
        session,
        _admin_rows(admins.of(info.province_slug), on_date=on_date, kind=OutboxKind.UNREACHABLE, part=-outbox_id,
                    body=body, now=now),
    )
    return len(ids)


# --- recipients of the other channels ----------------------------------------------------------

# Notices about a recipient use kind NOTICE with part = recipient id (one per address and
# day); those about one failed row reuse UNREACHABLE with part = -outbox_id (ids are unique
# across channels).


def _admin_rows(admins: Iterable[int], *, on_date: date, kind: OutboxKind, part: int, body: str, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "admin_tg_id": admin, "tg_chat_id": admin, "on_date": on_date, "kind": kind, "part": part,
            "parts": 1, "body": body, "next_attempt_at": now, "created_at": now,
        }
        for admin in sorted(admins)
    ]


async def recipient_unreachable(
    session: AsyncSession, *, recipient_id: int, error: str, on_date: date, now: datetime, admins: Admins
) -> bool:
    """An address refused for good (mailbox unknown, the person blocked the bot): the
    recipient is marked unreachable, its waiting rows fail, and — only by the call that
    flipped it — the province's admins are told through Telegram. Returns that flip."""
    flipped = await recipients.mark_unreachable(session, recipient_id=recipient_id, error=error, now=now)
    await outbox_repo.fail_waiting(session, recipient_id=recipient_id, error=outbox_texts.recipient_unreachable_error(error))
    if not flipped:
        return False
    info = await recipients.recipient_info(session, recipient_id=recipient_id)
    if info is None:  # pragma: no cover - the row was just updated
        return False
    log_event(
        log, "recipient.unreachable", outbox_texts.recipient_unreachable_event(info.channel, info.address),
        level=logging.WARNING, channel=info.channel, recipient_id=recipient_id, province=info.province_slug, error=error,
    )
    body = recipient_unreachable_notice(
        channel=info.channel, address=info.address, name=info.name, agency_name=info.agency_name, error=error
    )
    await outbox_repo.enqueue(
        session,
        _admin_rows(admins.of(info.province_slug), on_date=on_date, kind=OutboxKind.NOTICE, part=recipient_id, body=body, now=now),
    )
    return True


async def recipient_undeliverable(
    session: AsyncSession, *, outbox_id: int, recipient_id: int, error: str, on_date: date, now: datetime, admins: Admins
) -> int:
    """One row to a recipient failed for good: tell the province's admins, once per row."""
    info = await recipients.recipient_info(session, recipient_id=recipient_id)
    if info is None:
        return 0
    body = recipient_undeliverable_notice(
        channel=info.channel, address=info.address, name=info.name, agency_name=info.agency_name, error=error
    )
    rows = _admin_rows(
        admins.of(info.province_slug), on_date=on_date, kind=OutboxKind.UNREACHABLE, part=-outbox_id, body=body, now=now
    )
    return len(await outbox_repo.enqueue(session, rows))
