"""What every Telegram handler and scheduled job receives: `BotServices` (the typed
`context.bot_data`), the `Context` of a callback and the `BotApp` type of the Application.

A module of its own so that handlers and the scheduler need nothing of bot.app (the
composition root imports them, not the other way round).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeAlias

from telegram.ext import Application, CallbackContext, ExtBot

from bot.catalog import Catalog
from bot.config import Settings

# AsyncSession is re-exported for the handlers, which name it but may not import bot.db.
from bot.db.session import AsyncEngine, async_sessionmaker
from bot.db.session import AsyncSession as AsyncSession
from bot.domain.throttle import Throttle
from bot.services.sent_ids import SentIds


class BotServices:
    """`context.bot_data`: what every handler needs, set once by `build_application`.

    PTB creates it without arguments (ContextTypes(bot_data=BotServices)), hence
    `configure` instead of a constructor.
    """

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    catalog: Catalog
    clock: Callable[[], datetime]  # aware "now"; tests set it
    monotonic: Callable[[], float]  # for the flood throttle
    user_throttle: Throttle
    chat_throttle: Throttle
    engine: AsyncEngine | None  # created here, so disposed here at shutdown
    mode: str  # "long polling" or "webhook <url>", for the start-up line
    zalo: Any  # bot.channels.zalo_inbound.ZaloInbound when ZALO_BOT_TOKEN is set, else None
    zalo_bot_name: str | None  # the Zalo bot's account name (getMe), for the link-code text
    web_routes: list[Any]  # extra routes for the console's server (the Zalo webhook)
    sent_ids: SentIds  # the ids of status messages sent, stored by the next transaction
    channel_adapters: list[Any] | None = None  # given to build_application (tests); None: from settings
    # Start the outbox senders now (rows were just committed) rather than at their next
    # interval; the composition root sets it once the scheduler is there.
    wake_senders: Callable[[], None]

    def configure(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        clock: Callable[[], datetime],
        engine: AsyncEngine | None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.catalog = catalog
        self.clock = clock
        self.monotonic = monotonic
        # One user: 10 at once, then one every 3 s; one group (several people): 20 at once,
        # then one every 3 s — Telegram lets the bot answer a group 20 times a minute.
        self.user_throttle = Throttle(capacity=10, rate=1 / 3)
        self.chat_throttle = Throttle(capacity=20, rate=1 / 3)
        self.engine = engine
        self.mode = "long polling"
        self.zalo = None
        self.zalo_bot_name = None
        self.web_routes = []
        self.sent_ids = SentIds(sessionmaker)
        self.wake_senders = _nothing

    def now(self) -> datetime:
        return self.clock()


Context: TypeAlias = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotServices]
# The Application as the handlers and jobs see it: typed bot_data; the context type is left open
# because PTB types `context.application` with an unbound context variable.
BotApp: TypeAlias = Application[ExtBot[Any], Any, dict[Any, Any], dict[Any, Any], BotServices, Any]


def _nothing() -> None:
    """No scheduler (yet): the senders' own interval picks the rows up."""
