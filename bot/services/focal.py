"""Focal points (đầu mối): `/daumoi` in an agency's group registers the sender.

    /daumoi         register me as a focal point of this group's agency (several per agency)
    /daumoi rieng   … and send me the agency's reminder in a private chat too
    /daumoi nhom    no more private copy (stay a focal point)
    /daumoi bo      I am no longer a focal point

A focal point is @mentioned (by user id, so no username is needed) in the agency's daily
reminder. The private copy is the person's private chat bound as one more chat of the
agency (ChatRole.AGENCY allows it): the tick sends it the same one message a day, and an
answer there is the agency's answer, like one in the group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import focal_points as repo_focal
from bot.db.models import Chat
from bot.db.session import AsyncSession
from bot.domain.focal import FocalAction as FocalAction  # re-exported: the surfaces parse with them
from bot.domain.focal import FocalOutcome
from bot.domain.focal import parse_action as parse_action
from bot.domain.kinds import ChatRole
from bot.render import focal as focal_texts


@dataclass
class FocalResult:
    outcome: FocalOutcome
    agency_name: str | None = None
    people: list[tuple[int, str]] = field(default_factory=list)  # the agency's focal points now


async def daumoi(
    session: AsyncSession,
    *,
    tg_chat_id: int,
    user_id: int,
    name: str,
    username: str | None,
    action: FocalAction,
    now: datetime,
) -> FocalResult:
    """One /daumoi in a group (the handler checked it is a group and the action is known)."""
    chat = await chats_repo.get_chat(session, tg_chat_id=tg_chat_id)
    if chat is None or not chat.active or chat.role is not ChatRole.AGENCY or chat.agency_id is None:
        return FocalResult(FocalOutcome.NOT_BOUND)
    agency = await agencies_repo.get_agency(session, agency_id=chat.agency_id)
    assert agency is not None
    result = FocalResult(FocalOutcome.REGISTERED, agency.name)
    if action is FocalAction.LEAVE:
        left = await repo_focal.leave(session, agency_id=agency.id, tg_user_id=user_id, now=now)
        if left is None:
            result.outcome = FocalOutcome.NOT_ONE
        else:
            await _private_chat_off(session, agency_id=agency.id, user_id=user_id)
            result.outcome = FocalOutcome.LEFT
    elif action is FocalAction.GROUP_ONLY:
        row = await repo_focal.get(session, agency_id=agency.id, tg_user_id=user_id)
        if row is None or not row.active:
            result.outcome = FocalOutcome.NOT_ONE
        else:
            row.private_copy = False
            row.updated_at = now
            await _private_chat_off(session, agency_id=agency.id, user_id=user_id)
            result.outcome = FocalOutcome.PRIVATE_OFF
    else:
        row, created = await repo_focal.register(
            session, agency_id=agency.id, tg_user_id=user_id, name=name, username=username,
            registered_in=tg_chat_id, now=now,
        )
        result.outcome = FocalOutcome.REGISTERED if created else FocalOutcome.ALREADY
        if action is FocalAction.PRIVATE:
            private = await chats_repo.get_chat(session, tg_chat_id=user_id)
            if private is not None and private.active and private.agency_id not in (None, agency.id):
                result.outcome = FocalOutcome.PRIVATE_TAKEN
            else:
                province = await agencies_repo.get_province_by_id(session, province_id=agency.province_id)
                assert province is not None
                await chats_repo.bind_chat(
                    session, province=province, tg_chat_id=user_id, role=ChatRole.AGENCY, now=now,
                    agency=agency, title=focal_texts.private_chat_title(name)[:255], bound_by_tg_id=user_id,
                )
                row.private_copy = True
                result.outcome = FocalOutcome.PRIVATE_ON
    await session.flush()
    result.people = [(p.tg_user_id, p.name) for p in (await repo_focal.of_agencies(session, [agency.id])).get(agency.id, [])]
    return result


async def _private_chat_off(session: AsyncSession, *, agency_id: int, user_id: int) -> None:
    private: Chat | None = await chats_repo.get_chat(session, tg_chat_id=user_id)
    if private is not None and private.agency_id == agency_id and private.active:
        private.active = False
        await session.flush()


async def mentions_of(session: AsyncSession, agency_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """(user id, name) of each agency's focal points, for the reminders' @mentions."""
    found = await repo_focal.of_agencies(session, agency_ids)
    return {agency: [(p.tg_user_id, p.name) for p in people] for agency, people in found.items()}
