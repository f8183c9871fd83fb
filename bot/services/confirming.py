"""Items of unknown status ("chưa cập nhật"): the agency's answers to the confirmation
section of its reminder, and an admin closing them in bulk with real completion dates
(bot command /dongcu and `nhacviec close-unknown`).

Every change goes through the status rules (bot.domain.status.decide) one item at a time
and leaves a history row saying who, when and from where; an answer applies only to the
items of the message that are still unknown, so a second press changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.db import agencies as agencies_repo
from bot.db import plans as plans_repo
from bot.db import status_changes as status_changes_repo
from bot.db import unknown_items
from bot.db.models import Agency, Plan, Province
from bot.db.retry import begin_write
from bot.db.session import AsyncSession
from bot.domain.follow import AnswerProblem, Closed, CloseProblem
from bot.domain.replies import Intent
from bot.domain.status import ChangeKind, ChangeSource, Status
from bot.render import confirm as confirm_texts
from bot.services import status as svc
from bot.services.chats import Scope

NOTE_DONE = confirm_texts.CONFIRMED_DONE_NOTE
NOTE_NOT_DONE = confirm_texts.CONFIRMED_NOT_DONE_NOTE


class Choice(StrEnum):
    ALL_DONE = "all_done"
    NOT_DONE = "not_done"
    ONE_DONE = "one_done"


@dataclass
class Answered:
    listed: bool = True  # the message lists items (False: not a reminder of this chat)
    done: int = 0
    not_done: int = 0
    refused: list[str] = field(default_factory=list)
    remaining: list[tuple[int, int]] = field(default_factory=list)  # (number, id) still unknown
    change_ids: list[int] = field(default_factory=list)


async def still_unknown(session: AsyncSession, *, tg_chat_id: int, message_id: int) -> list[tuple[int, int]] | None:
    """(number, due item id) of a message's items still of unknown status; None: not a
    message that numbers items."""
    listed = await svc.context_items(session, tg_chat_id=tg_chat_id, message_id=message_id)
    if listed is None:
        return None
    items = await plans_repo.due_items_by_ids(session, ids=[i.due_item_id for i in listed])
    return [
        (i.number, i.due_item_id)
        for i in listed
        if (item := items.get(i.due_item_id)) is not None and item.status is Status.UNKNOWN and not item.cancelled
    ]


async def begin(session: AsyncSession) -> None:
    """First statement of an answer's transaction: SQLite's write lock first."""
    await begin_write(session)


async def may_answer(session: AsyncSession, env: svc.Env, remaining: Sequence[tuple[int, int]]) -> bool:
    """The lead agency's chat (or an admin of the province) answers for the message's items."""
    if not remaining:
        return True
    first = await plans_repo.get_due_item(session, due_item_id=remaining[0][1])
    return first is not None and await svc.access(session, env, first) is svc.Access.CHANGE


async def answer(
    session: AsyncSession, env: svc.Env, *, message_id: int, choice: Choice, due_item_id: int | None = None
) -> Answered:
    """Apply the agency's answer to the unknown items of one of its reminder messages."""
    targets = await still_unknown(session, tg_chat_id=env.tg_chat_id, message_id=message_id)
    if targets is None:
        return Answered(listed=False)
    if choice is Choice.ONE_DONE:
        targets = [(n, i) for n, i in targets if i == due_item_id]
    result = Answered()
    kind, note = (ChangeKind.NOT_DONE, NOTE_NOT_DONE) if choice is Choice.NOT_DONE else (ChangeKind.DONE, NOTE_DONE)
    told = []  # the agency's mailbox and Zalo hear of the whole answer in one notice
    for number, item_id in targets:
        outcome = await svc.apply(
            session, env, due_item_id=item_id, intent=Intent(kind, note=note), number=number, notify=False
        )
        if outcome.recorded is not None and outcome.change_id is not None:
            told.append((outcome.recorded, outcome.change_id))
            result.change_ids.append(outcome.change_id)
            if kind is ChangeKind.DONE:
                result.done += 1
            else:
                result.not_done += 1
        else:
            result.refused.append(outcome.refused or "")
    await svc.tell_other_channels(session, env, told)
    result.remaining = await still_unknown(session, tg_chat_id=env.tg_chat_id, message_id=message_id) or []
    return result


@dataclass
class Pressed:
    """What a press on the section's buttons did: refused (`problem`), or the items still
    unknown and, for an answer (not a mere pick/back), what it changed."""

    problem: AnswerProblem | None = None
    remaining: list[tuple[int, int]] = field(default_factory=list)
    answered: Answered | None = None


async def press(
    session: AsyncSession, env: svc.Env, *, choice: Choice | None, due_item_id: int | None = None
) -> Pressed:
    """A press on the "chưa cập nhật" buttons of message `env.message_id`: `choice` None only
    shows other buttons (pick, back). Checks that the message lists unknown items of this chat
    and that the chat may answer for them, then applies the answer."""
    assert env.message_id is not None
    remaining = await still_unknown(session, tg_chat_id=env.tg_chat_id, message_id=env.message_id)
    if remaining is None:
        return Pressed(problem=AnswerProblem.BAD_BUTTON)
    if not await may_answer(session, env, remaining):
        return Pressed(problem=AnswerProblem.NOT_ALLOWED)
    if choice is None:
        return Pressed(remaining=remaining)
    result = await answer(session, env, message_id=env.message_id, choice=choice, due_item_id=due_item_id)
    return Pressed(remaining=result.remaining, answered=result)


# --- an admin closes unknown items in bulk ----------------------------------------------------


async def close_unknown(
    session: AsyncSession,
    *,
    province: Province,
    plan_number: str | None,
    agency: str | None,
    completed_on: date,
    agency_ids: Sequence[int] | None = None,
    actor_name: str,
    actor_tg_id: int | None,
    now: datetime,
    today: date,
    source: ChangeSource = ChangeSource.ADMIN,
) -> Closed:
    """Mark done, completed on `completed_on`, every unknown item of the plan (and agency)
    due before the plan's follow-from day: on time where `completed_on` ≤ the due date,
    late otherwise. Each item gets its history row (who, when, the date given)."""
    if completed_on > today:
        return Closed(problem=CloseProblem.FUTURE, completed_on=completed_on)
    plan: Plan | None = None
    if plan_number:
        plan = await plans_repo.get_plan_by_number(session, province=province, number=plan_number.strip())
        if plan is None:
            return Closed(problem=CloseProblem.NO_PLAN, plan_number=plan_number)
    names: list[str] = []
    if agency_ids is None and agency:
        found: Sequence[Agency] = await agencies_repo.find_agencies(
            session, province=province, query=agency, include_predecessors=False
        )
        if not found:
            return Closed(problem=CloseProblem.NO_AGENCY)
        exact = [a for a in found if a.code.casefold() == agency.strip().casefold()]
        if len(found) > 1 and len(exact) != 1:
            return Closed(problem=CloseProblem.SEVERAL_AGENCIES, agency_names=[a.name for a in found])
        chosen = exact[0] if exact else found[0]
        # The agencies merged into it: their items are its work now.
        family = await agencies_repo.find_agencies(session, province=province, query=chosen.code)
        agency_ids, names = sorted({chosen.id, *(a.id for a in family)}), [chosen.name]
    elif agency_ids is not None:
        first = await agencies_repo.get_agency(session, agency_id=agency_ids[0]) if agency_ids else None
        names = [first.name] if first is not None else []
    items = await unknown_items.unknown_items(
        session, province_ids=[province.id], plan_id=plan.id if plan else None, agency_ids=agency_ids, lock=True
    )
    result = Closed(plan_number=plan.number if plan else None, agency_names=names, completed_on=completed_on)
    note = confirm_texts.admin_closed_note(completed_on)
    for item in items:
        await status_changes_repo.change_status(
            session, item=item, status=Status.DONE, source=source, now=now, today=completed_on,
            actor_name=actor_name, actor_tg_id=actor_tg_id, note=note,
        )
        if completed_on <= item.due_on:
            result.on_time += 1
        else:
            result.late += 1
    return result


async def close_for_admin(
    session: AsyncSession,
    *,
    scope: Scope,
    agency: str | None,
    completed_on: date,
    actor_name: str,
    actor_tg_id: int,
    now: datetime,
    today: date,
) -> list[Closed] | None:
    """/dongcu: close the unknown items (of the agency named, or in an agency's chat without
    a name that agency's and those merged into it) in each province the admin administers;
    None when the user administers none."""
    if not scope.admin_of:
        return None
    agency_ids = list(scope.agency_ids) if agency is None and scope.agency_ids else None
    return [
        await close_unknown(
            session, province=province, plan_number=None, agency=agency, agency_ids=agency_ids,
            completed_on=completed_on, actor_name=actor_name, actor_tg_id=actor_tg_id,
            now=now, today=today, source=ChangeSource.COMMAND,
        )
        for province in scope.provinces
        if province.id in scope.admin_of
    ]
