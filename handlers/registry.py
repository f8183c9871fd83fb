"""The order in which the bot's handlers are registered (`handlers.register`)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, TypeHandler

from bot.context import BotApp
from handlers import binding, calendar, deadlines, digests, focal, followup, guard, progress, start, uploads, web, zalo
from handlers import status as status_updates


def register(app: BotApp) -> None:
    """Every handler of the bot. Within group 0 the first matching handler wins."""

    # Groups -2 and -1 run before everything (one handler per group): a flooding user
    # stops at -2; at -1 a change from a group needs its sender to be a member now.
    app.add_handler(TypeHandler(Update, guard.throttle), group=-2)
    app.add_handler(TypeHandler(Update, guard.membership), group=-1)

    start.register(app)  # /start (also the /moi deep link in a group), /help
    binding.register(app)  # /dangky, /huydangky, /lanhdao, /moi, requests, migration
    focal.register(app)  # /daumoi: focal points of an agency (@mentioned in its reminders)
    followup.register(app)  # /tamdung, /tieptuc, /khongthuchien: reminders paused or dropped
    progress.register(app)  # /tiendo, /quahan, /sapden, /nhiemvu, /coquan
    deadlines.register(app)  # /dathan: an admin dates an event/undated task
    calendar.register(app)  # /ngaynghi, /ngaylambu: an admin's days off and make-up days
    digests.register(app)  # /baocao [tuan|thang]: the leaders' digest on demand
    web.register(app)  # /web: a one-time sign-in link to the web console
    zalo.register(app)  # /zalo: a one-time code linking a focal point's Zalo account
    from handlers import email

    email.register(app)  # /email: admins set agencies' and leaders' e-mail addresses
    # Status updates before uploads: a document answering a task's message is evidence.
    status_updates.register(app)  # task buttons, replies, /capnhat, undo, /giahan decisions
    from handlers import confirm

    confirm.register(app)  # "chưa cập nhật" items: Đã xong cả / Chọn từng việc / Chưa xong, /dongcu
    uploads.register(app)  # plan files in an admin's private chat

    # After every specific pattern: unknown or forged callback data is refused.
    app.add_handler(CallbackQueryHandler(guard.bad_button))
    # Last in group 0: any other private message gets the help.
    start.register_fallback(app)

    app.add_error_handler(guard.on_error)
