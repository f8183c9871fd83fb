"""Admins set the e-mail addresses of agencies and leaders (the /email command, the CLI,
later the console): one use case each, validated, scoped to the provinces the admin
administers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.db import agencies as agencies_repo
from bot.db import recipients as repo_recipients
from bot.db.models import Agency, Province, Recipient
from bot.db.session import AsyncSession
from bot.domain.addresses import EmailProblem, InvalidAddress, normalize_email
from bot.domain.channels import Channel
from bot.domain.kinds import ChatRole


@dataclass
class EmailResult:
    """What setting an address did; `problem` (a reason, with `detail`) when nothing was done."""

    address: str | None = None
    agency_name: str | None = None
    always: bool = False  # an agency's mailbox: reminders even while the agency has a Telegram group
    person_name: str | None = None
    created: bool = False
    moved: bool = False  # the address belonged to another agency or leader before
    moved_from: str | None = None  # that agency's or leader's name (None: an unnamed leader)
    problem: EmailProblem | None = None
    detail: str = ""  # what the problem is about (the address, the query)
    candidates: list[str] = field(default_factory=list)  # agency names when the query is ambiguous


async def _provinces(session: AsyncSession, province_ids: Iterable[int]) -> list[Province]:
    wanted = set(province_ids)
    return [p for p in await agencies_repo.list_provinces(session) if p.id in wanted]


async def find_agency(session: AsyncSession, *, province_ids: Iterable[int], query: str) -> tuple[Agency | None, list[str]]:
    """One agency of the admin's provinces matching `query` (code or name), else the
    candidates' names (none, or several)."""
    found: list[Agency] = []
    for province in await _provinces(session, province_ids):
        found += [a for a in await agencies_repo.find_agencies(session, province=province, query=query, include_predecessors=False) if a.active]
    exact = [a for a in found if a.code.upper() == query.strip().upper() or a.name.casefold() == query.strip().casefold()]
    if len(exact) == 1:
        return exact[0], []
    if len(found) == 1:
        return found[0], []
    return None, sorted(a.name for a in found)


async def _owner(session: AsyncSession, row: Recipient) -> str | None:
    """The name of the agency or leader an active address belongs to (None: an unnamed leader)."""
    if row.agency_id is not None:
        agency = await agencies_repo.get_agency(session, agency_id=row.agency_id)
        return agency.name if agency is not None else None
    return row.person_name


async def set_agency_email(
    session: AsyncSession, *, province_ids: Iterable[int], agency_query: str, address: str,
    actor_tg_id: int | None, now: datetime, always: bool = False,
) -> EmailResult:
    """The agency's mailbox: it receives the agency's reminders while the agency has no
    reachable Telegram group, or always (`always`: the agency chose e-mail as well); the
    notices of its changes and decisions in any case. Setting it again sets the choice."""
    try:
        normal = normalize_email(address)
    except InvalidAddress as exc:
        return EmailResult(problem=EmailProblem.INVALID, detail=f"{address} ({exc})")
    agency, candidates = await find_agency(session, province_ids=province_ids, query=agency_query)
    if agency is None:
        problem = EmailProblem.AMBIGUOUS if candidates else EmailProblem.NOT_FOUND
        return EmailResult(problem=problem, detail=agency_query, candidates=candidates)
    before = await repo_recipients.get(session, channel=Channel.EMAIL, address=normal)
    moved = before is not None and before.active and before.agency_id != agency.id
    moved_from = await _owner(session, before) if moved and before is not None else None
    row, created = await repo_recipients.upsert(
        session, province_id=agency.province_id, channel=Channel.EMAIL, address=normal, role=ChatRole.AGENCY,
        agency_id=agency.id, person_name=None, actor_tg_id=actor_tg_id, now=now, always_remind=always,
    )
    return EmailResult(
        address=row.address, agency_name=agency.name, created=created, moved=moved,
        moved_from=moved_from, always=row.always_remind
    )


async def set_leader_email(
    session: AsyncSession, *, province_ids: Iterable[int], address: str, name: str | None,
    actor_tg_id: int | None, now: datetime,
) -> EmailResult:
    """A leader receives the weekly digest and the monthly report (and escalations) by e-mail."""
    try:
        normal = normalize_email(address)
    except InvalidAddress as exc:
        return EmailResult(problem=EmailProblem.INVALID, detail=f"{address} ({exc})")
    provinces = await _provinces(session, province_ids)
    if len(provinces) != 1:
        return EmailResult(problem=EmailProblem.MANY_PROVINCES if provinces else EmailProblem.NO_PROVINCE)
    row, created = await repo_recipients.upsert(
        session, province_id=provinces[0].id, channel=Channel.EMAIL, address=normal, role=ChatRole.LEADERS,
        agency_id=None, person_name=(name or "").strip() or None, actor_tg_id=actor_tg_id, now=now,
    )
    return EmailResult(address=row.address, person_name=row.person_name, created=created)


async def remove_email(session: AsyncSession, *, province_ids: Iterable[int], address: str) -> EmailResult:
    try:
        normal = normalize_email(address)
    except InvalidAddress as exc:
        return EmailResult(problem=EmailProblem.INVALID, detail=f"{address} ({exc})")
    row = await repo_recipients.get(session, channel=Channel.EMAIL, address=normal)
    if row is None or row.province_id not in set(province_ids) or not row.active:
        return EmailResult(problem=EmailProblem.NOT_IN_USE, detail=normal)
    await repo_recipients.remove(session, channel=Channel.EMAIL, address=normal)
    return EmailResult(address=normal)


@dataclass(frozen=True)
class EmailLine:
    address: str
    agency_name: str | None  # None: a leader
    person_name: str | None
    active: bool
    unreachable_reason: str | None
    always: bool = False


async def list_emails(session: AsyncSession, *, province_ids: Iterable[int]) -> list[EmailLine]:
    return [
        EmailLine(r.address, agency, r.person_name, r.active, r.unreachable_reason, r.always_remind)
        for r, agency in await repo_recipients.listing(session, province_ids=province_ids)
        if r.channel is Channel.EMAIL
    ]


# --- one entry for the /email command's forms ------------------------------------------------


class EmailAction(StrEnum):
    LIST = "list"
    REMOVE = "remove"
    LEADER = "leader"
    AGENCY = "agency"


@dataclass(frozen=True)
class EmailCommand:
    """What /email asked (parsed by the surface): list, remove `address`, set a leader's
    `address` (with `name`), or set the address of the agency `agency_query` (`always`)."""

    action: EmailAction
    address: str = ""
    name: str | None = None
    agency_query: str = ""
    always: bool = False


async def email_command(
    session: AsyncSession, command: EmailCommand, *, province_ids: Iterable[int], actor_tg_id: int | None, now: datetime
) -> EmailResult | list[EmailLine]:
    """Run one form of /email in the provinces the admin administers: the listing, or what
    setting/removing did."""
    if command.action is EmailAction.LIST:
        return await list_emails(session, province_ids=province_ids)
    if command.action is EmailAction.REMOVE:
        return await remove_email(session, province_ids=province_ids, address=command.address)
    if command.action is EmailAction.LEADER:
        return await set_leader_email(
            session, province_ids=province_ids, address=command.address, name=command.name,
            actor_tg_id=actor_tg_id, now=now,
        )
    return await set_agency_email(
        session, province_ids=province_ids, agency_query=command.agency_query, address=command.address,
        actor_tg_id=actor_tg_id, now=now, always=command.always,
    )
