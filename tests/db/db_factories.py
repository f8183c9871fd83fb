"""Hand-built plan drafts and directory agencies (independent of the real parser)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.agencies import get_or_create_province
from bot.db.models import Province
from bot.domain.deadlines import DeadlineKind, DeadlineRule, Every
from bot.domain.imports import ImportReport
from bot.domain.plans.draft import PlanDraft, PlanMeta, ReviewReason, TaskDraft
from bot.services.importing import import_plan

PERIOD = (2021, 2025)


@dataclass(frozen=True)
class DirAgency:
    """Shaped like bot.domain.agencies.Agency."""

    code: str
    name: str
    kind: str = "so"
    aliases: tuple[str, ...] = ()
    successor: str | None = None


DIRECTORY: dict[str, DirAgency] = {
    a.code: a
    for a in (
        DirAgency("STP", "Sở Tư pháp", aliases=("Tư pháp",)),
        DirAgency("SNV", "Sở Nội vụ"),
        DirAgency("STC", "Sở Tài chính"),
        DirAgency("SKHCN", "Sở Khoa học và Công nghệ"),
        DirAgency("STTTT", "Sở Thông tin và Truyền thông", aliases=("Sở TT&TT",), successor="SKHCN"),
        DirAgency("VPUB", "Văn phòng UBND tỉnh", kind="vp", aliases=("Văn phòng Ủy ban nhân dân tỉnh",)),
    )
}


def once(on: date, text: str | None = None) -> DeadlineRule:
    return DeadlineRule(
        text=text or f"Hoàn thành trước ngày {on:%d/%m/%Y}", kind=DeadlineKind.ONCE, on=on
    )


def yearly(month: int, day: int, text: str | None = None) -> DeadlineRule:
    return DeadlineRule(
        text=text or f"Trước ngày {day:02d}/{month:02d} hằng năm",
        kind=DeadlineKind.RECURRING,
        every=Every.YEAR,
        month=month,
        day=day,
    )


def event(text: str = "Ngay sau khi Chỉ số PCI của tỉnh được công bố") -> DeadlineRule:
    return DeadlineRule(text=text, kind=DeadlineKind.EVENT, event="pci_published")


def task(
    ref: str,
    title: str | None = None,
    *,
    lead: tuple[str, ...] = ("STP",),
    support: tuple[str, ...] = (),
    deadline: DeadlineRule | None = None,
    due: tuple[date, ...] | None = None,
    section: str | None = "I. Cải cách thể chế",
    product: str | None = "Kế hoạch",
    needs_review: tuple[ReviewReason, ...] = (),
    notes: str | None = None,
) -> TaskDraft:
    """A task; `due` defaults to the once-deadline's date (none for other kinds)."""
    deadline = deadline or once(date(2021, 12, 31))
    if due is None:
        due = (deadline.on,) if deadline.kind is DeadlineKind.ONCE and deadline.on else ()
    if deadline.kind is DeadlineKind.EVENT and ReviewReason.EVENT_DEADLINE not in needs_review:
        needs_review = (*needs_review, ReviewReason.EVENT_DEADLINE)
    return TaskDraft(
        ref=ref,
        section=section,
        title=title or f"Nhiệm vụ số {ref}",
        product=product,
        lead_text=", ".join(DIRECTORY[c].name if c in DIRECTORY else c for c in lead) or None,
        support_text=", ".join(DIRECTORY[c].name for c in support if c in DIRECTORY) or None,
        lead=lead,
        support=support,
        deadline=deadline,
        due_dates=due,
        needs_review=needs_review,
        notes=notes,
    )


def yearly_dates(month: int, day: int, first: int = 2022, last: int = 2025) -> tuple[date, ...]:
    return tuple(date(y, month, day) for y in range(first, last + 1))


def plan_draft(
    tasks: tuple[TaskDraft, ...],
    *,
    number: str | None = "1782/KH-UBND",
    sha256: str = "a" * 64,
    source_name: str = "phu-tho-1782-KH-UBND-2021.txt",
    province: str | None = "phu-tho",
    title: str = "Kế hoạch cải cách hành chính giai đoạn 2021-2025",
) -> PlanDraft:
    return PlanDraft(
        meta=PlanMeta(
            number=number,
            title=title,
            issuer="Ủy ban nhân dân tỉnh Phú Thọ",
            issued_on=date(2021, 5, 5),
            signer="Nguyễn Văn A",
            period=PERIOD,
            province=province,
        ),
        tasks=tasks,
        source_name=source_name,
        source_sha256=sha256,
    )


def three_tasks() -> tuple[TaskDraft, ...]:
    """1: once (STP, support SNV); 2: yearly with two leads (SNV, STC); 3: event (VPUB)."""
    return (
        task("1", "Xây dựng Đề án", lead=("STP",), support=("SNV",), deadline=once(date(2021, 6, 30))),
        task(
            "2",
            "Ban hành Kế hoạch CCHC năm",
            lead=("SNV", "STC"),
            deadline=yearly(1, 30, "Trước ngày 30/01 của năm Kế hoạch"),
            due=yearly_dates(1, 30),
        ),
        task("3", "Phân tích Chỉ số PCI", lead=("VPUB",), deadline=event()),
    )


async def seed_province(
    session: AsyncSession, slug: str = "phu-tho", name: str = "Phú Thọ"
) -> Province:
    return await get_or_create_province(session, slug=slug, name=name, timezone="Asia/Ho_Chi_Minh")


async def import_in_tx(
    sm: async_sessionmaker[AsyncSession], draft: PlanDraft, province: str = "phu-tho"
) -> ImportReport:
    """Import in its own transaction, creating the province first, as the CLI does."""
    async with sm() as s, s.begin():
        await seed_province(s, province, province.replace("-", " ").title())
        return await import_plan(s, draft=draft, province_slug=province, agencies=DIRECTORY)
