"""The Zalo client (bot/channels/zalo.py) against the fake Zalo Bot API server (tests/fakezalo):
the documented envelope, limits and errors, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.channels.zalo import Failure, ZaloClient, ZaloError, parse_update
from tests.fakezalo import MAX_TEXT, FakeZaloApi

PERSON = "6ede9afa66b88fe6d6a9"


@pytest.fixture
async def zalo(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeZaloApi]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with FakeZaloApi() as server:
        server.add_user(PERSON, "Ted")
        yield server


@pytest.fixture
async def client(zalo: FakeZaloApi) -> AsyncIterator[ZaloClient]:
    async with ZaloClient(zalo.token, api_url=zalo.url, timeout=2.0) as c:
        yield c


async def test_get_me_and_send(zalo: FakeZaloApi, client: ZaloClient) -> None:
    me = await client.get_me()
    assert me["account_type"] == "BASIC" and me["can_join_groups"] is False
    message_id = await client.send_message(PERSON, "Xin chào")
    assert message_id and zalo.messages_to(PERSON)[0].text == "Xin chào"
    await client.send_photo(PERSON, "https://example.gov.vn/chart.png", caption="Biểu đồ")
    await client.send_chat_action(PERSON)
    assert zalo.messages_to(PERSON)[1].photo == "https://example.gov.vn/chart.png"
    assert zalo.actions == [(PERSON, "typing")]


async def test_text_limit_is_2000(zalo: FakeZaloApi, client: ZaloClient) -> None:
    await client.send_message(PERSON, "x" * MAX_TEXT)
    with pytest.raises(ZaloError) as err:
        await client.send_message(PERSON, "x" * (MAX_TEXT + 1))
    assert err.value.error_code == 400 and err.value.failure is Failure.RECIPIENT
    with pytest.raises(ZaloError) as err:
        await client.send_message(PERSON, "")
    assert err.value.failure is Failure.RECIPIENT
    assert len(zalo.messages_to(PERSON)) == 1


async def test_unknown_chat_is_a_recipient_error(client: ZaloClient) -> None:
    with pytest.raises(ZaloError) as err:
        await client.send_message("never-wrote", "Nhắc việc")
    assert err.value.failure is Failure.RECIPIENT and "chat not found" in err.value.description


@pytest.mark.parametrize(
    ("fault", "failure", "code"),
    [
        ("429", Failure.TEMPORARY, 429),
        ("500", Failure.TEMPORARY, 500),
        ("502", Failure.TEMPORARY, None),  # a gateway's HTML page: not the platform's JSON
        ("403", Failure.TEMPORARY, 403),
        ("401", Failure.CHANNEL, 401),
    ],
)
async def test_injected_errors_are_classified(
    zalo: FakeZaloApi, client: ZaloClient, fault: str, failure: Failure, code: int | None
) -> None:
    zalo.inject("sendMessage", fault)
    with pytest.raises(ZaloError) as err:
        await client.send_message(PERSON, "Nhắc việc")
    assert err.value.failure is failure and err.value.error_code == code
    await client.send_message(PERSON, "Nhắc việc")  # the fault was for one call only
    assert [s.text for s in zalo.messages_to(PERSON)] == ["Nhắc việc"]


async def test_timeout_is_temporary(zalo: FakeZaloApi) -> None:
    zalo.inject("sendMessage", "timeout")
    async with ZaloClient(zalo.token, api_url=zalo.url, timeout=0.3) as client:
        with pytest.raises(ZaloError) as err:
            await client.send_message(PERSON, "Nhắc việc")
    assert err.value.failure is Failure.TEMPORARY and err.value.error_code is None


async def test_bad_token_and_unknown_method(zalo: FakeZaloApi) -> None:
    async with ZaloClient("1:wrong", api_url=zalo.url) as bad:
        with pytest.raises(ZaloError) as err:
            await bad.get_me()
    assert err.value.failure is Failure.CHANNEL
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{zalo.url}/bot{zalo.token}/getme", json={})  # names are case-sensitive
        assert answer.status_code == 400 and answer.json()["ok"] is False
        # GET with a query string works too, as documented.
        answer = await http.get(f"{zalo.url}/bot{zalo.token}/sendMessage", params={"chat_id": PERSON, "text": "Hi"})
        assert answer.json()["ok"] is True


async def test_long_poll_returns_one_update_or_nothing(zalo: FakeZaloApi, client: ZaloClient) -> None:
    assert await client.get_update(timeout=0) is None  # 408 "Request timeout": no update
    waiting = asyncio.create_task(client.get_update(timeout=5))
    await asyncio.sleep(0.1)
    zalo.send_text(PERSON, "1 xong")
    zalo.send_text(PERSON, "2 đang làm 60%")
    first = await waiting
    incoming = parse_update(first)
    assert incoming is not None and incoming.text == "1 xong" and incoming.chat_id == PERSON
    second = parse_update(await client.get_update(timeout=1))
    assert second is not None and second.text == "2 đang làm 60%"


async def test_webhook_delivers_with_the_secret_and_blocks_polling(zalo: FakeZaloApi, client: ZaloClient) -> None:
    from aiohttp import web

    received: list[tuple[str, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Bot-Api-Secret-Token", ""), await request.json()))
        return web.json_response({"message": "Success"})

    app = web.Application()
    app.router.add_post("/zalo", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(ZaloError) as err:
            await client.set_webhook(url=f"http://127.0.0.1:{port}/zalo", secret_token="short")
        assert err.value.failure is Failure.RECIPIENT  # secret_token: 8 to 256 characters
        result = await client.set_webhook(url=f"http://127.0.0.1:{port}/zalo", secret_token="s3cret-token")
        assert result["url"].endswith("/zalo") and (await client.get_webhook_info())["url"] == result["url"]
        with pytest.raises(ZaloError):
            await client.get_update(timeout=0)  # getUpdates does not work while a webhook is set
        zalo.send_text(PERSON, "1 xong")
        for _ in range(200):
            if received:
                break
            await asyncio.sleep(0.02)
        secret, body = received[0]
        assert secret == "s3cret-token" and body["ok"] is True
        incoming = parse_update(body)
        assert incoming is not None and incoming.text == "1 xong"
        assert (await client.delete_webhook())["url"] == ""
    finally:
        await runner.cleanup()
