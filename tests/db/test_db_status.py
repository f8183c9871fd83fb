"""Status changes in the database (bot.services.status), on SQLite and PostgreSQL: permission,
stale versions, undo as a new history row, extension requests decided once, racing presses."""

from __future__ import annotations

import asyncio
from dataclasses import replace as replace_env
from datetime import UTC, date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from db_factories import import_in_tx, plan_draft, three_tasks
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import chats as chats_repo
from bot.db import item_messages as item_messages_repo
from bot.db import status_changes as status_changes_repo
from bot.db.models import Agency, DueItem, ExtensionRequest, OutboxMessage, Province, StatusChange, Task
from bot.db.retry import begin_write
from bot.domain.kinds import ChatRole, ExtensionState, FlowState, OutboxKind, OutboxStatus, PromptKind
from bot.domain.replies import ChangeKind, Intent
from bot.domain.status import ChangeSource, Status
from bot.render import status as status_texts
from bot.services import status as svc
from bot.services.chats import Scope, ScopeKind

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 6, 23, 2, 0, tzinfo=UTC)  # 09:00 on Monday 23/06/2025 in Vietnam
FOCAL, OTHER, LEADER, ADMIN = 11, 22, 33, 44
CHAT = -100


async def seeded(sm: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Three tasks: 1 (STP leads, SNV supports, due 30/06/2021); 2 (SNV and STC lead, yearly)."""
    await import_in_tx(sm, plan_draft(three_tasks()))
    async with sm() as s:
        ids = {a.code: a.id for a in await s.scalars(select(Agency))}
        task1 = await s.scalar(select(Task.id).where(Task.ref == "1"))
        ids["item"] = await s.scalar(select(DueItem.id).where(DueItem.task_id == task1))  # type: ignore[assignment]
        return ids


async def env(
    s: AsyncSession, agency_id: int | None, *, user: int = FOCAL, admin: bool | frozenset[int] = False,
    kind: ScopeKind = ScopeKind.AGENCY, now: datetime = NOW,
) -> svc.Env:
    province = (await s.scalars(select(Province))).one()
    agency = await s.get(Agency, agency_id) if agency_id else None
    # admin: of this province (True) or of the provinces with these ids (another province's admin)
    admin_of = admin if isinstance(admin, frozenset) else frozenset({province.id}) if admin else frozenset()
    scope = Scope(kind, (province,), province.id in admin_of, False, None, agency, (agency_id,) if agency_id else (), admin_of)
    return svc.Env(scope, svc.Actor(user, f"Người {user}", admin_of), now, TZ, CHAT, 500, ChangeSource.CHAT)


async def rows(sm: async_sessionmaker[AsyncSession], item_id: int) -> list[StatusChange]:
    async with sm() as s:
        return [c for c in await status_changes_repo.history(s, due_item_id=item_id) if c.source is not ChangeSource.IMPORT]


async def state(sm: async_sessionmaker[AsyncSession], item_id: int) -> tuple[Status, int, date | None, date]:
    async with sm() as s:
        item = await s.get(DueItem, item_id)
        assert item is not None
        return item.status, item.progress, item.completed_on, item.due_on


async def apply(sm: async_sessionmaker[AsyncSession], agency_id: int | None, item_id: int, intent: Intent, **kw: object) -> svc.Outcome:
    user = kw.pop("user", FOCAL)
    admin = kw.pop("admin", False)
    now = kw.pop("now", NOW)
    kind = kw.pop("kind", ScopeKind.AGENCY)
    async with sm() as s, s.begin():
        await begin_write(s)
        e = await env(s, agency_id, user=user, admin=admin, now=now, kind=kind)  # type: ignore[arg-type]
        return await svc.apply(s, e, due_item_id=item_id, intent=intent, **kw)  # type: ignore[arg-type]


async def test_undo_restores_exactly_what_was_there_with_a_new_row(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await seeded(sm)
    item = ids["item"]
    done = await apply(sm, ids["STP"], item, Intent(ChangeKind.DONE), now=NOW - timedelta(days=3))
    assert done.undoable and (await state(sm, item))[:3] == (Status.DONE, 100, date(2025, 6, 20))
    reopened = await apply(sm, ids["STP"], item, Intent(ChangeKind.PROGRESS, progress=50))
    assert await state(sm, item) == (Status.IN_PROGRESS, 50, None, date(2021, 6, 30))

    async with sm() as s, s.begin():
        result = await svc.undo(s, await env(s, ids["STP"]), change_id=reopened.change_id)  # type: ignore[arg-type]
    assert result.refused is None
    # Back to done — completed on the 20th, not today.
    assert await state(sm, item) == (Status.DONE, 100, date(2025, 6, 20), date(2021, 6, 30))
    history = await rows(sm, item)
    assert [(c.old_status, c.new_status) for c in history] == [
        (Status.PENDING, Status.DONE), (Status.DONE, Status.IN_PROGRESS), (Status.IN_PROGRESS, Status.DONE),
    ]
    assert history[1].id == reopened.change_id and history[1].new_status is Status.IN_PROGRESS
    # The undo's own row says what was true after it (the digests read history "as of" a date).
    assert (history[2].completed_on, history[2].due_on, history[2].progress) == (date(2025, 6, 20), date(2021, 6, 30), 100)

    # The older change can no longer be undone: too late, and something happened since.
    async with sm() as s, s.begin():
        late = await svc.undo(s, await env(s, ids["STP"]), change_id=done.change_id)  # type: ignore[arg-type]
    assert late.refused and late.refused.startswith("Đã quá 15 phút")
    async with sm() as s, s.begin():
        e = await env(s, ids["STP"], now=NOW - timedelta(days=3) + timedelta(minutes=1))
        late = await svc.undo(s, e, change_id=done.change_id)  # type: ignore[arg-type]
    assert late.refused == "Nhiệm vụ đã có cập nhật mới hơn: không hoàn tác được thay đổi cũ."
    async with sm() as s, s.begin():
        again = await svc.undo(s, await env(s, ids["STP"]), change_id=reopened.change_id)  # type: ignore[arg-type]
    assert again.refused == "Thay đổi này đã được hoàn tác."
    assert len(await rows(sm, item)) == 3


async def test_who_may_change_what(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await seeded(sm)
    item = ids["item"]
    # The cooperating agency (SNV): a note yes, a status no.
    refused = await apply(sm, ids["SNV"], item, Intent(ChangeKind.DONE, note="xong"))
    assert refused.refused == status_texts.SUPPORT_ONLY
    noted = await apply(sm, ids["SNV"], item, Intent(ChangeKind.NOTE, note="Đã góp ý dự thảo"), user=OTHER)
    assert noted.recorded is not None and noted.recorded.unchanged and not noted.undoable
    # An agency with nothing to do with the task: nothing.
    assert (await apply(sm, ids["STC"], item, Intent(ChangeKind.NOTE, note="?"))).refused == status_texts.NOT_YOURS
    # Another province's admin: nothing; this province's admin, from anywhere: yes.
    other = await apply(sm, None, item, Intent(ChangeKind.DONE), user=ADMIN, admin=frozenset({10_000}), kind=ScopeKind.ADMIN)
    assert other.refused == status_texts.NOT_YOURS
    assert (await apply(sm, None, item, Intent(ChangeKind.PROGRESS, progress=25), user=ADMIN, admin=True)).recorded
    assert await state(sm, item) == (Status.IN_PROGRESS, 25, None, date(2021, 6, 30))
    assert [(c.new_status, c.actor_tg_id, c.note) for c in await rows(sm, item)] == [
        (Status.PENDING, OTHER, "Đã góp ý dự thảo"), (Status.IN_PROGRESS, ADMIN, None),
    ]


async def test_a_stale_button_changes_nothing(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await seeded(sm)
    item = ids["item"]
    async with sm() as s:
        version = await status_changes_repo.latest_change_id(s, due_item_id=item)
    await apply(sm, ids["STP"], item, Intent(ChangeKind.PROGRESS, progress=50))
    stale = await apply(sm, ids["STP"], item, Intent(ChangeKind.DONE), version=version)
    assert stale.stale and stale.refused and stale.refused.startswith("Nhiệm vụ vừa được cập nhật (Đang thực hiện 50%)")
    assert (await state(sm, item))[0] is Status.IN_PROGRESS
    # The same figure again is not news.
    same = await apply(sm, ids["STP"], item, Intent(ChangeKind.PROGRESS, progress=50))
    assert same.refused and "không có gì thay đổi" in same.refused
    assert len(await rows(sm, item)) == 1


async def test_racing_presses_record_one_change(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await seeded(sm)
    item = ids["item"]
    async with sm() as s:
        version = await status_changes_repo.latest_change_id(s, due_item_id=item)
    outcomes = await asyncio.gather(
        *(apply(sm, ids["STP"], item, Intent(ChangeKind.DONE), version=version) for _ in range(4))
    )
    assert sum(1 for o in outcomes if o.recorded) == 1
    assert all(o.stale for o in outcomes if not o.recorded)
    assert len(await rows(sm, item)) == 1


async def _request(sm: async_sessionmaker[AsyncSession], ids: dict[str, int], on: date = date(2025, 12, 15)) -> svc.Outcome:
    return await apply(sm, ids["STP"], ids["item"], Intent(ChangeKind.EXTENSION, new_due_on=on, note="chờ hướng dẫn"))


async def _decide(sm: async_sessionmaker[AsyncSession], request_id: int, approve: bool, *, kind: ScopeKind = ScopeKind.LEADERS, user: int = LEADER) -> svc.Decision:
    async with sm() as s, s.begin():
        e = await env(s, None, user=user, kind=kind)
        return await svc.decide_extension(s, e, request_id=request_id, approve=approve)


async def test_extension_approved_once_and_the_original_date_is_kept(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await seeded(sm)
    item = ids["item"]
    await apply(sm, ids["STP"], item, Intent(ChangeKind.PROGRESS, progress=40))
    # Not later than the current due date: the date is asked again.
    too_early = await apply(sm, ids["STP"], item, Intent(ChangeKind.EXTENSION, new_due_on=date(2021, 5, 1)))
    assert too_early.needs is PromptKind.EXTENSION and too_early.problem
    first = await _request(sm, ids)
    assert first.extension_request_id and (await state(sm, item))[0] is Status.EXTENSION_REQUESTED
    second = await _request(sm, ids, date(2026, 1, 15))
    assert second.refused and "đang chờ lãnh đạo duyệt" in second.refused

    # An agency chat cannot decide; the leaders can, once.
    assert (await _decide(sm, first.extension_request_id, True, kind=ScopeKind.AGENCY, user=FOCAL)).refused == status_texts.NOT_LEADER
    async with sm() as s, s.begin():
        await chats_repo.bind_chat(
            s, province=(await s.scalars(select(Province))).one(), tg_chat_id=CHAT, role=ChatRole.AGENCY,
            now=NOW, agency=await s.get(Agency, ids["STP"]),
        )
    decision = await _decide(sm, first.extension_request_id, True)
    # The outcome goes back to the chat that asked, answering the message that asked.
    assert decision.refused is None and decision.agency_chats == [CHAT] and decision.reply_to == 500
    assert await state(sm, item) == (Status.EXTENDED, 40, None, date(2025, 12, 15))
    async with sm() as s:
        row = await s.get(DueItem, item)
        assert row is not None and row.original_due_on == date(2021, 6, 30)
        request = await s.get(ExtensionRequest, first.extension_request_id)
        assert request is not None and request.state is ExtensionState.APPROVED and request.decided_by_tg_id == LEADER
    late = await _decide(sm, first.extension_request_id, False, user=ADMIN)
    assert late.refused == "Đề nghị này đã được đồng ý (Người 33)."
    assert [c.new_status for c in await rows(sm, item)] == [Status.IN_PROGRESS, Status.EXTENSION_REQUESTED, Status.EXTENDED]


async def test_extension_rejected_or_overtaken(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await seeded(sm)
    item = ids["item"]
    await apply(sm, ids["STP"], item, Intent(ChangeKind.BLOCKED, note="thiếu kinh phí", progress=30))
    first = await _request(sm, ids)
    assert (await _decide(sm, first.extension_request_id, False)).refused is None  # type: ignore[arg-type]
    assert await state(sm, item) == (Status.BLOCKED, 30, None, date(2021, 6, 30))

    # A request overtaken by another update is withdrawn; deciding it later changes nothing.
    second = await _request(sm, ids, date(2026, 3, 31))
    done = await apply(sm, ids["STP"], item, Intent(ChangeKind.DONE))
    assert done.withdrawn_request_id == second.extension_request_id
    decision = await _decide(sm, second.extension_request_id, True)  # type: ignore[arg-type]
    assert decision.refused == "Đề nghị này đã được rút hoặc không còn hiệu lực."
    assert (await state(sm, item))[0] is Status.DONE
    async with sm() as s:
        states = [r.state for r in await s.scalars(select(ExtensionRequest).order_by(ExtensionRequest.id))]
    assert states == [ExtensionState.REJECTED, ExtensionState.CANCELLED]

    # Undoing a request withdraws it too.
    fresh = await seeded_item_request(sm, ids)
    async with sm() as s, s.begin():
        result = await svc.undo(s, await env(s, ids["STP"]), change_id=fresh.change_id)  # type: ignore[arg-type]
    assert result.withdrawn_request_id == fresh.extension_request_id


async def seeded_item_request(sm: async_sessionmaker[AsyncSession], ids: dict[str, int]) -> svc.Outcome:
    """Reopen the item, then ask for an extension."""
    await apply(sm, ids["STP"], ids["item"], Intent(ChangeKind.PROGRESS, progress=90))
    return await _request(sm, ids, date(2026, 6, 30))


async def test_one_pending_request_per_item_is_a_database_rule(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await seeded(sm)
    values = dict(
        due_item_id=ids["item"], current_due_on=date(2021, 6, 30), proposed_due_on=date(2025, 12, 1),
        prev_status=Status.PENDING, requested_by_tg_id=FOCAL, tg_chat_id=CHAT, created_at=NOW,
    )
    async with sm() as s, s.begin():
        await status_changes_repo.add_extension_request(s, **values)
        await status_changes_repo.decide_extension_request(
            s, request_id=(await s.scalars(select(ExtensionRequest.id))).one(), state=ExtensionState.REJECTED, now=NOW
        )
        await status_changes_repo.add_extension_request(s, **values)  # a decided one does not count
    with pytest.raises(IntegrityError):
        async with sm() as s, s.begin():
            await status_changes_repo.add_extension_request(s, **values)


async def test_prompts_and_numbered_messages(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await seeded(sm)
    async with sm() as s, s.begin():
        e = await env(s, ids["STP"])
        prompt = await svc.new_prompt(s, e, kind=PromptKind.NOTE, payload={"planned": None}, prompt_message_id=77)
        assert svc.prompt_problem(prompt, e, tg_chat_id=CHAT) is None
        other = await env(s, ids["STP"], user=OTHER)
        assert svc.prompt_problem(prompt, other, tg_chat_id=CHAT) == "Câu hỏi này dành cho Người 11."
        later = await env(s, ids["STP"], now=NOW + svc.PROMPT_TTL + timedelta(seconds=1))
        assert svc.prompt_problem(prompt, later, tg_chat_id=CHAT) == "Câu hỏi này đã hết hạn; xin cập nhật lại."
        # Asking something new in the same message supersedes the old question.
        newer = await svc.new_prompt(s, e, kind=PromptKind.EXTENSION, payload={}, prompt_message_id=77)
        assert (await status_changes_repo.get_prompt(s, prompt_id=prompt.id)).state is FlowState.CANCELLED  # type: ignore[union-attr]
        assert await status_changes_repo.close_prompt(s, prompt_id=newer.id, state=FlowState.DONE, now=NOW)
        assert not await status_changes_repo.close_prompt(s, prompt_id=newer.id, state=FlowState.DONE, now=NOW)

        # A reminder (outbox) and a card (item_messages) both map numbers back to items.
        chat = await chats_repo.bind_chat(
            s, province=(await s.scalars(select(Province))).one(), tg_chat_id=CHAT, role=ChatRole.AGENCY,
            now=NOW, agency=await s.get(Agency, ids["STP"]),
        )
        s.add(OutboxMessage(
            chat_id=chat.id, tg_chat_id=CHAT, on_date=date(2025, 6, 23), kind=OutboxKind.REMINDER, body="x",
            due_item_ids=[ids["item"]], first_number=4, tg_message_id=900, next_attempt_at=NOW, created_at=NOW,
        ))
        await s.flush()
        [listed] = await svc.context_items(s, tg_chat_id=CHAT, message_id=900)  # type: ignore[misc]
        assert (listed.number, listed.due_item_id) == (4, ids["item"])
        assert await svc.context_items(s, tg_chat_id=CHAT, message_id=900, reminders=False) is None
        await item_messages_repo.remember_item_message(s, tg_chat_id=CHAT, tg_message_id=901, items=[(2, ids["item"])], now=NOW)
        [card] = await svc.context_items(s, tg_chat_id=CHAT, message_id=901, reminders=False)  # type: ignore[misc]
        assert (card.number, card.task_id) == (2, listed.task_id)
        assert await svc.context_items(s, tg_chat_id=CHAT, message_id=902) is None


async def test_a_back_dated_completion_records_its_own_day(sm: async_sessionmaker[AsyncSession]) -> None:
    """"1 đã hoàn thành từ ngày 20/06/2021" records the 20th (on time against 30/06/2021),
    not today; a day still to come is refused and nothing is recorded."""
    from bot.domain.status import Category, category

    ids = await seeded(sm)
    item = ids["item"]
    future = await apply(sm, ids["STP"], item, Intent(ChangeKind.DONE, note="ngày 30/12/2025"))
    assert future.refused and "sau hôm nay" in future.refused
    assert await rows(sm, item) == []
    done = await apply(sm, ids["STP"], item, Intent(ChangeKind.DONE, note="từ ngày 20/06/2021"))
    assert done.undoable
    status, _, completed_on, due_on = await state(sm, item)
    assert (status, completed_on) == (Status.DONE, date(2021, 6, 20))
    assert category(status, due_on, completed_on, NOW.date()) is Category.DONE_ON_TIME


async def test_an_edited_message_naming_a_task_code_does_not_reopen_a_later_state(
    sm: async_sessionmaker[AsyncSession],
) -> None:
    """"NV<id> đang làm 50%" edited after "xong" came from another message: stale, told back."""
    import dataclasses

    from bot.domain.codes import task_code
    from bot.domain.replies import Planned, ReplyOutcome, Target

    ids = await seeded(sm)
    item = ids["item"]
    async with sm() as s:
        task_id = (await s.get(DueItem, item)).task_id  # type: ignore[union-attr]
    sent_at = NOW - timedelta(minutes=5)
    async with sm() as s, s.begin():  # message 500 (env's) said "đang làm 50%" five minutes ago
        await svc.apply(s, await env(s, ids["STP"], now=sent_at), due_item_id=item,
                        intent=Intent(ChangeKind.PROGRESS, progress=50))
    async with sm() as s, s.begin():  # …then message 501 said "xong"
        later = dataclasses.replace(await env(s, ids["STP"]), message_id=501)
        await svc.apply(s, later, due_item_id=item, intent=Intent(ChangeKind.DONE))
    edited = ReplyOutcome(changes=(Planned(Target(task_id=task_id), Intent(ChangeKind.PROGRESS, progress=70)),))
    async with sm() as s:
        kept, stale = await svc.latest_word_only(s, edited, tg_chat_id=CHAT, message_id=500, sent_at=sent_at)
    assert kept.changes == () and stale == [task_code(task_id)]
    # The newest message (501) may still be corrected.
    async with sm() as s:
        kept, stale = await svc.latest_word_only(s, edited, tg_chat_id=CHAT, message_id=501, sent_at=NOW)
    assert kept.changes == edited.changes and stale == []


async def test_the_use_cases_name_what_to_tell_whom_without_telegram(sm: async_sessionmaker[AsyncSession]) -> None:
    """A surface without Telegram (the console, another channel) calls the same entry points:
    /capnhat's words by task code, then the leaders' decision, each a Result of sends and edits
    whose buttons decode with the one codec."""
    from bot.domain.admins import Admins
    from bot.domain.callbacks import DecideExtension, Undo, decode

    ids = await seeded(sm)
    async with sm() as s:
        task1 = await s.scalar(select(Task.id).where(Task.ref == "1"))
    assert task1 is not None
    async with sm() as s, s.begin():
        e = await env(s, ids["STP"])
        result = await svc.report(s, e, task_id=task1, words="xin gia hạn đến 15/12/2025 vì chờ hướng dẫn")
    assert result.handled and not result.edits and len(result.extension_requests) == 1
    (confirmation,) = result.sends  # nobody to ask: no leaders' chat, no admin
    assert confirmation.chat_id is None and confirmation.items == [(0, ids["item"])]
    assert confirmation.buttons is not None
    assert isinstance(decode(confirmation.buttons[0][0][1]), Undo)
    async with sm() as s, s.begin():
        follow_ups = await svc.remember_sent(s, result, [svc.Sent(confirmation, CHAT, 900)], now=NOW)
    assert follow_ups == [status_texts.NO_LEADERS]
    async with sm() as s:  # a reply to the confirmation finds its item
        assert await svc.context_items(s, tg_chat_id=CHAT, message_id=900) is not None

    # Undone and asked again with an admin to tell: the request goes to the admin's chat.
    async with sm() as s, s.begin():
        press = decode(confirmation.buttons[0][0][1])
        assert isinstance(press, Undo)
        e = replace_env(await env(s, ids["STP"]), message_id=900)
        undone = await svc.undo_change(s, e, change_id=press.change_id, message_html="", other_buttons=[])
    assert undone.answer == status_texts.UNDONE and undone.edits[0].message_id == 900
    async with sm() as s, s.begin():
        e = replace_env(await env(s, ids["STP"]), admins=Admins(everywhere=frozenset({ADMIN})))
        result = await svc.report(s, e, task_id=task1, words="xin gia hạn đến 15/12/2025")
    # The post to the admin is an outbox row queued with the request (not a send of the
    # Result): sent once, retried, its message id kept by the sender.
    assert not [send for send in result.sends if send.chat_id == ADMIN] and result.wakes_sender
    async with sm() as s:
        post = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.EXTENSION))
    assert post is not None and post.admin_tg_id == ADMIN and post.part == result.extension_requests[0]
    assert post.buttons is not None
    approve = decode(post.buttons[0][0][1])
    assert approve == DecideExtension(result.extension_requests[0], True)
    async with sm() as s, s.begin():
        follow_ups = await svc.remember_sent(s, result, [], now=NOW)
    assert follow_ups == []
    async with sm() as s, s.begin():  # the sender delivered it as message 77
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == post.id).values(
            status=OutboxStatus.SENT, tg_message_id=77))

    async with sm() as s, s.begin():
        e = replace_env(await env(s, None, user=ADMIN, admin=True, kind=ScopeKind.NONE), tg_chat_id=ADMIN, message_id=77)
        decided = await svc.answer_extension(s, e, request_id=approve.request_id, approve=True)
    assert decided.answer == status_texts.APPROVED and not decided.alert
    assert [(edit.chat_id, edit.message_id) for edit in decided.edits] == [(ADMIN, 77)]
    assert (await state(sm, ids["item"]))[0] is Status.EXTENDED
    async with sm() as s:  # the pressed post is rewritten by the handler: nothing else to rewrite
        assert (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.EDIT))).all() == []
    async with sm() as s, s.begin():  # pressed again: refused, the post still shows the outcome
        again = await svc.answer_extension(s, e, request_id=approve.request_id, approve=False)
    assert again.alert and again.answer and [(x.chat_id, x.message_id) for x in again.edits] == [(ADMIN, 77)]


async def test_sent_ids_are_stored_by_the_next_status_transaction(sm: async_sessionmaker[AsyncSession]) -> None:
    """One write transaction per reply (bot/services/sent_ids.py): the ids of a delivered
    confirmation are stored by the next status transaction to begin, whichever chat it serves;
    one that rolls back gives them back; with no transaction to carry them, the queue writes
    them itself after its delay."""
    from bot.services.sent_ids import SentIds

    ids = await seeded(sm)
    log = SentIds(sm, delay=3600)  # the timer never fires within the test: only what we drive
    confirmation = svc.Send("ok", items=[(1, ids["item"])])
    follow_ups = log.add(svc.Result(sends=[confirmation]), [svc.Sent(confirmation, CHAT, 901)], now=NOW)
    assert follow_ups == []

    async def found(message_id: int) -> bool:
        async with sm() as s:
            return await svc.context_items(s, tg_chat_id=CHAT, message_id=message_id) is not None

    assert not await found(901)  # queued, not written
    # A status transaction of another chat that fails: nothing stored, the entry is kept.
    with pytest.raises(RuntimeError):
        batch = None
        try:
            async with sm() as s, s.begin():
                await begin_write(s)
                batch = await log.write_pending(s, chat_id=-200)
                assert batch is not None and CHAT in batch.chats
                raise RuntimeError("the use case failed")
        except BaseException:
            log.settle(batch, committed=False)
            raise
    assert not await found(901) and log.written == 0
    # The next one (any chat) carries it; no transaction of the queue's own was needed.
    async with sm() as s, s.begin():
        await begin_write(s)
        batch = await log.write_pending(s, chat_id=-300)
        assert await svc.context_items(s, tg_chat_id=CHAT, message_id=901) is not None  # read-your-writes
    log.settle(batch, committed=True)
    assert await found(901) and (log.written, log.own_transactions) == (1, 0)

    # Nothing to carry it: the queue's own transaction (the timer's, or a graceful stop).
    second = svc.Send("ok", items=[(1, ids["item"])])
    log.add(svc.Result(sends=[second]), [svc.Sent(second, CHAT, 902)], now=NOW)
    await log.aclose()
    assert await found(902) and (log.written, log.own_transactions) == (2, 1)


async def test_sent_ids_write_nothing_after_a_graceful_stop(sm: async_sessionmaker[AsyncSession]) -> None:
    """After `aclose` (the bot's shutdown, before its engine is disposed and, in tests, its
    schema dropped) no timer is armed again: an entry added later is never written by a
    transaction of the queue's own."""
    from bot.services.sent_ids import SentIds

    ids = await seeded(sm)
    opened = 0

    def counting_sm() -> AsyncSession:
        nonlocal opened
        opened += 1
        return sm()

    log = SentIds(cast(async_sessionmaker[AsyncSession], counting_sm), delay=0.01)
    await log.aclose()
    late = svc.Send("ok", items=[(1, ids["item"])])
    log.add(svc.Result(sends=[late]), [svc.Sent(late, CHAT, 904)], now=NOW)
    await asyncio.sleep(0.3)  # thirty times the delay: an armed timer would have fired
    assert opened == 0 and log.own_transactions == 0


async def test_a_chat_waits_for_the_transaction_that_took_its_ids(sm: async_sessionmaker[AsyncSession]) -> None:
    """Chat A's entry taken by chat B's transaction (still open): A's next transaction waits
    until B's has committed before it reads, so A's reply to its confirmation finds the item."""
    from bot.services.sent_ids import SentIds

    ids = await seeded(sm)
    log = SentIds(sm, delay=3600)
    confirmation = svc.Send("ok", items=[(1, ids["item"])])
    log.add(svc.Result(sends=[confirmation]), [svc.Sent(confirmation, CHAT, 903)], now=NOW)
    b_took = asyncio.Event()
    b_may_commit = asyncio.Event()

    async def chat_b() -> None:
        async with sm() as s:
            async with s.begin():
                await begin_write(s)
                batch = await log.write_pending(s, chat_id=-200)
                b_took.set()
                await b_may_commit.wait()
            log.settle(batch, committed=True)

    async def chat_a() -> bool:
        await b_took.wait()
        async with sm() as s, s.begin():
            # On SQLite begin_write itself waits for B's write lock; on PostgreSQL the queue does.
            await begin_write(s)
            batch = await log.write_pending(s, chat_id=CHAT)
            seen = await svc.context_items(s, tg_chat_id=CHAT, message_id=903) is not None
        log.settle(batch, committed=True)
        return seen

    b = asyncio.create_task(chat_b())
    a = asyncio.create_task(chat_a())
    await b_took.wait()
    await asyncio.sleep(0.3)
    assert not a.done()  # A waits for B
    b_may_commit.set()
    await b
    assert await a
