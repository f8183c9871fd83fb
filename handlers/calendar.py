"""/ngaynghi and /ngaylambu: an admin adds a day off or a make-up working day (the
Government's announcement) without editing files; /ngaynghi alone lists them."""

from __future__ import annotations

import logging
from datetime import date

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.domain.calendar import DayKind as CalendarDayKind
from bot.domain.calendar import parse_day
from bot.domain.commands import DAY_REMOVE_WORDS as REMOVE_WORDS
from bot.render import calendar as texts
from bot.services import calendar as service
from bot.services.reminders import calendar_from_settings
from handlers.common import is_admin, reply, services, transaction, user_name

log = logging.getLogger("nhacviec.handlers")


async def day_off(update: Update, context: Context) -> None:
    """/ngaynghi <ngày> [lý do]: add a day off; /ngaynghi: list; /ngaynghi xoa <ngày>: remove."""
    await _adjust(update, context, CalendarDayKind.DAY_OFF)


async def working_day(update: Update, context: Context) -> None:
    """/ngaylambu <ngày> [lý do]: add a make-up working day; /ngaylambu xoa <ngày>: remove."""
    await _adjust(update, context, CalendarDayKind.WORKING_DAY)


async def _adjust(update: Update, context: Context, kind: CalendarDayKind) -> None:
    if not is_admin(update, context):
        await reply(update, texts.ADMINS_ONLY)
        return
    if not (args := list(context.args or [])):
        await _list_days(update, context)
        return
    removing, day, note = _args(args)
    if day is None:
        await reply(update, texts.BAD_DATE + "\n\n" + texts.USAGE)
        return
    answer = await _change(update, context, day, None if removing else kind, note)
    _log(update, day, kind, removing)
    await reply(update, answer)


async def _list_days(update: Update, context: Context) -> None:
    async with transaction(context) as session:
        rows = await service.list_days(session)
    await reply(update, texts.listing(rows) + "\n\n" + texts.USAGE)


def _args(args: list[str]) -> tuple[bool, date | None, str | None]:
    """(removing, the day, the note) of `/ngaynghi [xoa] <ngày> [ghi chú]`."""
    removing = args[0].casefold() in REMOVE_WORDS
    day = parse_day(args[1] if removing and len(args) > 1 else args[0])
    return removing, day, " ".join(args[1:]) or None


async def _change(update: Update, context: Context, day: date, kind: CalendarDayKind | None, note: str | None) -> str:
    """Remove the day (`kind` None) or set it; the answer's text."""
    svc, user = services(context), update.effective_user
    async with transaction(context) as session:
        if kind is None:
            return texts.removed(day, await service.remove_day(session, day=day))
        change = await service.set_day(
            session, base=calendar_from_settings(svc.settings), day=day, kind=kind, note=note,
            actor_tg_id=user.id if user else None, actor_name=user_name(update), now=svc.now(),
        )
    return change.problem or texts.saved(day, change.kind, change.note, change.replaced)


def _log(update: Update, day: date, kind: CalendarDayKind, removing: bool) -> None:
    user = update.effective_user
    log.info(
        "Quản trị viên %s sửa lịch: %s %s", user.id if user else None, day, "xóa" if removing else kind,
        extra={"event": "calendar.day", "fields": {"day": day, "kind": str(kind), "removed": removing}},
    )


def register(app: BotApp) -> None:
    """/ngaynghi, /ngaylambu (admins, any chat)."""
    app.add_handler(CommandHandler("ngaynghi", day_off))
    app.add_handler(CommandHandler("ngaylambu", working_day))
