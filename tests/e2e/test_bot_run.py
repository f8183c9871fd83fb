"""`nhacviec run` as a real process: one clear line for a missing or refused token, and a
clean start and stop (SIGTERM) against the fake Bot API server, by polling and by webhook."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from bot.config import Settings
from tests.fakebot import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
CONNECTED = "đã kết nối tới"


SETTINGS = {name.upper() for name in Settings.model_fields}


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The environment of a bot process: none of this shell's settings, a SQLite file in
    tmp_path, the reminders out of the way (23:59), then `values`."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PTB_TIMEDELTA="true",
        REMINDER_TIME="23:59",
    )
    env.update(values)
    return env


async def _run_to_end(tmp_path: Path, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_missing_token_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    code, out, err = await _run_to_end(tmp_path, _env(tmp_path))
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        "Thiếu TELEGRAM_BOT_TOKEN: đặt token của bot (lấy từ @BotFather) vào biến môi trường "
        "hoặc tệp .env."
    ]


async def test_a_refused_token_is_one_line_and_exit_code_2(tmp_path: Path, fake_bot_api: FakeBotApi) -> None:
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN="999:wrong-token", TELEGRAM_API_URL=fake_bot_api.url)
    code, out, err = await _run_to_end(tmp_path, env)
    assert fake_bot_api.requests and fake_bot_api.requests[0].status == 401
    assert code == 2
    assert err.strip().splitlines() == [
        f"TELEGRAM_BOT_TOKEN không hợp lệ: máy chủ {fake_bot_api.url} từ chối token "
        "(kiểm tra lại với @BotFather)."
    ]
    assert "wrong-token" not in out + err


async def test_with_json_logs_a_refused_token_is_one_json_line(tmp_path: Path, fake_bot_api: FakeBotApi) -> None:
    import json

    env = _env(tmp_path, TELEGRAM_BOT_TOKEN="999:wrong-token", TELEGRAM_API_URL=fake_bot_api.url, LOG_FORMAT="json")
    code, out, err = await _run_to_end(tmp_path, env)
    assert code == 2 and out == ""
    [line] = err.strip().splitlines()
    doc = json.loads(line)
    assert (doc["level"], doc["event"], doc["exit_code"]) == ("ERROR", "run.failed", 2)
    assert doc["msg"].startswith("TELEGRAM_BOT_TOKEN không hợp lệ: máy chủ ")
    assert "wrong-token" not in err


@asynccontextmanager
async def _running(tmp_path: Path, env: dict[str, str], *args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bot as a process, until it logged that it is connected; SIGTERM on exit."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        while not any(CONNECTED in line for line in lines):
            raw = await asyncio.wait_for(proc.stderr.readline(), 30)
            assert raw, f"the bot exited early: {lines}"
            lines.append(raw.decode())
        proc.log_lines = lines  # type: ignore[attr-defined]
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(proc.stderr.read(), 30)
        lines.extend(rest.decode().splitlines(keepends=True))
        await asyncio.wait_for(proc.wait(), 30)


async def test_run_polls_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, fake_bot_api: FakeBotApi) -> None:
    server = fake_bot_api
    server.add_user(42, "Người lạ")
    env = _env(
        tmp_path, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", PROVINCE="phu-tho", ADMIN_IDS="42",
    )
    async with _running(tmp_path, env) as proc:
        assert server.commands_for("all_group_chats")  # menus registered at start-up
        server.send_text(42, 42, "/help")
        [reply] = await server.wait_for_sent(42, timeout=10)
        assert reply.text.startswith("🤖 Bot nhắc việc cải cách hành chính")
    assert proc.returncode == 0
    log = "".join(proc.log_lines)  # type: ignore[attr-defined]
    connected = [line for line in log.splitlines() if CONNECTED in line]
    assert len(connected) == 1
    assert f"Bot @nhacviec_test_bot {CONNECTED} {server.url} (long polling)" in connected[0]
    assert "run.db" in connected[0] and "tỉnh: phu-tho" in connected[0]
    assert server.token.split(":")[1] not in log
    assert "Traceback" not in log
    assert (tmp_path / "run.db").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_behind_a_reverse_proxy_uses_a_webhook_with_a_secret(
    tmp_path: Path, fake_bot_api: FakeBotApi
) -> None:
    server = fake_bot_api
    server.add_user(42, "Người lạ")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/nhacviec/hook"
    env = _env(
        tmp_path, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.url,
        WEBHOOK_SECRET="s3cret-token_1",
    )
    async with _running(tmp_path, env, "--webhook-url", url, "--port", str(port)) as proc:
        # The webhook is set after the start-up line (post_init runs before the updater).
        await server.wait_for(lambda: server.webhook["url"] == url, 10)
        assert server.webhook["secret_token"] == "s3cret-token_1"
        server.send_text(42, 42, "/start")
        [reply] = await server.wait_for_sent(42, timeout=10)
        assert reply.text.startswith("🤖 Bot nhắc việc")
        async with httpx.AsyncClient() as client:  # a forged update without the secret
            forged = await client.post(url, json={"update_id": 1, "message": {}})
        assert forged.status_code == 403
    assert proc.returncode == 0
    assert f"(webhook {url})" in "".join(proc.log_lines)  # type: ignore[attr-defined]


async def test_json_logs_are_one_object_per_line_with_the_ids_and_never_the_token(
    tmp_path: Path, fake_bot_api: FakeBotApi
) -> None:
    """LOG_FORMAT=json on a real run: every stderr line is a JSON object; binding a group and a
    status update from it are events carrying the chat, agency, task and due item ids."""
    import json

    from sqlalchemy import false, func, select

    from bot.catalog import Catalog
    from bot.config import load_settings
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.db.models import Agency, DueItem
    from bot.services.plans import read_and_parse, store_draft

    server = fake_bot_api
    admin, focal, group = 42, 43, -4_300_000_001
    server.add_user(admin, "Quản trị")
    server.add_user(focal, "Đầu mối")
    server.add_chat(group, title="Sở Nội vụ", members=[admin, focal])
    env = _env(
        tmp_path, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.url, PROVINCE="phu-tho",
        ADMIN_IDS=str(admin), LOG_FORMAT="json",
    )
    # The sample plan is imported first (as `nhacviec import` does).
    url = env["DATABASE_URL"]
    catalog = Catalog(load_settings(database_url=url).data_dir)
    sample = ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt"
    await upgrade_database_async(url)
    engine = make_engine(url)
    try:
        draft = read_and_parse(sample.read_bytes(), sample.name, catalog=catalog, province=None, max_bytes=20 << 20)
        async with make_sessionmaker(engine)() as s, s.begin():
            await store_draft(s, draft=draft, catalog=catalog, timezone="Asia/Ho_Chi_Minh", actor="test")
        async with make_sessionmaker(engine)() as s:
            agency_id = await s.scalar(select(Agency.id).where(Agency.code == "so-noi-vu"))
            # A task of Sở Nội vụ with one due item: /capnhat records it without asking which.
            task_id, item_id = (
                await s.execute(
                    select(DueItem.task_id, func.min(DueItem.id))
                    .where(DueItem.agency_id == agency_id, DueItem.cancelled == false())
                    .group_by(DueItem.task_id)
                    .having(func.count(DueItem.id) == 1)
                    .order_by(DueItem.task_id)
                    .limit(1)
                )
            ).one()
    finally:
        await engine.dispose()

    async with _running(tmp_path, env) as proc:
        server.send_text(group, admin, "/dangky Sở Nội vụ")
        [bound] = await server.wait_for_sent(group, timeout=10)
        assert "Sở Nội vụ" in bound.text
        server.send_text(group, focal, f"/capnhat NV{task_id} xong")
        [_, done] = await server.wait_for_sent(group, 2, timeout=10)
        assert done.text.startswith("✅ Đã ghi nhận"), done.text
    assert proc.returncode == 0

    lines = [line for line in "".join(proc.log_lines).splitlines() if line]  # type: ignore[attr-defined]
    docs = [json.loads(line) for line in lines]  # every line is JSON …
    assert all(isinstance(d, dict) and {"ts", "level", "logger", "event", "msg"} <= d.keys() for d in docs)
    log = "\n".join(lines)
    assert server.token not in log and server.token.split(":")[1] not in log  # … and none has the token
    events = {d["event"]: d for d in docs if d["event"]}
    assert CONNECTED in events["bot.started"]["msg"]
    assert {k: events["chat.bound"].get(k) for k in ("chat_id", "agency_id", "user_id")} == {
        "chat_id": group, "agency_id": agency_id, "user_id": admin,
    }
    changed = events["status.changed"]
    assert {k: changed.get(k) for k in ("chat_id", "agency_id", "task_id", "due_item_id", "user_id", "new_status")} == {
        "chat_id": group, "agency_id": agency_id, "task_id": task_id, "due_item_id": item_id, "user_id": focal,
        "new_status": "done",
    }
    assert changed["msg"].startswith(f"NV{task_id}: ") and "Đầu mối" in changed["msg"]
