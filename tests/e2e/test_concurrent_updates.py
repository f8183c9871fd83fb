"""Updates of different chats are processed concurrently, those of one chat in order
(bot.app.PerChatUpdateProcessor), with the real Application polling the fake Bot API server.

One group floods the bot with 24 commands from 24 members: the AIORateLimiter holds
back the answers beyond 20 (20 messages a minute into one group, a leaky bucket: each
further one waits about 3 s). Another group's command, sent once the first 20 answers are
out, is answered before the held ones are all out — with one update at a time it waited
behind all four. The flooded group's answers come in the order of its commands.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.test_reminders_e2e import ADMIN, SNV, STP, World, world  # noqa: F401 - the fixture

FLOOD = 24


async def test_a_busy_group_does_not_hold_up_another_groups_answer(world: World) -> None:  # noqa: F811
    await world.bind(STP, "so-tu-phap")
    await world.bind(SNV, "so-noi-vu")
    users = [600_100 + n for n in range(FLOOD)]
    for user in users:
        world.server.add_user(user, f"Cán bộ {user}")
        world.server.set_member_status(STP, user, "member")
    app = await world.start(polling=True)
    try:
        commands: list[dict[str, Any]] = [world.server.send_text(STP, user, "/tiendo") for user in users]
        await world.server.wait_for_sent(STP, 20, timeout=30)
        world.server.send_text(SNV, ADMIN, "/tiendo")
        await world.server.wait_for_sent(SNV, 1, timeout=30)
        await world.server.wait_for_sent(STP, FLOOD, timeout=60)
    finally:
        await world.stop(app)
    flooded = world.server.messages_in(STP)
    [other] = world.server.messages_in(SNV)
    assert len(flooded) == FLOOD
    # The order of two sends, not a duration: the last flooded answer is held back about
    # 12 s by the group's limit, so only one-update-at-a-time handling puts the other
    # group's answer after it, however busy the machine.
    assert other.time < flooded[-1].time, "the other group waited behind the flooded one"
    # In order within the group: each answer quotes its command, in the commands' order.
    quoted = [m.reply_to_message_id for m in flooded if m.reply_to_message_id is not None]
    sent_ids = [c["message_id"] for c in commands]
    assert quoted == sorted(quoted) and set(quoted) <= set(sent_ids)
    assert len(quoted) == FLOOD
