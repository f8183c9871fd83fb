"""E-mails of the reminder engine and the digests: what goes to which mailbox, rendered
(bot/render/email.py) and queued in the outbox for the e-mail channel's sender.

Same once-only rule as Telegram: the outbox key (recipient, day, kind, part) makes a
repeated tick or digest check add nothing. Reminders: every active e-mail address of the
agency that receives the reminders (the successor, for a merged agency) — while the agency
has no bound Telegram group, or always where it chose e-mail — one mail a day with all its
items and a signed console link. Digests: every active leaders' address of
the province, one mail per period (part 0: the week, 1: the month) with the chart inline
and the workbook (and the .docx report) attached.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.db import digest_runs
from bot.db import recipients as recipients_repo
from bot.db.agencies import get_province_by_id
from bot.db.models import Province, Recipient
from bot.db.outbox import ChannelMessage, enqueue_for_recipients
from bot.db.session import AsyncSession
from bot.domain.channels import Channel
from bot.domain.digest import DigestKind, DigestPeriod
from bot.domain.kinds import OutboxKind
from bot.render.email import REPORT_TITLE, digest_email, escalation_email, reminder_email
from bot.render.reminders import reminder_messages
from bot.services.links import AgencyLinks

if TYPE_CHECKING:
    from bot.render.reminders import MessagePart
    from bot.services.digests import Part
    from bot.services.reminders import DayReminders

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EMAIL_MAX_ITEMS = 10_000  # a mail holds the whole day's list (the chat shows the most urgent)


async def reminder_emails(
    session: AsyncSession, *, day: DayReminders, on_date: date, now: datetime, links: AgencyLinks | None
) -> list[int]:
    """Queue the day's reminder for each agency e-mail address; returns the ids of the rows added."""
    messages: list[ChannelMessage] = []
    for group in day.groups:
        # A mailbox gets the reminder while the agency has no bound Telegram group, or always
        # when the agency chose e-mail (Recipient.always_remind).
        has_group = bool(day.chats.get(group.agency_id))
        addresses = [
            r for r in day.recipients.get(group.agency_id) or []
            if r.channel is Channel.EMAIL and (r.always_remind or not has_group)
        ]
        if not addresses or not group.reachable:
            continue
        parts = reminder_messages(group, on_date, max_shown=EMAIL_MAX_ITEMS)
        content = reminder_email(
            [p.text for p in parts], agency_name=group.agency_name, on_date=on_date,
            link=links.url(group.agency_id, now=now) if links else None, link_days=links.days if links else 0,
        )
        ids = tuple(i for p in parts for i in p.due_item_ids)
        messages += [
            ChannelMessage(
                recipient_id=r.id, channel=Channel.EMAIL, on_date=on_date, kind=OutboxKind.REMINDER,
                body=content.html, subject=content.subject, alt_body=content.text, due_item_ids=ids,
            )
            for r in addresses
        ]
    return await enqueue_for_recipients(session, messages, now=now)


async def escalation_emails(
    session: AsyncSession, *, recipients: Sequence[Recipient], province_id: int, part: MessagePart,
    files: Sequence[dict[str, Any]], on_date: date, now: datetime,
) -> int:
    """Queue the leaders' escalation alert of the day for their e-mail addresses (the
    Telegram alert's text as a mail, the Excel list attached); once per address and day."""
    if not recipients:
        return 0
    province = await get_province_by_id(session, province_id=province_id)
    content = escalation_email([part.text], province_name=province.name if province else "", on_date=on_date)
    messages = [
        ChannelMessage(
            recipient_id=r.id, channel=Channel.EMAIL, on_date=on_date, kind=OutboxKind.ESCALATION,
            body=content.html, subject=content.subject, alt_body=content.text, files=tuple(files),
            due_item_ids=part.due_item_ids,
        )
        for r in recipients
    ]
    return len(await enqueue_for_recipients(session, messages, now=now))


def digest_part(kind: DigestKind) -> int:
    return 0 if kind is DigestKind.WEEK else 1


async def digest_addresses_waiting(session: AsyncSession, *, province: Province, period: DigestPeriod) -> list[int]:
    """The leaders' e-mail recipients of the province that have no mail of this period yet."""
    leaders = await recipients_repo.leaders(session, province_id=province.id, channel=Channel.EMAIL)
    if not leaders:
        return []
    done = await digest_runs.digest_mailed_to(
        session, recipient_ids=[r.id for r in leaders], as_of=period.as_of, part=digest_part(period.kind)
    )
    return [r.id for r in leaders if r.id not in done]


def digest_files(parts: Sequence[Part]) -> tuple[str | None, str | None, list[dict[str, Any]]]:
    """(content id of the inline chart, its caption, the files) of a digest's parts."""
    files: list[dict[str, Any]] = []
    cid = caption = None
    for part in parts:
        if part.kind == "photo":
            cid, caption = f"chart-{part.filename.rsplit('.', 1)[0]}", part.text
            files.append({"filename": part.filename, "mime_type": "image/png", "data": part.data, "content_id": cid})
        elif part.kind == "document":
            mime = DOCX if part.filename.endswith(".docx") else XLSX if part.filename.endswith(".xlsx") else "application/octet-stream"
            files.append({"filename": part.filename, "mime_type": mime, "data": part.data, "content_id": None})
    return cid, caption, files


async def queue_digest_emails(
    session: AsyncSession, *, recipient_ids: list[int], period: DigestPeriod, parts: Sequence[Part], now: datetime
) -> int:
    """Queue one digest mail per leader address (once per period); returns the rows added."""
    if not recipient_ids:
        return 0
    from bot.render import digest as texts

    messages = [p.text for p in parts if p.kind == "text"]
    cid, chart_caption, files = digest_files(parts)
    content = digest_email(
        messages, title=texts.period_label(period), chart_cid=cid, chart_caption=chart_caption,
        attachments=[f["filename"] for f in files if not f["content_id"]],
    )
    subject = _plain_title(messages)
    rows = [
        ChannelMessage(
            recipient_id=rid, channel=Channel.EMAIL, on_date=period.as_of, kind=OutboxKind.DIGEST,
            part=digest_part(period.kind), body=content.html, subject=subject, alt_body=content.text, files=tuple(files),
        )
        for rid in recipient_ids
    ]
    return len(await enqueue_for_recipients(session, rows, now=now))


def _plain_title(messages: Sequence[str]) -> str:
    from bot.render.plain import html_to_text

    first = messages[0] if messages else REPORT_TITLE
    return html_to_text(first.split("\n", 1)[0]).strip()[:150]
