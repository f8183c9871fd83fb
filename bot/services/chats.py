"""Who may see what, and binding chats to agencies or the leaders.

A chat's scope decides every answer: an agency chat sees its agency (and the
agencies merged into it), the leaders' chat and an admin's private chat see the
whole province, everyone else sees nothing. Scope comes from the chat (what its
members can read), never from who typed the command — except that a private
chat is an admin's province-wide view only when its user is an admin.

Binding: an admin binds directly (/dangky, /lanhdao, /moi links); anybody else
files a request that an admin approves or rejects. Agencies come from the
directory (catalog) and must exist in the database: `sync_directory` puts them
there at start-up.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.catalog import Catalog
from bot.config import Settings
from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import flows as flows_repo
from bot.db.models import Agency, BindRequest, Chat, Province
from bot.db.session import AsyncSession
from bot.domain.admins import Admins
from bot.domain.kinds import BindDecision, ChatRole, FlowState, LeadersRefusal
from bot.domain.text import fold
from bot.logs import log_event

INVITE_DAYS = 7
log = logging.getLogger("nhacviec.chats")


class ScopeKind(StrEnum):
    NONE = "none"  # a stranger's private chat or an unbound group: no data
    AGENCY = "agency"
    LEADERS = "leaders"
    ADMIN = "admin"  # an admin's private chat


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    provinces: tuple[Province, ...]  # ADMIN/LEADERS: what they see; otherwise for lookups
    is_admin: bool  # the user who sent the update administers this chat's province(s)
    is_private: bool
    chat: Chat | None = None
    agency: Agency | None = None
    agency_ids: tuple[int, ...] = ()  # the agency and every agency merged into it
    admin_of: frozenset[int] = frozenset()  # ids of the served provinces the user administers

    @property
    def province_wide(self) -> bool:
        return self.kind in (ScopeKind.LEADERS, ScopeKind.ADMIN)

    @property
    def province_ids(self) -> list[int]:
        return [p.id for p in self.provinces]


async def configured_provinces(session: AsyncSession, *, settings: Settings) -> list[Province]:
    """Settings.province for a single-province install; otherwise every province in the DB."""
    if settings.province:
        province = await agencies_repo.get_province(session, slug=settings.province)
        return [province] if province is not None else []
    return await agencies_repo.list_provinces(session)


async def sync_directory(session: AsyncSession, *, settings: Settings, catalog: Catalog) -> list[str]:
    """Upsert the directory agencies of the configured province(s); returns their slugs.

    Without PROVINCE, the provinces already in the database (from imported plans) are
    refreshed; with none, nothing is done (binding then asks for a plan first).
    """
    if settings.province:
        slugs = [settings.province]
    else:
        slugs = [p.slug for p in await agencies_repo.list_provinces(session)]
    for slug in slugs:
        directory = catalog.directory(slug)
        province = await agencies_repo.get_or_create_province(
            session,
            slug=directory.province.slug,
            name=directory.province.name,
            timezone=directory.province.timezone or settings.timezone,
        )
        await agencies_repo.sync_agencies(session, province=province, directory_agencies=catalog.recipients(slug))
    return slugs


async def resolve_scope(
    session: AsyncSession,
    *,
    settings: Settings,
    tg_chat_id: int,
    is_private: bool,
    user_id: int | None,
) -> Scope:
    """The chat's scope, and whether the user administers it.

    A province admin's private chat (and an unbound group they type in) covers only the
    provinces they administer; in a bound chat they count as admin only for its province.
    """
    admins = settings.admins
    is_any_admin = user_id is not None and user_id in admins
    # Only an admin needs the served provinces before the chat (a focal point's update in
    # a bound chat, the common case, costs no extra query).
    served = await configured_provinces(session, settings=settings) if is_any_admin else []
    admin_of = frozenset(p.id for p in served if admins.administers(user_id, p.slug))
    mine = tuple(p for p in served if p.id in admin_of)
    if is_private and is_any_admin:
        return Scope(ScopeKind.ADMIN, mine, True, True, admin_of=admin_of)
    chat = await chats_repo.get_chat(session, tg_chat_id=tg_chat_id)
    if chat is not None and chat.active:
        province = await agencies_repo.get_province_by_id(session, province_id=chat.province_id)
        assert province is not None
        here = admins.administers(user_id, province.slug)
        if chat.role is ChatRole.LEADERS:
            return Scope(ScopeKind.LEADERS, (province,), here, is_private, chat, admin_of=admin_of)
        if chat.agency_id is not None:
            agency = await agencies_repo.get_agency(session, agency_id=chat.agency_id)
            family = await agencies_repo.agency_family_ids(session, agency_ids=[chat.agency_id])
            return Scope(
                ScopeKind.AGENCY, (province,), here, is_private, chat, agency, tuple(family), admin_of=admin_of
            )
    provinces = mine if is_any_admin else tuple(await configured_provinces(session, settings=settings))
    return Scope(ScopeKind.NONE, provinces, is_any_admin, is_private, chat, admin_of=admin_of)


# --- finding an agency by what people type ---------------------------------------------


@dataclass(frozen=True)
class AgencyOption:
    agency_id: int
    label: str  # the agency's name, with the province when several are served


@dataclass(frozen=True)
class AgencyLookup:
    """found: one agency; options: ambiguous, let the user choose; suggestions: nothing
    matched, these are the closest names; all empty: nothing even close."""

    found: AgencyOption | None = None
    options: tuple[AgencyOption, ...] = ()
    suggestions: tuple[AgencyOption, ...] = field(default=())


EXACT_SEARCH = 0.99  # a search score that means every word of the name was typed
SEARCH_MARGIN = 0.3  # …and no other name comes close


async def find_agency(
    session: AsyncSession, *, catalog: Catalog, provinces: Sequence[Province], query: str
) -> AgencyLookup:
    """Accent-insensitive lookup of an agency name or abbreviation in the provinces.

    A merged-away agency is offered as its successor (binding "Sở TT&TT" binds Sở KH&CN,
    whose chat sees the old department's tasks too).
    """
    exact: list[tuple[Province, str]] = []
    options: list[tuple[Province, str]] = []
    suggestions: list[tuple[Province, str]] = []
    for province in provinces:
        directory = catalog.directory(province.slug)
        found = directory.match(query)
        if found.confident and found.agency is not None:
            exact.append((province, directory.current(found.agency.code).code))
        elif found.confident and found.group is not None and found.group.collective:
            exact.append((province, found.group.code))
        elif found.candidates:
            for candidate in found.candidates:
                options.append((province, directory.current(candidate.code).code))
        else:
            # Communes are not in the plan-matching index: a commune named in full
            # ("UBND phường Hoàn Kiếm") is found by search, and binds as an exact name.
            hits = directory.search(query, 5)
            if hits and hits[0][0].kind == "commune" and hits[0][1] >= EXACT_SEARCH and (
                len(hits) == 1 or hits[1][1] < hits[0][1] - SEARCH_MARGIN
            ):
                exact.append((province, hits[0][0].code))
                continue
            for agency, _score in hits:
                suggestions.append((province, agency.code))

    several = len(provinces) > 1

    async def rows(pairs: list[tuple[Province, str]]) -> tuple[AgencyOption, ...]:
        out: dict[int, AgencyOption] = {}
        for province, code in pairs:
            agency = await agencies_repo.get_agency_by_code(session, province_id=province.id, code=code)
            if agency is not None and agency.id not in out:
                label = f"{agency.name} ({province.name})" if several else agency.name
                out[agency.id] = AgencyOption(agency.id, label)
        return tuple(out.values())

    exact_rows = await rows(exact)
    if len(exact_rows) == 1:
        return AgencyLookup(found=exact_rows[0])
    if exact_rows:
        return AgencyLookup(options=exact_rows)
    option_rows = await rows(options)
    if option_rows:
        return AgencyLookup(options=option_rows)
    return AgencyLookup(suggestions=await rows(suggestions))


async def agency_in_provinces(
    session: AsyncSession, *, agency_id: int, provinces: Sequence[Province]
) -> Agency | None:
    """The agency if it belongs to one of the provinces and still exists (callback ids are
    user input: never trust them to name an agency)."""
    agency = await agencies_repo.get_agency(session, agency_id=agency_id)
    if agency is None or not agency.active or agency.province_id not in {p.id for p in provinces}:
        return None
    return agency


# --- binding ---------------------------------------------------------------------------


async def bind_agency(
    session: AsyncSession,
    *,
    agency: Agency,
    tg_chat_id: int,
    title: str | None,
    by_tg_id: int | None,
    now: datetime,
) -> Chat:
    province = await agencies_repo.get_province_by_id(session, province_id=agency.province_id)
    assert province is not None
    chat = await chats_repo.bind_chat(
        session,
        province=province,
        tg_chat_id=tg_chat_id,
        role=ChatRole.AGENCY,
        now=now,
        agency=agency,
        title=title,
        bound_by_tg_id=by_tg_id,
    )
    # The chat's open requests are answered by this binding.
    for request in await _pending_requests(session, tg_chat_id=tg_chat_id):
        await flows_repo.decide_flow(
            session, model=BindRequest, row_id=request.id, state=FlowState.CANCELLED, now=now
        )
    log_event(log, "chat.bound", f"Nhóm {tg_chat_id} được đăng ký cho {agency.name}", **_fields(chat, by_tg_id))
    return chat


def _fields(chat: Chat, user_id: int | None = None) -> dict[str, Any]:
    """The structured fields of a binding's log event."""
    return {
        "chat_id": chat.tg_chat_id, "agency_id": chat.agency_id, "province_id": chat.province_id,
        "role": chat.role, "user_id": user_id,
    }


async def _pending_requests(session: AsyncSession, *, tg_chat_id: int) -> list[BindRequest]:
    return await chats_repo.pending_bind_requests(session, tg_chat_id=tg_chat_id)


async def bind_leaders(
    session: AsyncSession,
    *,
    province: Province,
    tg_chat_id: int,
    title: str | None,
    by_tg_id: int,
    now: datetime,
) -> Chat:
    chat = await chats_repo.bind_chat(
        session,
        province=province,
        tg_chat_id=tg_chat_id,
        role=ChatRole.LEADERS,
        now=now,
        title=title,
        bound_by_tg_id=by_tg_id,
    )
    log_event(log, "chat.bound", f"Nhóm {tg_chat_id} là nhóm lãnh đạo tỉnh {province.name}", **_fields(chat, by_tg_id))
    return chat


@dataclass(frozen=True)
class LeadersOutcome:
    refusal: LeadersRefusal | None = None
    province_name: str = ""  # the province whose leaders' chat the group is now
    slugs: tuple[str, ...] = ()  # the provinces served (to name one: WHICH_PROVINCE)


async def make_leaders_chat(
    session: AsyncSession, *, scope: Scope, wanted: str, tg_chat_id: int, title: str | None, by_tg_id: int, now: datetime,
) -> LeadersOutcome:
    """/lanhdao [tỉnh]: an admin of the group's province makes it the leaders' chat of the one
    province served, or of the one named (`wanted`, by slug or name, accents ignored)."""
    key = fold(wanted)
    provinces = [p for p in scope.provinces if not key or key in (p.slug, fold(p.name))]
    if not scope.is_admin:
        return LeadersOutcome(LeadersRefusal.NOT_ADMIN)
    if not scope.provinces:
        return LeadersOutcome(LeadersRefusal.NO_PROVINCE)
    if len(provinces) != 1:
        return LeadersOutcome(LeadersRefusal.WHICH_PROVINCE, slugs=tuple(p.slug for p in scope.provinces))
    await bind_leaders(session, province=provinces[0], tg_chat_id=tg_chat_id, title=title, by_tg_id=by_tg_id, now=now)
    return LeadersOutcome(province_name=provinces[0].name)


async def unbind(session: AsyncSession, *, tg_chat_id: int) -> Chat | None:
    """Deactivate the chat's binding; None if it was not bound."""
    chat = await chats_repo.get_chat(session, tg_chat_id=tg_chat_id)
    if chat is None or not chat.active:
        return None
    log_event(log, "chat.unbound", f"Nhóm {tg_chat_id} đã huỷ đăng ký", **_fields(chat))
    return await chats_repo.deactivate_chat(session, tg_chat_id=tg_chat_id)


async def request_binding(
    session: AsyncSession,
    *,
    agency: Agency,
    tg_chat_id: int,
    title: str | None,
    user_id: int,
    user_name: str | None,
    now: datetime,
) -> tuple[BindRequest, bool]:
    return await chats_repo.add_bind_request(
        session,
        province_id=agency.province_id,
        agency_id=agency.id,
        tg_chat_id=tg_chat_id,
        chat_title=title,
        requested_by_tg_id=user_id,
        requested_by_name=user_name,
        now=now,
    )


@dataclass(frozen=True)
class DecidedRequest:
    decision: BindDecision
    agency_name: str = ""
    group_id: int | None = None  # the group that asked (to be told), None when no such request


async def decide_request(
    session: AsyncSession,
    *,
    request_id: int,
    approve: bool,
    admin_id: int,
    now: datetime,
    province_ids: Iterable[int],
) -> DecidedRequest:
    """An admin's answer to a binding request; a repeated press is STALE and changes nothing,
    an admin of another province is FORBIDDEN, approving an agency merged away meanwhile is
    recorded as a refusal (MERGED: the group must ask again for the successor)."""
    request = await chats_repo.get_bind_request(session, request_id=request_id)
    if request is None:
        return DecidedRequest(BindDecision.STALE)
    if request.agency.province_id not in set(province_ids):
        return DecidedRequest(BindDecision.FORBIDDEN)
    merged = approve and not request.agency.active
    bind = approve and not merged
    if not await flows_repo.decide_flow(
        session, model=BindRequest, row_id=request.id,
        state=FlowState.DONE if bind else FlowState.CANCELLED, now=now, decided_by_tg_id=admin_id,
    ):
        return DecidedRequest(BindDecision.STALE)
    decided = DecidedRequest(
        BindDecision.APPROVED if bind else BindDecision.MERGED if merged else BindDecision.REJECTED,
        request.agency.name, request.tg_chat_id,
    )
    if bind:
        await bind_agency(
            session, agency=request.agency, tg_chat_id=request.tg_chat_id, title=request.chat_title,
            by_tg_id=admin_id, now=now,
        )
    return decided


async def create_invite(session: AsyncSession, *, agency: Agency, admin_id: int, now: datetime) -> str:
    """A one-time deep-link token (Telegram allows [A-Za-z0-9_-], up to 64 characters)."""
    token = secrets.token_urlsafe(18)  # 24 characters, 144 bits
    await chats_repo.add_invite(
        session,
        token=token,
        agency_id=agency.id,
        created_by_tg_id=admin_id,
        now=now,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )
    return token


async def use_invite(
    session: AsyncSession, *, token: str, tg_chat_id: int, title: str | None, now: datetime
) -> Agency | None:
    """Bind the group a /moi link was used in; returns the agency, None if the link is
    unknown, used or expired."""
    invite = await chats_repo.use_invite(session, token=token, tg_chat_id=tg_chat_id, now=now)
    if invite is None or not invite.agency.active:
        return None
    await bind_agency(
        session,
        agency=invite.agency,
        tg_chat_id=tg_chat_id,
        title=title,
        by_tg_id=invite.created_by_tg_id,
        now=now,
    )
    return invite.agency


async def migrate(session: AsyncSession, *, old_tg_chat_id: int, new_tg_chat_id: int) -> Chat | None:
    return await chats_repo.move_chat(session, old_tg_chat_id=old_tg_chat_id, new_tg_chat_id=new_tg_chat_id)


async def bot_removed(
    session: AsyncSession, *, tg_chat_id: int, now: datetime, today: date, admins: Admins
) -> None:
    """The bot was removed from a group: the chat becomes unreachable (rebinding revives
    it), its waiting reminders fail with the reason, and admins are told once — the same
    path the sender takes when Telegram answers 403."""
    from bot.services.outbox import chat_unreachable

    chat = await chats_repo.get_chat(session, tg_chat_id=tg_chat_id)
    if chat is None:
        return
    await chat_unreachable(
        session,
        chat_id=chat.id,
        error="Forbidden: bot was kicked from the group chat",
        on_date=today,
        now=now,
        admins=admins,
    )


# --- a group chooses its agency -----------------------------------------------------------------


class BindKind(StrEnum):
    BAD = "bad"  # not an agency of the chat's provinces (a stale or forged button)
    BOUND = "bound"  # the group is the agency's now (or was already)
    REQUESTED = "requested"  # not an admin: a request waits for the province's admins


@dataclass(frozen=True)
class BindOutcome:
    kind: BindKind
    agency_name: str = ""
    request_id: int | None = None  # set when the province's admins are to be asked (a new request)
    province_slug: str | None = None


async def choose_agency(
    session: AsyncSession, *, scope: Scope, agency_id: int, tg_chat_id: int, title: str | None,
    user_id: int, user_name: str, now: datetime,
) -> BindOutcome:
    """A group names its agency: an admin binds it at once, anyone else asks the province's
    admins (once: asking again does not ping them again)."""
    agency = await agency_in_provinces(session, agency_id=agency_id, provinces=scope.provinces)
    if agency is None:
        return BindOutcome(BindKind.BAD)
    if scope.agency is not None and scope.agency.id == agency.id:
        return BindOutcome(BindKind.BOUND, agency.name)  # already so: nothing to do
    if scope.is_admin:
        await bind_agency(session, agency=agency, tg_chat_id=tg_chat_id, title=title, by_tg_id=user_id, now=now)
        return BindOutcome(BindKind.BOUND, agency.name)
    request, created = await request_binding(
        session, agency=agency, tg_chat_id=tg_chat_id, title=title, user_id=user_id, user_name=user_name, now=now,
    )
    if not created:
        return BindOutcome(BindKind.REQUESTED, agency.name)
    slug = next(p.slug for p in scope.provinces if p.id == agency.province_id)
    return BindOutcome(BindKind.REQUESTED, agency.name, request.id, slug)
