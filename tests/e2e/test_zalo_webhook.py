"""Zalo in webhook mode: the bot registers ZALO_WEBHOOK_URL with the (fake) platform at start,
the web console's server (uvicorn, the real Starlette app) serves the route, the platform
POSTs each update with X-Bot-Api-Secret-Token; a request without the right secret is refused."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn

from bot.web.app import WebContext, create_app
from tests.e2e.conftest import BotWorld
from tests.fakezalo import FakeZaloApi

PERSON = "a1b2c3d4e5"
SECRET = "webhook-secret-for-tests"


@pytest.fixture
def web_socket() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock
    finally:
        sock.close()


@pytest.fixture
async def fake_zalo(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeZaloApi]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with FakeZaloApi() as server:
        yield server


@pytest.fixture
def bot_settings_overrides(fake_zalo: FakeZaloApi, web_socket: socket.socket) -> dict[str, object]:
    port = web_socket.getsockname()[1]
    return {
        "zalo_bot_token": fake_zalo.token, "zalo_api_url": fake_zalo.url,
        "zalo_webhook_url": f"http://127.0.0.1:{port}/zalo/hook", "zalo_webhook_secret": SECRET,
    }


@pytest.mark.parametrize("bot_db_url", ["sqlite"], indirect=True)
async def test_webhook_behind_the_console(bot_world: BotWorld, fake_zalo: FakeZaloApi, web_socket: socket.socket) -> None:
    services = bot_world.app.bot_data  # type: ignore[attr-defined]
    assert fake_zalo.webhook_url.endswith("/zalo/hook") and fake_zalo.webhook_secret == SECRET
    ctx = WebContext(
        settings=services.settings, sessionmaker=services.sessionmaker, catalog=services.catalog,
        clock=services.clock, bot=bot_world.app.bot,  # type: ignore[attr-defined]
    )
    server = uvicorn.Server(uvicorn.Config(create_app(ctx, extra_routes=services.web_routes), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[web_socket]))
    try:
        port = web_socket.getsockname()[1]
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                if server.started:
                    break
                await asyncio.sleep(0.05)
            url = f"http://127.0.0.1:{port}/zalo/hook"
            body = {"ok": True, "result": {"event_name": "message.text.received", "message": {
                "from": {"id": "x"}, "chat": {"id": "x", "chat_type": "PRIVATE"}, "text": "1 xong"}}}
            refused = await http.post(url, json=body, headers={"X-Bot-Api-Secret-Token": "wrong-secret"})
            assert refused.status_code == 403
            refused = await http.post(url, json=body)
            assert refused.status_code == 403
        # The platform delivers a person's message; the bot answers on Zalo.
        fake_zalo.send_text(PERSON, "xin chào", name="Trần Thị B")
        answers = await fake_zalo.wait_for_sent(PERSON, 1)
        assert "chưa liên kết" in answers[0].text
        assert fake_zalo.webhook_answers and fake_zalo.webhook_answers[-1] == 200
        assert not fake_zalo.messages_to("x")  # the refused requests did nothing
    finally:
        server.should_exit = True
        await serving
        await services.zalo.stop()
