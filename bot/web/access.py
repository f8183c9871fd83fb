"""Who may see what in the console: the bot's own rules, applied to a person.

- installation and province admins: from the settings (`Admins`), their provinces only;
- leaders: members of a province's bound leaders' chat read that province;
- focal points: members of an agency's bound chat (group or private) read that agency's
  items (and those of the agencies merged into it), as in the group.
Membership is asked of Telegram (getChatMember) at sign-in, like the bot's guard does for
a change from a group; the grants live on the session, which expires.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.config import Settings
from bot.db import agencies as agencies_repo
from bot.db.models import WebSession
from bot.db.session import AsyncSession
from bot.db.web_queries import active_chats
from bot.domain.kinds import ChatRole
from bot.services.chats import configured_provinces

log = logging.getLogger("nhacviec.web")
MEMBER = {"creator", "administrator", "member", "owner"}


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    csrf: str
    admin: frozenset[int]  # province ids
    leader: frozenset[int]  # province ids
    agencies: dict[int, frozenset[int]]  # province id → agency ids (with merged ones)

    @classmethod
    def of(cls, row: WebSession) -> Viewer:
        grants = row.grants or {}
        return cls(
            user_id=row.tg_user_id, name=row.user_name or str(row.tg_user_id), csrf=row.csrf,
            admin=frozenset(grants.get("admin", ())), leader=frozenset(grants.get("leader", ())),
            agencies={int(p): frozenset(ids) for p, ids in (grants.get("agency") or {}).items()},
        )

    @property
    def province_ids(self) -> frozenset[int]:
        return self.admin | self.leader | frozenset(self.agencies)

    def sees_all_of(self, province_id: int) -> bool:
        return province_id in self.admin or province_id in self.leader

    def agency_ids(self, province_id: int) -> frozenset[int] | None:
        """None: the whole province; otherwise only these agencies' items."""
        if self.sees_all_of(province_id):
            return None
        return self.agencies.get(province_id, frozenset())

    def edits(self, province_id: int) -> bool:
        return province_id in self.admin

    @property
    def is_stranger(self) -> bool:
        return not self.province_ids


async def _is_member(bot: Bot, tg_chat_id: int, user_id: int) -> bool:
    if tg_chat_id == user_id:  # a focal point's own private chat
        return True
    try:
        member = await bot.get_chat_member(tg_chat_id, user_id)
    except TelegramError as exc:
        log.info("getChatMember %s/%s: %s", tg_chat_id, user_id, exc)
        return False
    return member.status in MEMBER or bool(getattr(member, "is_member", False))


async def resolve_grants(session: AsyncSession, *, bot: Bot, settings: Settings, user_id: int) -> dict[str, Any]:
    admins = settings.admins
    provinces = await configured_provinces(session, settings=settings)
    admin = sorted(p.id for p in provinces if admins.administers(user_id, p.slug))
    leader: set[int] = set()
    agency: dict[int, set[int]] = {}
    chats = [c for c in await active_chats(session, province_ids=[p.id for p in provinces]) if c.province_id not in admin]
    members = await asyncio.gather(*(_is_member(bot, c.tg_chat_id, user_id) for c in chats))
    for chat, member in zip(chats, members, strict=True):
        if not member:
            continue
        if chat.role is ChatRole.LEADERS:
            leader.add(chat.province_id)
        elif chat.agency_id is not None:
            family = await agencies_repo.agency_family_ids(session, agency_ids=[chat.agency_id])
            agency.setdefault(chat.province_id, set()).update(family)
    return {
        "admin": admin,
        "leader": sorted(leader),
        "agency": {str(p): sorted(ids) for p, ids in agency.items() if p not in leader},
    }
