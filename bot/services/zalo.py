"""Zalo: linking a person's Zalo account to an agency, and what that person writes.

The unit on Zalo is a person, not a group (the platform's bots talk one to one, with no
buttons and no documents). A focal point links their account once with a one-time code
the agency's Telegram group (`/zalo`) or an admin (`/zalo <cơ quan>`) got from the bot;
from then on the account belongs to the agency's scope: its reminders come to Zalo, and
its plain-text answers ("1 xong", "2 đang làm 60%", "xin gia hạn 3 đến 15/12") go through
the same reply parser (bot.domain.replies) and the same status use case
(bot.services.status.apply) as a Telegram reply, recorded with channel "zalo".

Numbers refer to the latest reminder sent to that person on Zalo (Zalo messages carry no
reply-to; the outbox row of that reminder keeps its items); task codes ("NV12 xong")
always work (a yearly task's code means its earliest open due date, named in the
confirmation). What would need a follow-up button on Telegram (a blocker without its
reason, an extension without a date, "which of these?") is asked back as text, to be
answered in one message; what needs a file gets the console link.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.zalo import IncomingText
from bot.db import agencies as agencies_repo
from bot.db import plans as plans_repo
from bot.db import recipients as recipients_repo
from bot.db import zalo as zdb
from bot.db.models import Agency, ZaloRecipient
from bot.db.outbox import ChannelMessage, enqueue_for_recipients
from bot.db.retry import begin_write
from bot.db.session import AsyncSession
from bot.domain.admins import Admins
from bot.domain.channels import Channel, NoticeSource
from bot.domain.codes import task_code
from bot.domain.kinds import ChatRole, OutboxKind
from bot.domain.replies import ChangeKind, ContextItem, Planned, parse_reply
from bot.domain.status import ChangeSource
from bot.logs import log_event
from bot.render import notices as notice_texts
from bot.render import status as texts
from bot.render import zalo as ztexts
from bot.render.reminders import reminder_messages
from bot.services import notices
from bot.services import status as svc
from bot.services.chats import Scope, ScopeKind
from bot.services.links import AgencyLinks

log = logging.getLogger("nhacviec.zalo")

CHANNEL = "zalo"
LINK_TTL = timedelta(hours=24)
NUMBERING_TTL = timedelta(days=14)  # "1 xong" a fortnight after the reminder means nothing sure
# No 0/O, 1/I/L: read aloud or copied by hand without doubt. 8 characters: 40 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
_CODE_IN_TEXT = re.compile(
    rf"^\s*(?:/?(?:lienket|liên\s*kết|lien\s*ket|link)\b[\s:]*)?([{CODE_ALPHABET}{CODE_ALPHABET.lower()}]{{4}})"
    rf"[\s-]?([{CODE_ALPHABET}{CODE_ALPHABET.lower()}]{{4}})\s*$",
    re.IGNORECASE,
)
_LINK_COMMAND = re.compile(r"^\s*/?(?:lienket|liên\s*kết|lien\s*ket)\b", re.IGNORECASE)
_UNLINK = re.compile(r"^\s*/?(?:huylienket|huỷ\s*liên\s*kết|hủy\s*liên\s*kết|huy\s*lien\s*ket)\s*$", re.IGNORECASE)
_HELP = re.compile(r"^\s*/?(?:start|help|trogiup|trợ\s*giúp|huongdan|hướng\s*dẫn)\s*$", re.IGNORECASE)
NO_TG_ID = 0  # Actor.tg_id of a person acting from Zalo (they may have no Telegram account)


# --- link codes -------------------------------------------------------------------------------


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def code_in_text(text: str) -> str | None:
    """The link code in "/lienket ABCD-2345", "ABCD 2345", "abcd2345"; None: not a code."""
    match = _CODE_IN_TEXT.match(text or "")
    if not match:
        return None
    return (match.group(1) + match.group(2)).upper()


def code_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").upper().encode()).hexdigest()


async def issue_link_code(
    session: AsyncSession, *, agency_id: int, by_tg_id: int | None, now: datetime
) -> tuple[str, datetime]:
    """A new one-time code for the agency; only its hash is kept. Returns (code, expiry)."""
    code = new_code()
    expires = now + LINK_TTL
    await zdb.add_link_code(
        session, code_hash=code_hash(code), agency_id=agency_id, created_by_tg_id=by_tg_id, now=now, expires_at=expires
    )
    log_event(log, "zalo.code_issued", "Đã cấp mã liên kết Zalo", agency_id=agency_id, user_id=by_tg_id)
    return code, expires


# --- what a person writes ------------------------------------------------------------------


@dataclass
class Inbound:
    """What to do after a Zalo message: texts to answer (plain, unsplit), and what was queued
    for the other channels with the change: the notices to the agency's Telegram group
    (`notices_queued`), the posts of new extension requests to the leaders and the rewrites
    of withdrawn ones' posts (bot/services/extension_posts.py, through the status use case)."""

    replies: list[str] = field(default_factory=list)
    recipient_id: int | None = None
    notices_queued: int = 0  # outbox rows for the agency's Telegram group(s) (sent by the outbox)
    # Requests made (posted to the leaders) and withdrawn (their posts rewritten) by this
    # message: outbox rows queued with the change, like the notices.
    extension_requests: list[int] = field(default_factory=list)
    withdrawn_requests: list[int] = field(default_factory=list)
    linked_agency: Agency | None = None

    @property
    def queued_anything(self) -> bool:
        """Whether outbox rows were queued: the senders are to be woken."""
        return bool(self.notices_queued or self.extension_requests or self.withdrawn_requests)


async def handle_text(
    session: AsyncSession,
    incoming: IncomingText,
    *,
    now: datetime,
    default_tz: ZoneInfo,
    console_link: Callable[[int], str | None] | None = None,
    admins: Admins = Admins(),
    links: AgencyLinks | None = None,
) -> Inbound:
    """Answer one text a person sent the Zalo bot (the caller's transaction; never commits).
    `admins`: who decides extension requests where the province has no leaders' chat;
    `links`: the console's signed links (a notice too long for a channel names the page)."""
    await begin_write(session)
    text = incoming.text.strip()
    recipient = await zdb.get_recipient(session, chat_id=incoming.chat_id)
    code = code_in_text(text)
    if code is not None:
        return await _link(session, incoming, code, now=now, default_tz=default_tz)
    if _LINK_COMMAND.match(text):
        return Inbound(replies=[ztexts.BAD_CODE])
    if recipient is None or not recipient.active:
        return Inbound(replies=[ztexts.NOT_LINKED])
    if _UNLINK.match(text):
        await zdb.unlink(session, chat_id=incoming.chat_id)
        await recipients_repo.remove(session, channel=Channel.ZALO, address=incoming.chat_id)
        log_event(log, "zalo.unlinked", "Đã huỷ liên kết Zalo", agency_id=recipient.agency_id, zalo_chat=incoming.chat_id)
        return Inbound(replies=[ztexts.UNLINKED])
    address = await recipients_repo.get(session, channel=Channel.ZALO, address=incoming.chat_id)
    if address is not None and address.unreachable_at is not None:
        # Marked unreachable after a refusal, yet the person writes: reachable again.
        await recipients_repo.upsert(
            session, province_id=address.province_id, channel=Channel.ZALO, address=incoming.chat_id,
            role=ChatRole.AGENCY, agency_id=recipient.agency_id, person_name=address.person_name,
            actor_tg_id=address.created_by_tg_id, now=now,
        )
    if _HELP.match(text):
        return Inbound(replies=[ztexts.ZALO_HELP])
    return await _status_reply(
        session, recipient, incoming, now=now, default_tz=default_tz, console_link=console_link, admins=admins,
        links=links,
    )


async def _link(
    session: AsyncSession, incoming: IncomingText, code: str, *, now: datetime, default_tz: ZoneInfo
) -> Inbound:
    used = await zdb.use_link_code(session, code_hash=code_hash(code), chat_id=incoming.chat_id, now=now)
    if used is None or not used.agency.active:
        log_event(log, "zalo.bad_code", "Mã liên kết Zalo không dùng được", level=logging.WARNING, zalo_chat=incoming.chat_id)
        return Inbound(replies=[ztexts.BAD_CODE])
    row = await zdb.link(
        session, chat_id=incoming.chat_id, user_id=incoming.user_id, name=incoming.name or None,
        agency_id=used.agency_id, code_id=used.id, now=now,
    )
    # The delivery address the outbox sends the agency's reminders to (bot/db/recipients.py).
    await recipients_repo.upsert(
        session, province_id=used.agency.province_id, channel=Channel.ZALO, address=incoming.chat_id,
        role=ChatRole.AGENCY, agency_id=used.agency_id, person_name=incoming.name or None,
        actor_tg_id=used.created_by_tg_id, now=now,
    )
    log_event(
        log, "zalo.linked", f"Zalo của {incoming.name or incoming.chat_id} đã liên kết với {used.agency.name}",
        agency_id=used.agency_id, zalo_chat=incoming.chat_id,
    )
    queued = await notices.to_agency_groups(
        session, agency_id=used.agency_id, html=ztexts.linked_notice_text(agency_name=used.agency.name, person=incoming.name),
        source=NoticeSource.ZALO_LINK, source_id=used.id, on_date=await _province_today(session, used.agency, now, default_tz),
        now=now,
    )
    return Inbound(
        replies=[ztexts.linked_text(agency_name=used.agency.name, person=incoming.name)],
        recipient_id=row.id,
        notices_queued=queued,
        linked_agency=used.agency,
    )


async def _province_today(session: AsyncSession, agency: Agency, now: datetime, default_tz: ZoneInfo) -> date:
    province = await agencies_repo.get_province_by_id(session, province_id=agency.province_id)
    tz = ZoneInfo(province.timezone) if province is not None and province.timezone else default_tz
    return now.astimezone(tz).date()


async def recipient_env(
    session: AsyncSession, recipient: ZaloRecipient, *, now: datetime, default_tz: ZoneInfo, message_id: int | None = None,
    admins: Admins = Admins(),
    links: AgencyLinks | None = None,
) -> svc.Env:
    """The status use case's Env for a person acting from Zalo: the agency's scope (as a
    message in its bound group would have), no admin rights, channel "zalo"."""
    agency = recipient.agency
    province = await agencies_repo.get_province_by_id(session, province_id=agency.province_id)
    assert province is not None
    family = await agencies_repo.agency_family_ids(session, agency_ids=[agency.id])
    scope = Scope(ScopeKind.AGENCY, (province,), False, True, None, agency, tuple(family))
    tz = ZoneInfo(province.timezone) if province.timezone else default_tz
    return svc.Env(
        scope=scope,
        actor=svc.Actor(NO_TG_ID, recipient.display_name or f"Zalo {recipient.zalo_chat_id[-6:]}"),
        now=now, tz=tz, tg_chat_id=0, message_id=message_id, source=ChangeSource.CHAT, channel=CHANNEL,
        origin=(Channel.ZALO, recipient.zalo_chat_id), admins=admins, links=links,
    )


async def context_of(session: AsyncSession, recipient: ZaloRecipient, *, now: datetime) -> list[ContextItem]:
    """The items the latest reminder delivered to the person on Zalo numbered (1 = its
    first), while recent: what "1 xong" refers to."""
    address = await recipients_repo.get(session, channel=Channel.ZALO, address=recipient.zalo_chat_id)
    if address is None:
        return []
    numbered = await zdb.latest_reminder_items(session, recipient_id=address.id, since=now - NUMBERING_TTL)
    if not numbered:
        return []
    items = await plans_repo.due_items_by_ids(session, ids=numbered)
    out = []
    for number, due_id in enumerate(numbered, start=1):
        item = items.get(due_id)
        if item is not None:
            out.append(ContextItem(number, item.id, item.task_id, item.due_on, item.task.title))
    return out


async def _status_reply(
    session: AsyncSession,
    recipient: ZaloRecipient,
    incoming: IncomingText,
    *,
    now: datetime,
    default_tz: ZoneInfo,
    console_link: Callable[[int], str | None] | None,
    admins: Admins,
    links: AgencyLinks | None,
) -> Inbound:
    env = await recipient_env(session, recipient, now=now, default_tz=default_tz, admins=admins, links=links)
    items = await context_of(session, recipient, now=now)
    outcome = parse_reply(incoming.text, items, today=env.today)
    result = Inbound(recipient_id=recipient.id)
    if not outcome.is_status:
        result.replies.append(ztexts.chatter_text(outcome.chatter, has_items=bool(items)))
        return result
    views: list[texts.RecordedView] = []
    change_ids: list[int] = []
    refused: list[str] = []
    asks: list[str] = []
    for planned in outcome.changes:
        await _one_change(
            session, env, planned, views=views, change_ids=change_ids, refused=refused, asks=asks, result=result
        )
    for question in outcome.questions:
        lines = []
        for option in question.options[:10]:
            item = option.target.item
            ref = f"{item.number}. {item.title[:80]}" if item and item.number else task_code(
                item.task_id if item else option.target.task_id or 0
            )
            lines.append(f"{ref} — {texts.intent_label(option.intent)}")
        if not lines:
            asks.append(ztexts.NO_CONTEXT)
        else:
            asks.append(ztexts.which_text(lines))
    if views or refused:
        blocks = [ztexts.plain(texts.recorded_line(v, env.today)) for v in views]
        blocks += [f"❗ {r}" for r in refused]
        if any(not v.unchanged for v in views):
            blocks.append(ztexts.recorded_tail(any(v.kind is ChangeKind.EXTENSION for v in views)))
        result.replies.append("\n\n".join(blocks))
        if views and change_ids:
            # The agency's mailbox and its other focal points' Zalo hear of it in one notice.
            await svc.tell_other_channels(session, env, list(zip(views, change_ids, strict=True)))
            # The agency's group sees it too, through the outbox, queued with the change.
            result.notices_queued += await notices.to_agency_groups(
                session, agency_id=recipient.agency_id, html=notice_texts.zalo_group_notice(views, env.today),
                source=NoticeSource.CHANGE, source_id=change_ids[0], on_date=env.today, now=env.now,
            )
    result.replies.extend(asks)
    return result


async def _one_change(
    session: AsyncSession, env: svc.Env, planned: Planned, *, views: list[texts.RecordedView],
    change_ids: list[int], refused: list[str], asks: list[str], result: Inbound,
) -> None:
    target = planned.target
    if target.item is not None:
        targets = [(target.item.number or None, target.item.due_item_id)]
    else:
        assert target.task_id is not None
        found = await svc.items_for_code(session, env, task_id=target.task_id)
        if found.refused:
            refused.append(found.refused)
            return
        # A yearly task has one item per year: on Zalo (no buttons to choose with) a code
        # means its earliest open due date, which the confirmation names.
        targets = [(None, i.id) for i in found.items[:1]]
    number, due_item_id = targets[0]
    outcome = await svc.apply(session, env, due_item_id=due_item_id, intent=planned.intent, number=number, notify=False)
    if outcome.withdrawn_request_id:
        result.withdrawn_requests.append(outcome.withdrawn_request_id)
    if outcome.refused:
        refused.append(outcome.refused)
        return
    if outcome.needs is not None:
        assert outcome.item is not None
        ref = str(number) if number else task_code(outcome.item.task_id)
        example = ztexts.needs_more_example(outcome.needs, ref)
        ask = ztexts.needs_more_text(outcome.item.ref, example)
        asks.append(f"{outcome.problem}\n{ask}" if outcome.problem else ask)
        return
    assert outcome.recorded is not None
    views.append(outcome.recorded)
    if outcome.change_id is not None:
        change_ids.append(outcome.change_id)
    if outcome.extension_request_id:
        result.extension_requests.append(outcome.extension_request_id)


# --- reminders and queued answers through the outbox --------------------------------------------


async def queue_reminders(
    session: AsyncSession, *, day: Any, on_date: date, now: datetime, links: Any = None
) -> list[int]:
    """Queue the day's reminder (bot.services.reminders.DayReminders) for every Zalo account
    linked to each agency: plain text, numbered 1…n like the group's, split under 2,000
    characters, with the signed link to the agency's console page (`links`: files and
    choices Zalo cannot carry). Once per person and day (the outbox key). Returns the ids of
    the rows added. A day with only items of unknown status to confirm is sent too: the
    person answers them by number ("3 xong từ 20/12/2021") like the group."""
    groups = list(day.groups)
    linked = await recipients_repo.active_by_agency(
        session, agency_ids=[g.agency_id for g in groups], channels=[Channel.ZALO]
    )
    messages: list[ChannelMessage] = []
    for group in groups:
        people = linked.get(group.agency_id) or []
        if not people or not (group.reminders or group.unknown):
            continue
        # Every item, numbered 1…n (Zalo has no buttons for a "see all"; it splits the text itself).
        parts = reminder_messages(group, on_date, max_shown=max(1, len(group.reminders)))
        if not parts:
            continue
        url = links.url(group.agency_id, now=now) if links is not None else None
        texts_ = ztexts.reminder_texts(parts, console_url=url)
        ids = tuple(i for p in parts for i in p.due_item_ids)
        for person in people:
            messages += [
                ChannelMessage(
                    recipient_id=person.id, channel=Channel.ZALO, on_date=on_date, kind=OutboxKind.REMINDER,
                    body=text, part=index, parts=len(texts_), due_item_ids=ids if index == 0 else (),
                )
                for index, text in enumerate(texts_)
            ]
    return await enqueue_for_recipients(session, messages, now=now)


async def queue_answer(session: AsyncSession, *, chat_id: str, text: str, on_date: date, now: datetime) -> int:
    """An answer that could not be sent at once (Zalo said 429, or was down): into the
    outbox, to be retried like a reminder. Returns the rows added (0: not a linked person)."""
    address = await recipients_repo.get(session, channel=Channel.ZALO, address=chat_id)
    if address is None or not address.active:
        return 0
    first = await zdb.next_answer_part(session, recipient_id=address.id, on_date=on_date)
    pieces = ztexts.split_plain(text)
    messages = [
        ChannelMessage(
            recipient_id=address.id, channel=Channel.ZALO, on_date=on_date, kind=OutboxKind.NOTICE,
            body=piece, part=first - index, parts=len(pieces),
        )
        for index, piece in enumerate(pieces)
    ]
    return len(await enqueue_for_recipients(session, messages, now=now))
