"""The fake Bot API server, exercised with the real PTB Application and Bot (no mocks)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import hashlib
import socket

import httpx
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebot import FakeBotApi, application_builder, parse_text, running_application

# Any warning (e.g. a PTB deprecation, an un-awaited coroutine) fails these tests.
pytestmark = pytest.mark.filterwarnings("error")

# PTB quirks the assertions below rely on:
# - TelegramError strips "Bad Request: " and str.capitalize()s the rest, so every BadRequest
#   text is lower-cased after its first letter: match with (?i).
# - RetryAfter's constructor reads .retry_after, which warns (PTBDeprecationWarning) unless
#   PTB_TIMEDELTA is set; with it, retry_after is a timedelta.


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")

GROUP = -4_000_000_001
SUPERGROUP = -1_001_234_567_890
AN, BINH = 1001, 1002  # focal points of two agencies


@pytest.fixture
def world(fake_bot_api: FakeBotApi) -> FakeBotApi:
    """Two users with private chats and one group where AN is the owner."""
    fake_bot_api.add_user(AN, "An", last_name="Nguyễn Văn", username="an_stp")
    fake_bot_api.add_user(BINH, "Bình")
    fake_bot_api.add_chat(GROUP, "group", "Sở Tư pháp — đầu mối", owner_id=AN, members=[BINH])
    return fake_bot_api


@pytest.fixture
def bot(world: FakeBotApi, ptb_builder):
    """A PTB Bot (from a built Application) wired to the fake server, not yet initialized."""
    return ptb_builder().build().bot


# --------------------------------------------------------------------------- Application flows


async def test_start_command_gets_html_reply(world: FakeBotApi, ptb_builder, no_error_logs) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greets with a bold name."""
        name = update.effective_user.first_name
        await update.message.reply_html(f"Xin chào <b>{name}</b> &amp; chào mừng 🔔")

    app = ptb_builder().build()
    app.add_handler(CommandHandler("start", start))
    async with running_application(app):
        incoming = world.send_command(AN, AN, "start")
        (reply,) = await world.wait_for_sent(AN)

    assert reply.method == "sendMessage"
    assert reply.text == "Xin chào An & chào mừng 🔔"
    assert reply.parse_mode == "HTML"
    assert reply.entities == [{"type": "bold", "offset": 9, "length": 2}]
    assert reply.message_id == incoming["message_id"] + 1
    assert reply.message["from"]["is_bot"] is True
    assert reply.message["from"]["username"] == "nhacviec_test_bot"
    assert isinstance(reply.date, int) and reply.date > 1_700_000_000
    assert world.pending_updates == []
    assert [r.method for r in world.requests[:2]] == ["getMe", "deleteWebhook"]


async def test_button_press_is_answered_and_message_edited(
    world: FakeBotApi, ptb_builder, no_error_logs
) -> None:
    async def remind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Sends a reminder with status buttons."""
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("✅ Xong", callback_data="done:17"),
              InlineKeyboardButton("⏳ Đang làm", callback_data="doing:17")]]
        )
        await update.message.reply_text("Nhiệm vụ 17: Số hoá hộ tịch", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Records the status and replaces the keyboard with a confirmation."""
        query = update.callback_query
        await query.answer("Đã ghi nhận")
        await query.edit_message_text(
            f"✅ Đã ghi nhận: <b>{query.data}</b>", parse_mode=ParseMode.HTML
        )

    app = ptb_builder().build()
    app.add_handler(CommandHandler("nhac", remind))
    app.add_handler(CallbackQueryHandler(on_button))
    async with running_application(app):
        world.send_command(GROUP, BINH, "nhac")
        (reminder,) = await world.wait_for_sent(GROUP)
        assert reminder.callback_data == ["done:17", "doing:17"]
        query_id = world.press_button(GROUP, BINH, reminder.message_id, "done:17")
        await world.wait_for(lambda: world.edits)

    answer = world.answer_for(query_id)
    assert answer is not None and answer.text == "Đã ghi nhận" and answer.show_alert is False
    (edit,) = world.edits
    assert (edit.method, edit.chat_id, edit.message_id) == ("editMessageText", GROUP, reminder.message_id)
    assert edit.text == "✅ Đã ghi nhận: done:17"
    current = world.message(GROUP, reminder.message_id)
    assert current["text"] == edit.text and "reply_markup" not in current and "edit_date" in current


async def test_uploaded_document_reaches_handler_and_downloads_identically(
    world: FakeBotApi, ptb_builder, no_error_logs
) -> None:
    payload = "Kế hoạch 1782/KH-UBND\n".encode() * 500 + bytes(range(256))
    received: list[bytes] = []

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Downloads the plan file and acknowledges its size."""
        document = update.message.document
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
        received.append(data)
        await update.message.reply_text(f"{document.file_name}: {len(data)} byte")

    app = ptb_builder().build()
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    async with running_application(app):
        world.send_document(AN, AN, "Kế hoạch CCHC 2025.docx", payload, caption="Kế hoạch mới")
        (ack,) = await world.wait_for_sent(AN)

    assert received == [payload]
    assert ack.text == f"Kế hoạch CCHC 2025.docx: {len(payload)} byte"
    assert world.calls("getFile")[0].ok


async def test_bot_uploads_document_and_photo(world: FakeBotApi, bot) -> None:
    xlsx = hashlib.sha256(b"bao cao").digest() * 100
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000003000000020806000000") + b"\0" * 20
    async with bot:
        message = await bot.send_document(
            GROUP, xlsx, filename="Báo cáo tiến độ.xlsx", caption="<b>Báo cáo</b> tuần",
            parse_mode=ParseMode.HTML,
        )
        photo = await bot.send_photo(AN, png, caption="Biểu đồ")
        again = await bot.send_document(AN, message.document.file_id)  # re-send by file_id
        downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()

    assert message.document.file_name == "Báo cáo tiến độ.xlsx"
    assert message.caption == "Báo cáo tuần" and message.caption_entities[0].type == "bold"
    assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    assert again.document.file_id == message.document.file_id
    assert bytes(downloaded) == xlsx
    sent_doc, sent_photo, _ = world.sent
    assert sent_doc.document == xlsx and sent_doc.filename == "Báo cáo tiến độ.xlsx"
    assert sent_photo.photo == png and sent_photo.caption == "Biểu đồ"


async def test_commands_are_recorded_per_scope_and_language(world: FakeBotApi, bot) -> None:
    everyone = [BotCommand("start", "Bắt đầu"), BotCommand("tiendo", "Xem tiến độ")]
    groups = [BotCommand("tiendo", "Tiến độ của cơ quan")]
    async with bot:
        await bot.set_my_commands(everyone)
        await bot.set_my_commands(everyone, language_code="vi")
        await bot.set_my_commands(groups, scope=BotCommandScopeAllGroupChats())
        await bot.set_my_commands(groups[:1], scope=BotCommandScopeChat(GROUP))
        fetched = await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())
        with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand("TienDo", "viết hoa")])
        await bot.delete_my_commands(language_code="vi")

    assert fetched == tuple(groups)
    assert world.commands_for() == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "tiendo", "description": "Xem tiến độ"},
    ]
    assert world.commands_for("default", "vi") == []
    assert world.commands_for("all_group_chats") == [
        {"command": "tiendo", "description": "Tiến độ của cơ quan"}
    ]
    assert world.commands_for({"type": "chat", "chat_id": GROUP}) == [
        {"command": "tiendo", "description": "Tiến độ của cơ quan"}
    ]


async def test_privacy_mode_hides_plain_group_chatter_but_not_replies(
    world: FakeBotApi, ptb_builder, no_error_logs
) -> None:
    seen: list[str] = []

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Collects texts the bot receives."""
        seen.append(update.message.text)

    app = ptb_builder().build()
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    async with running_application(app):
        reminder = await app.bot.send_message(GROUP, "Nhắc việc: nhiệm vụ 1, 2")
        world.send_text(GROUP, BINH, "1 xong")  # not a reply: the bot never sees it
        world.send_text(GROUP, BINH, "2 đang làm 60%", reply_to_message_id=reminder.message_id)
        await world.wait_for(lambda: seen)
        await world.wait_until_idle()

    assert seen == ["2 đang làm 60%"]
    (hidden,) = world.undelivered
    assert hidden.message["text"] == "1 xong" and hidden.reason.startswith("privacy mode")


async def test_added_to_group_with_startgroup_payload(world: FakeBotApi, ptb_builder, no_error_logs) -> None:
    events: list[tuple] = []

    async def on_my_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Notes the bot's membership change."""
        change = update.my_chat_member
        events.append(("member", change.chat.id, change.old_chat_member.status, change.new_chat_member.status))

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Binds the group to the agency from the deep-link payload."""
        events.append(("start", update.effective_chat.id, tuple(context.args)))
        await update.message.reply_text("Đã liên kết nhóm với Sở Tư pháp.")

    new_group = -4_000_000_777
    app = ptb_builder().build()
    app.add_handler(ChatMemberHandler(on_my_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CommandHandler("start", start))
    async with running_application(app):
        updates = world.add_bot_to_group(new_group, AN, "Nhóm STP", payload="agency_stp")
        await world.wait_for_sent(new_group)

    assert [next(k for k in u if k != "update_id") for u in updates] == [
        "my_chat_member", "message", "message"
    ]
    assert updates[2]["message"]["text"] == "/start@nhacviec_test_bot agency_stp"
    assert events == [
        ("member", new_group, ChatMemberStatus.LEFT, ChatMemberStatus.MEMBER),
        ("start", new_group, ("agency_stp",)),
    ]


async def test_group_migration_is_announced_and_old_id_rejected(
    world: FakeBotApi, ptb_builder, no_error_logs
) -> None:
    migrations: list[tuple] = []

    async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Collects migrate service messages."""
        m = update.message
        migrations.append((m.chat.id, m.migrate_to_chat_id, m.migrate_from_chat_id))

    app = ptb_builder().build()
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    async with running_application(app):
        world.migrate_chat(GROUP, SUPERGROUP)
        await world.wait_for(lambda: len(migrations) == 2)
        with pytest.raises(ChatMigrated) as caught:
            await app.bot.send_message(GROUP, "Nhắc việc")
        sent = await app.bot.send_message(SUPERGROUP, "Nhắc việc")
        owner = await app.bot.get_chat_member(SUPERGROUP, AN)

    assert migrations == [(GROUP, SUPERGROUP, None), (SUPERGROUP, None, GROUP)]
    assert caught.value.new_chat_id == SUPERGROUP
    assert sent.chat.type == "supergroup"
    assert owner.status == ChatMemberStatus.OWNER  # members carry over


async def test_getupdates_returns_as_soon_as_an_update_arrives(world: FakeBotApi, bot) -> None:
    async with bot:
        loop = asyncio.get_running_loop()
        started = loop.time()
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await world.wait_for(lambda: world.calls("getUpdates"))
        world.send_text(AN, AN, "chào")
        (update,) = await poll
        elapsed = loop.time() - started
        empty = await bot.get_updates(offset=update.update_id + 1, timeout=0)

    assert update.message.text == "chào" and elapsed < 1.0
    assert empty == () and world.pending_updates == []


async def test_second_long_poll_terminates_the_first_with_conflict(world: FakeBotApi, ptb_builder) -> None:
    first, second = ptb_builder().build().bot, ptb_builder().build().bot
    async with first, second:
        poll = asyncio.create_task(first.get_updates(timeout=3))
        await world.wait_for(lambda: world.calls("getUpdates"))
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await poll


async def test_allowed_updates_filters_and_persists(world: FakeBotApi, bot) -> None:
    async with bot:
        world.send_text(AN, AN, "chào")
        reminder = await bot.send_message(AN, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("ok", callback_data="ok")]]))
        world.press_button(AN, AN, reminder.message_id, "ok")
        only_callbacks = await bot.get_updates(allowed_updates=["callback_query"])
        world.send_text(AN, AN, "lại")
        # the setting sticks, as on Telegram
        later = await bot.get_updates(offset=only_callbacks[-1].update_id + 1)

    assert [u.callback_query.data for u in only_callbacks] == ["ok"]
    assert later == ()
    assert [u["message"]["text"] for u in world.dropped_updates] == ["chào", "lại"]


async def test_webhook_mode_delivers_updates(world: FakeBotApi, ptb_builder, no_error_logs) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Replies over webhook."""
        await update.message.reply_text("webhook ok")

    app = ptb_builder().build()
    app.add_handler(CommandHandler("start", start))
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="hook",
        webhook_url=f"http://127.0.0.1:{port}/hook", secret_token="s3cret-token",
    )
    try:
        assert world.webhook["url"] == f"http://127.0.0.1:{port}/hook"
        with pytest.raises(Conflict, match="webhook is active"):
            await app.bot.get_updates()
        world.send_command(AN, AN, "start")
        (reply,) = await world.wait_for_sent(AN)
        info = await app.bot.get_webhook_info()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert reply.text == "webhook ok"
    assert info.url.endswith("/hook") and info.pending_update_count == 0
    assert [status for _, status in world.webhook_deliveries] == [200]


# --------------------------------------------------------------------------- validation


async def test_text_length_is_counted_in_utf16_after_entity_parsing(world: FakeBotApi, bot) -> None:
    async with bot:
        await bot.send_message(AN, "a" * 4096)
        await bot.send_message(AN, "🔔" * 2048)  # 4096 UTF-16 code units
        await bot.send_message(AN, "<b>" + "&amp;" * 4096 + "</b>", parse_mode=ParseMode.HTML)
        for too_long in ("a" * 4097, "🔔" * 2048 + "a"):
            with pytest.raises(BadRequest, match="(?i)message is too long"):
                await bot.send_message(AN, too_long)
        for empty in ("", "  \n ", "<b> </b>"):
            with pytest.raises(BadRequest, match="(?i)message text is empty"):
                await bot.send_message(AN, empty, parse_mode=ParseMode.HTML)
    assert len(world.sent) == 3


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("Tiến độ < 50%", 'Unsupported start tag "" at byte offset 13'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("Sở VH-TT&DL", 'Unescaped "&" at byte offset 10'),
    ],
)
async def test_malformed_html_is_rejected(world: FakeBotApi, bot, html: str, error: str) -> None:
    async with bot:
        with pytest.raises(BadRequest, match="Can't parse entities") as caught:
            await bot.send_message(AN, html, parse_mode=ParseMode.HTML)
    assert error.lower() in str(caught.value).lower()
    assert world.requests[-1].description.startswith(f"Bad Request: can't parse entities: {error}")


async def test_supported_html_subset_is_accepted(world: FakeBotApi, bot) -> None:
    html = (
        '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>'
        '<del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://dichvucong.gov.vn/?a=1&amp;b=2">link</a><code>c</code>'
        '<pre><code class="language-python">print(1)</code></pre>'
        '<blockquote>trích</blockquote><blockquote expandable>dài</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&quot;&#39;&#x1F514;'
    )
    async with bot:
        message = await bot.send_message(AN, html, parse_mode=ParseMode.HTML)
    assert message.text.endswith(" <>\"'🔔")
    types = [e.type for e in message.entities]
    assert "text_link" in types and "expandable_blockquote" in types and "custom_emoji" in types
    pre = next(e for e in message.entities if e.type == "pre")
    assert pre.language == "python"
    assert message.entities[types.index("text_link")].url == "https://dichvucong.gov.vn/?a=1&b=2"


async def test_keyboard_and_caption_limits(world: FakeBotApi, bot) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])

    async with bot:
        await bot.send_message(AN, "ok", reply_markup=keyboard("đ" * 32))  # 64 bytes in UTF-8
        for bad in ("a" * 65, "đ" * 33):
            with pytest.raises(BadRequest, match="Button_data_invalid"):
                await bot.send_message(AN, "x", reply_markup=keyboard(bad))
        await bot.send_document(AN, b"x", filename="a.txt", caption="c" * 1024)
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await bot.send_document(AN, b"x", filename="a.txt", caption="c" * 1025)
    assert len(world.sent) == 2


async def test_membership_and_chat_errors(world: FakeBotApi, bot) -> None:
    world.add_user(3003, "Chưa bấm Start", started=False)
    world.kick_bot(GROUP)
    world.add_user(BINH + 10, "Chặn")
    world.block_bot(BINH + 10)
    async with bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(-4_999_999_999, "x")
        with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
            await bot.send_message(GROUP, "x")
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(BINH + 10, "x")
        with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
            await bot.send_message(3003, "x")
    assert world.sent == []


async def test_edit_errors(world: FakeBotApi, bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x")]])
    async with bot:
        message = await bot.send_message(AN, "<b>Nhắc</b>", parse_mode=ParseMode.HTML, reply_markup=markup)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("<b>Nhắc</b>", AN, message.message_id,
                                        parse_mode=ParseMode.HTML, reply_markup=markup)
        # same text without bold is a change, and so is dropping the keyboard
        await bot.edit_message_text("Nhắc", AN, message.message_id, reply_markup=markup)
        await bot.edit_message_reply_markup(AN, message.message_id)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(AN, message.message_id)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("x", AN, 9999)
        user_message = world.send_text(AN, AN, "của người dùng")
        with pytest.raises(BadRequest, match="Message can't be edited"):
            await bot.edit_message_text("x", AN, user_message["message_id"])
        assert await bot.delete_message(AN, message.message_id) is True
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(AN, message.message_id)
    assert [e.method for e in world.edits] == ["editMessageText", "editMessageReplyMarkup"]
    assert world.deleted == [(AN, message.message_id)]


async def test_callback_query_can_be_answered_once(world: FakeBotApi, bot) -> None:
    async with bot:
        message = await bot.send_message(AN, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("ok", callback_data="ok")]]))
        query_id = world.press_button(AN, AN, message.message_id, "ok")
        assert await bot.answer_callback_query(query_id) is True
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(query_id)
    with pytest.raises(ValueError, match="no button"):
        world.press_button(AN, AN, message.message_id, "stale")


async def test_chat_info_and_member_statuses(world: FakeBotApi, bot) -> None:
    world.add_user(2001, "Chánh VP")
    world.set_admins(GROUP, [2001])
    async with bot:
        chat = await bot.get_chat(GROUP)
        owner = await bot.get_chat_member(GROUP, AN)
        admin = await bot.get_chat_member(GROUP, 2001)
        member = await bot.get_chat_member(GROUP, BINH)
        me = await bot.get_chat_member(GROUP, bot.id)
        admins = await bot.get_chat_administrators(GROUP)
        await bot.send_chat_action(GROUP, "typing")
        assert await bot.leave_chat(GROUP) is True
        with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
            await bot.send_message(GROUP, "x")

    assert chat.title == "Sở Tư pháp — đầu mối" and chat.type == "group"
    assert (owner.status, admin.status, member.status, me.status) == (
        "creator", "administrator", "member", "member"
    )
    assert [a.user.id for a in admins] == [AN, 2001]
    assert world.chat_actions == [(GROUP, "typing")]


async def test_injected_faults_map_to_ptb_exceptions(world: FakeBotApi, ptb_builder) -> None:
    world.fail_next("sendMessage", 429, retry_after=7)
    world.fail_next("sendMessage", 500)
    world.fail_next("getChat", 400, migrate_to_chat_id=SUPERGROUP)
    world.delay_next("sendMessage", 1.0)
    world.drop_next("sendChatAction")
    bot = ptb_builder().read_timeout(0.2).build().bot
    async with bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(AN, "1")
        assert caught.value.retry_after == dtm.timedelta(seconds=7)
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(AN, "2")
        with pytest.raises(ChatMigrated):
            await bot.get_chat(GROUP)
        with pytest.raises(TimedOut):
            await bot.send_message(AN, "3: timed out but delivered")
        with pytest.raises(NetworkError):
            await bot.send_chat_action(AN, "typing")
        await bot.send_message(AN, "4")

    assert [m.text for m in world.sent] == ["3: timed out but delivered", "4"]
    assert [r.status for r in world.calls("sendMessage")] == [429, 500, 200, 200]


async def test_unknown_token_is_unauthorized(world: FakeBotApi) -> None:
    bot = application_builder(world, token="999:wrong").build().bot
    try:
        with pytest.raises(InvalidToken):
            await bot.initialize()
    finally:
        await bot.shutdown()  # initialize() opened the HTTP pools before failing
    assert world.requests[-1].status == 401


async def test_group_rate_limit_kicks_in_after_20_messages_a_minute(world: FakeBotApi, bot) -> None:
    world.set_rate_limits(True)
    outcomes: list[object] = []
    async with bot:
        for i in range(25):
            try:
                await bot.send_message(GROUP, f"Nhắc việc {i}")
                outcomes.append("ok")
            except RetryAfter as exc:
                outcomes.append(exc.retry_after)
        await bot.send_message(AN, "private chats are not limited by the group window")

    assert outcomes[:20] == ["ok"] * 20
    assert all(isinstance(o, dtm.timedelta) and 50 <= o.total_seconds() <= 60 for o in outcomes[20:])
    assert len(world.messages_in(GROUP)) == 20


async def test_global_rate_limit_per_second_with_a_fake_clock() -> None:
    now = [1000.0]
    async with FakeBotApi(rate_limits=True, clock=lambda: now[0]) as server:
        users = [server.add_user(5000 + i)["id"] for i in range(31)]
        bot = application_builder(server).build().bot
        async with bot:
            for user_id in users[:30]:
                await bot.send_message(user_id, "x")
            with pytest.raises(RetryAfter):
                await bot.send_message(users[30], "x")
            now[0] += 1.01  # the one-second window has passed
            await bot.send_message(users[30], "x")
        assert len(server.sent) == 31


async def test_aio_rate_limiter_retries_a_429_once(world: FakeBotApi, ptb_builder) -> None:
    world.fail_next("sendMessage", 429, retry_after=1)
    bot = ptb_builder().rate_limiter(AIORateLimiter(max_retries=1)).build().bot
    async with bot:
        await bot.send_message(AN, "sau khi chờ")
    assert [r.status for r in world.calls("sendMessage")] == [429, 200]
    assert world.calls("sendMessage")[1].time - world.calls("sendMessage")[0].time >= 1.0


async def test_replies_and_reply_errors(world: FakeBotApi, bot) -> None:
    incoming = world.send_text(AN, AN, "1 xong")
    async with bot:
        reply = await bot.send_message(AN, "Đã ghi nhận", reply_to_message_id=incoming["message_id"])
        with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
            await bot.send_message(AN, "x", reply_to_message_id=9999)
    assert reply.reply_to_message.text == "1 xong"
    assert world.last_sent(AN).reply_to_message_id == incoming["message_id"]


async def test_raw_http_shapes(world: FakeBotApi) -> None:
    """JSON bodies, query strings, case-insensitive method names and error bodies."""
    api = f"{world.base_url}{world.token}"
    async with httpx.AsyncClient() as client:
        me = (await client.get(f"{api}/getme")).json()
        sent = (await client.post(f"{api}/sendMessage", json={"chat_id": AN, "text": "json"})).json()
        queried = (await client.get(f"{api}/sendMessage", params={"chat_id": str(AN), "text": "q"})).json()
        unauthorized = await client.post(f"{world.base_url}1:bad/getMe")
        unknown = await client.post(f"{api}/sendTelepathy")
        missing = await client.get(f"{world.base_file_url}{world.token}/documents/nope.txt")

    assert me["ok"] and me["result"]["username"] == "nhacviec_test_bot"
    assert sent["result"]["text"] == "json" and queried["result"]["message_id"] == 2
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert unknown.status_code == 404 and unknown.json()["description"] == "Not Found"
    assert missing.status_code == 404


# --------------------------------------------------------------------------- formatting unit checks


def test_markdown_v2_rules() -> None:
    parsed = parse_text("*Hạn* 30/06/2025 \\- còn _7_ ngày", "MarkdownV2")
    assert parsed.text == "Hạn 30/06/2025 - còn 7 ngày"
    assert [e["type"] for e in parsed.entities] == ["bold", "italic"]
    with pytest.raises(ValueError, match=r"Character '\.' is reserved"):
        parse_text("Hạn 30.06.2025", "MarkdownV2")
    with pytest.raises(ValueError, match="Can't find end of Bold entity at byte offset 0"):
        parse_text("*đậm", "MarkdownV2")
    link = parse_text("[KH](https://x.vn/a_(b\\)) `1.2*3`", "MarkdownV2")
    assert link.text == "KH 1.2*3"
    assert link.entities[0] == {"type": "text_link", "offset": 0, "length": 2, "url": "https://x.vn/a_(b)"}
    quote = parse_text(">dòng 1\n>dòng 2\nsau", "MarkdownV2")
    assert quote.entities == [{"type": "blockquote", "offset": 0, "length": 13}]


def test_entity_offsets_are_utf16() -> None:
    parsed = parse_text("🔔 <b>Nhắc</b>", "HTML")
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 4}]
    assert parsed.length == 7
