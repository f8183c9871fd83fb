"""`nhacviec run` with WEBHOOK_ON_CONSOLE: one ASGI application (the console's uvicorn) serves
Telegram's webhook and the console on one port. The fake Bot API server delivers updates to
it with the secret token; a forged POST without the token is refused and not processed."""

from __future__ import annotations

import httpx

from tests.e2e.test_bot_run import _env, _free_port, _running
from tests.fakebot import FakeBotApi


async def test_the_console_serves_the_webhook_with_its_secret(tmp_path, fake_bot_api: FakeBotApi) -> None:  # type: ignore[no-untyped-def]
    server = fake_bot_api
    server.add_user(42, "Người lạ")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/nhacviec/hook"
    env = _env(
        tmp_path, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.url, WEBHOOK_SECRET="s3cret-token_2",
        WEBHOOK_ON_CONSOLE="true", WEB_PORT=str(port), WEBHOOK_URL=url,
    )
    async with _running(tmp_path, env) as proc:
        await server.wait_for(lambda: server.webhook["url"] == url, 15)
        assert server.webhook["secret_token"] == "s3cret-token_2"
        server.send_text(42, 42, "/start")  # delivered by the fake server as a webhook POST
        [reply] = await server.wait_for_sent(42, timeout=10)
        assert reply.text.startswith("🤖 Bot nhắc việc")
        assert server.webhook_deliveries and all(status == 200 for _, status in server.webhook_deliveries)
        async with httpx.AsyncClient() as client:
            forged = await client.post(url, json={"update_id": 99, "message": {
                "message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "/start"}})
            wrong = await client.post(url, json={"update_id": 98}, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            console = await client.get(f"http://127.0.0.1:{port}/web/signin")  # the same server
        assert forged.status_code == 403 and wrong.status_code == 403
        assert console.status_code == 200 and "Đăng nhập" in console.text
        assert len(server.messages_in(42)) == 1  # the forged /start was not processed
    assert proc.returncode == 0
    assert "qua bảng điều khiển" in "".join(proc.log_lines)  # type: ignore[attr-defined]
