"""The web console against the real bot (tests/e2e's `bot_world`: the real Application polling
the fake Bot API server, SQLite and PostgreSQL). Sign-in goes through `/web` in Telegram."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `tests` is not an installed package
    sys.path.insert(0, str(_ROOT))

from tests.e2e.conftest import (  # noqa: F401  (fixtures re-exported for tests/web)
    ADMIN,
    BOT_NOW,
    FOCAL,
    LEADER,
    LEADERS_GROUP,
    OTHER_FOCAL,
    SNV_GROUP,
    STP_GROUP,
    STRANGER,
    BotWorld,
    bot_db_url,
    bot_seed,
    bot_settings_overrides,
    bot_world,
    fake_bot_api,
)
from tests.timing import StoppedClock  # noqa: E402

LINK = re.compile(r"(http://[^\s\"<]+/web/login\?t=[A-Za-z0-9_.\-]+)")


@dataclass
class Web:
    world: BotWorld
    client: httpx.AsyncClient
    clock: StoppedClock
    sessions: dict[int, httpx.AsyncClient] = field(default_factory=dict)

    async def link(self, user_id: int) -> str:
        [reply] = await self.world.send(user_id, user_id, "/web")
        found = LINK.search(reply.text or "")
        assert found, reply.text
        return found.group(1)

    async def sign_in(self, user_id: int) -> httpx.AsyncClient:
        link = await self.link(user_id)
        token = link.split("t=", 1)[1]
        client = httpx.AsyncClient(transport=self.client._transport, base_url="http://testserver")  # noqa: SLF001
        page = await client.get(f"/web/login?t={token}")
        assert page.status_code == 200 and "Đăng nhập" in page.text
        done = await client.post("/web/login", data={"t": token})
        assert done.status_code == 303, done.text
        self.sessions[user_id] = client
        return client

    @staticmethod
    def csrf(html: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found
        return found.group(1)


@pytest.fixture
async def web(bot_world: BotWorld) -> AsyncIterator[Web]:
    from bot.web.app import WebContext, create_app

    w = bot_world
    # Telegram answers getChatMember with "left" for someone not in the group: the fake
    # server's default ("member") is for tests about something else.
    w.server.default_member_status = "left"
    for chat_id in (STP_GROUP, SNV_GROUP, LEADERS_GROUP):
        chat = w.server.chat(chat_id)
        for user_id in chat.members:
            chat.member_status.setdefault(user_id, "member")
    await w.bind(STP_GROUP, "so-tu-phap")
    await w.bind(SNV_GROUP, "so-xay-dung")  # OTHER_FOCAL: another agency than FOCAL
    await w.bind(LEADERS_GROUP, leaders=True)
    clock = StoppedClock(BOT_NOW)
    svc = w.app.bot_data  # type: ignore[attr-defined]
    ctx = WebContext(
        settings=svc.settings, sessionmaker=w.sm, catalog=svc.catalog, clock=clock, bot=w.app.bot,  # type: ignore[attr-defined]
        wake_senders=lambda: svc.wake_senders(),
    )
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        web = Web(w, client, clock)
        try:
            yield web
        finally:
            for c in web.sessions.values():
                await c.aclose()


def later(clock: StoppedClock, **delta: float) -> None:
    clock.now = clock.now + timedelta(**delta)
