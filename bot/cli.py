"""`nhacviec` command line: the composition root for everything but the bot itself.

Messages are Vietnamese (the operators are the province's reform office); errors are one
line, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table as RichTable

from bot.catalog import Catalog
from bot.config import Settings, SettingsError, load_settings
from bot.domain.plans.document import PlanReadError
from bot.domain.plans.draft import PlanDraft
from bot.domain.plans.export import draft_to_json
from bot.domain.plans.parser import PlanProvinceUnknown
from bot.render import cli_messages as msg
from bot.render.labels import review_label


def _speak_vietnamese() -> None:
    """Typer and Click write the help pages' frame and the usage errors in English; put the
    Vietnamese texts of bot/render/cli_texts.py in their place. Typer 0.29 vendors Click
    (typer._click) without gettext hooks for these strings, hence the small wrappers."""
    from typer import rich_utils
    from typer._click import core as click_core

    from bot.render import cli_texts

    for name, text in cli_texts.RICH_TEXTS.items():
        setattr(rich_utils, name, text)
    english_usage = click_core.Command.get_usage
    english_help_option = click_core.Command.get_help_option
    english_error = rich_utils.rich_format_error

    def get_usage(self: click_core.Command, ctx: click_core.Context) -> str:
        return cli_texts.usage(english_usage(self, ctx))

    def get_help_option(self: click_core.Command, ctx: click_core.Context) -> Any:
        option = english_help_option(self, ctx)
        if option is not None:
            option.help = cli_texts.HELP_OPTION
        return option

    def rich_format_error(error: Any) -> None:
        message = cli_texts.error_message(error.format_message())
        error.format_message = lambda: message
        english_error(error)

    click_core.Command.get_usage = get_usage  # type: ignore[method-assign]
    click_core.Command.get_help_option = get_help_option  # type: ignore[method-assign]
    rich_utils.rich_format_error = rich_format_error  # type: ignore[assignment]


_speak_vietnamese()
app = typer.Typer(
    help=msg.APP_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help=msg.DB_HELP, no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(soft_wrap=True)  # tables keep the width; text lines are not wrapped
err = Console(stderr=True, soft_wrap=True, highlight=False)  # one line per error, however long


class CliError(Exception):
    """An expected failure: printed as one line, exit code 1."""


def _settings() -> Settings:
    return load_settings()


class UsageError(Exception):
    """A bad command-line value: printed as one line, exit code 2."""


def _province_slug(catalog: Catalog, value: str | None) -> str | None:
    """--province as a slug or a name in any spelling → the current unit's slug."""
    from bot.domain.agencies import UnknownProvince
    from bot.render.provinces import unknown_province

    if value is None:
        return None
    try:
        return catalog.province(value).slug
    except UnknownProvince as exc:
        raise UsageError(
            unknown_province(exc.value, [(p.slug, p.full_name) for p in exc.suggestions])
        ) from None


def _read_and_parse(
    path: Path, settings: Settings, catalog: Catalog, province: str | None, force: bool = False
) -> PlanDraft:
    from bot.services.parse_worker import read_and_parse  # time- and memory-limited child

    if not path.is_file():
        raise CliError(msg.file_not_found(path))
    return read_and_parse(
        path.read_bytes(),
        path.name,
        catalog=catalog,
        province=_province_slug(catalog, province) or settings.province,
        max_bytes=settings.max_upload_mb * 1024 * 1024,
        force_province=force,
    )


ProvinceOption = Annotated[
    Optional[str],
    typer.Option(
        "--province",
        help=msg.PROVINCE_HELP,
    ),
]
ForceProvinceOption = Annotated[
    bool,
    typer.Option(
        "--force-province",
        help=msg.FORCE_PROVINCE_HELP,
    ),
]


def _province_hint(exc: Exception) -> str:
    from bot.domain.plans.parser import PlanProvinceMismatch
    from bot.render.provinces import FORCE_HINT_CLI, UNKNOWN_HINT_CLI

    if isinstance(exc, PlanProvinceMismatch):
        return FORCE_HINT_CLI
    return UNKNOWN_HINT_CLI if isinstance(exc, PlanProvinceUnknown) else ""


@app.command("parse")
def parse_command(
    file: Annotated[Path, typer.Argument(help=msg.PARSE_FILE_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help=msg.JSON_HELP)] = False,
    province: ProvinceOption = None,
    force_province: ForceProvinceOption = False,
) -> None:
    """Đọc một kế hoạch và in các nhiệm vụ, không lưu gì."""
    settings = _settings()
    catalog = Catalog(settings.data_dir)
    draft = _read_and_parse(file, settings, catalog, province, force_province)
    names = draft.agency_names(catalog.names(draft.meta.province or ""))
    if as_json:
        sys.stdout.write(json.dumps(draft_to_json(draft, names), ensure_ascii=False, indent=2) + "\n")
        return
    _print_draft(draft, names)


def _print_draft(draft: PlanDraft, names: dict[str, str]) -> None:
    meta = draft.meta
    from bot.render.format import plan_period

    period = plan_period(meta.period)
    issued = meta.issued_on.strftime("%d/%m/%Y") if meta.issued_on else "?"
    console.print(f"[bold]{meta.number or '?'}[/bold] — {meta.title or '?'}")
    console.print(msg.draft_meta_line(issued, meta.signer or "?", period))
    table = RichTable(show_lines=False)
    for column in msg.DRAFT_COLUMNS:
        table.add_column(column, overflow="fold")
    for task in draft.tasks:
        dates = ", ".join(d.strftime("%d/%m/%Y") for d in task.due_dates[:3])
        if len(task.due_dates) > 3:
            dates += f" … (+{len(task.due_dates) - 3})"
        table.add_row(
            task.ref,
            _short(task.title, 70),
            ", ".join(names.get(c, c) for c in task.lead) or "—",
            _short(task.deadline.text, 40) or "—",
            dates or "—",
            ", ".join(review_label(r) for r in task.needs_review),
        )
    console.print(table)
    flagged = sum(1 for t in draft.tasks if t.needs_review)
    console.print(msg.draft_summary(len(draft.tasks), flagged))
    for warning in draft.warnings:
        console.print(f"[yellow]⚠ {warning}[/yellow]")


def _short(text: str | None, limit: int) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help=msg.IMPORT_FILES_HELP)],
    province: ProvinceOption = None,
    force_province: ForceProvinceOption = False,
    follow_from: Annotated[
        Optional[str],
        typer.Option(
            "--theo-doi-tu", "--follow-from",
            help=msg.FOLLOW_FROM_HELP,
        ),
    ] = None,
) -> None:
    """Lưu kế hoạch vào cơ sở dữ liệu (nhập lại cùng tệp không thay đổi gì)."""
    settings = _settings()
    catalog = Catalog(settings.data_dir)
    _province_slug(catalog, province)  # a bad --province stops before any file is read
    follow = _follow_from(follow_from)
    asyncio.run(_import_files(files, settings, catalog, province, force_province, follow))


def _follow_from(value: str | None) -> date | Literal["start"] | None:
    if value is None:
        return None
    from bot.domain.text import fold

    if fold(value).replace(" ", "-") in ("dau-ky", "dau-ke-hoach", "start"):
        return "start"
    from bot.domain.calendar import parse_day

    day = parse_day(value)
    if day is None:
        raise UsageError(msg.bad_follow_from(value))
    return day


def _local_today(settings: Settings) -> date:
    from datetime import datetime

    return datetime.now(settings.tz).date()


async def _import_files(
    files: list[Path], settings: Settings, catalog: Catalog, province: str | None, force: bool = False,
    follow_from: date | Literal["start"] | None = None,
) -> None:
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.render.imports import import_summary, report_details
    from bot.services.importing import PlanImportError
    from bot.services.plans import store_draft

    await upgrade_database_async(settings.database_url)
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    failures = 0
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            console=err, transient=True, disable=len(files) < 2,
        ) as progress:
            bar = progress.add_task(msg.IMPORTING, total=len(files))
            for path in files:
                try:
                    draft = _read_and_parse(path, settings, catalog, province, force)
                    async with sessionmaker() as session, session.begin():
                        report = await store_draft(
                            session, draft=draft, catalog=catalog, timezone=settings.timezone, actor="cli",
                            follow_from=follow_from, today=_local_today(settings),
                        )
                    console.print(f"[green]✓[/green] {path.name}: {import_summary(report)}")
                    for line in report_details(report):
                        console.print(f"   {line}")
                    for warning in draft.warnings:  # what the parser skipped or could not read
                        console.print(f"   [yellow]⚠ {warning}[/yellow]")
                except (PlanReadError, PlanProvinceUnknown, PlanImportError, CliError) as exc:
                    failures += 1
                    hint = _province_hint(exc)
                    err.print(f"[red]✗[/red] {path.name}: {getattr(exc, 'message', str(exc))}{hint}")
                progress.advance(bar)
    finally:
        await engine.dispose()
    if failures:
        raise typer.Exit(1)


@app.command("tasks")
def tasks_command(
    agency: Annotated[Optional[str], typer.Option("--agency", help=msg.AGENCY_HELP)] = None,
    due_before: Annotated[
        Optional[str], typer.Option("--due-before", help=msg.DUE_BEFORE_HELP)
    ] = None,
    plan: Annotated[Optional[str], typer.Option("--plan", help=msg.PLAN_HELP)] = None,
) -> None:
    """Bảng các hạn nhiệm vụ theo cơ quan."""
    settings = _settings()
    before = _parse_cli_date(due_before) if due_before else None
    asyncio.run(_list_tasks(settings, agency, before, plan))


def _parse_cli_date(text: str) -> date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            from datetime import datetime

            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise CliError(msg.bad_date(text))


async def _list_tasks(settings: Settings, agency: str | None, before: date | None, plan: str | None) -> None:
    from datetime import datetime

    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.domain.status import Category
    from bot.services.plans import task_rows

    await upgrade_database_async(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await task_rows(
                session, province_slug=settings.province, agency=agency, due_before=before, plan_number=plan
            )
    finally:
        await engine.dispose()
    today = datetime.now(settings.tz).date()
    table = RichTable()
    for column in msg.TASK_COLUMNS:
        table.add_column(column, overflow="fold")
    for _province, row in rows:
        state = row.category(today).label
        if row.status is not None and row.status.label not in state and row.category(today) is not Category.NOT_DUE:
            state += f" ({row.status.label.lower()})"
        table.add_row(
            row.plan_number,
            row.ref,
            _short(row.title, 60),
            row.agency_name or "—",
            row.due_on.strftime("%d/%m/%Y") if row.due_on else "—",
            state,
        )
    console.print(table)
    console.print(msg.row_count(len(rows)))


@app.command("digest")
def digest_command(
    on: Annotated[Optional[str], typer.Option("--date", help=msg.DIGEST_DATE_HELP)] = None,
    kind: Annotated[str, typer.Option("--kind", help=msg.DIGEST_KIND_HELP)] = "week",
    send: Annotated[bool, typer.Option("--send", help=msg.DIGEST_SEND_HELP)] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help=msg.DIGEST_OUT_HELP)] = None,
    province: ProvinceOption = None,
) -> None:
    """Báo cáo tuần/tháng cho lãnh đạo: in ra, ghi vào thư mục (--out) hoặc gửi ngay (--send)."""
    from bot.services import digests

    if send and out is not None:
        raise CliError(msg.SEND_OR_OUT)
    if kind not in ("week", "month"):
        raise CliError(msg.bad_kind(kind))
    settings = _settings()
    if send and not (settings.telegram_bot_token or "").strip():
        raise CliError(msg.DIGEST_NEEDS_TOKEN)
    as_of = _parse_cli_date(on) if on else None
    results = asyncio.run(digests.cli_digests(settings, kind=kind, as_of=as_of, province=province, send=send))
    if not results:
        raise CliError(msg.NO_PLANS)
    for result in results:
        if out is not None:
            written = digests.write_files(result.output, out)
            console.print(f"[green]✓[/green] {result.province_name}: " + ", ".join(str(w) for w in written))
        elif send and not result.chats:
            err.print(msg.digest_no_leader_chat(result.province_name))
        elif send:
            console.print(msg.digest_sent(result.province_name, len(result.chats)))
        else:
            sys.stdout.write(digests.plain_text(result.output.messages) + "\n")


@app.command("close-unknown")
def close_unknown_command(
    on: Annotated[str, typer.Option("--ngay", "--date", help=msg.CLOSE_UNKNOWN_DATE_HELP)],
    plan: Annotated[Optional[str], typer.Option("--plan", help=msg.PLAN_HELP)] = None,
    agency: Annotated[Optional[str], typer.Option("--agency", help=msg.AGENCY_HELP)] = None,
    province: ProvinceOption = None,
) -> None:
    """Đóng các việc “chưa cập nhật” (hạn trước ngày bắt đầu theo dõi): đã hoàn thành ngày --ngay."""
    settings = _settings()
    completed_on = _parse_cli_date(on)
    slug = _province_slug(Catalog(settings.data_dir), province) if province else None
    lines = asyncio.run(_close_unknown(settings, slug, plan, agency, completed_on))
    if not lines:
        raise CliError(msg.NO_PLANS)
    for line, failed in lines:
        (err if failed else console).print(line, markup=False)
    if any(failed for _, failed in lines):
        raise typer.Exit(1)


async def _close_unknown(
    settings: Settings, slug: str | None, plan: str | None, agency: str | None, completed_on: date
) -> list[tuple[str, bool]]:
    from datetime import UTC, datetime

    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.render.confirm import closed_line
    from bot.render.reminders import plain_text
    from bot.services.chats import configured_provinces
    from bot.services.confirming import close_unknown

    await upgrade_database_async(settings.database_url)
    engine = make_engine(settings.database_url)
    lines: list[tuple[str, bool]] = []
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            for province in await configured_provinces(session, settings=settings):
                if slug is not None and province.slug != slug:
                    continue
                closed = await close_unknown(
                    session, province=province, plan_number=plan, agency=agency, completed_on=completed_on,
                    actor_name="cli", actor_tg_id=None, now=datetime.now(UTC), today=_local_today(settings),
                )
                lines.append((f"{province.name}: {plain_text(closed_line(closed))}", closed.problem is not None))
    finally:
        await engine.dispose()
    return lines


@app.command("run")
def run_command(
    webhook_url: Annotated[
        Optional[str], typer.Option("--webhook-url", help=msg.WEBHOOK_URL_HELP)
    ] = None,
    port: Annotated[Optional[int], typer.Option("--port", help=msg.PORT_HELP)] = None,
) -> None:
    """Chạy bot Telegram (long polling, hoặc webhook sau reverse proxy)."""
    from bot.app import run

    raise typer.Exit(run(_settings(), webhook_url=webhook_url, port=port))


@app.command("preview")
def preview_command(
    start: Annotated[
        Optional[str], typer.Option("--from", help=msg.PREVIEW_FROM_HELP)
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help=msg.PREVIEW_DAYS_HELP)] = 7,
    agency: Annotated[Optional[str], typer.Option("--agency", help=msg.AGENCY_HELP)] = None,
) -> None:
    """Xem trước các tin nhắc việc sẽ gửi mỗi ngày làm việc (không cần Telegram)."""
    settings = _settings()
    first = _parse_cli_date(start) if start else None
    asyncio.run(_preview(settings, first, days, agency))


async def _preview(settings: Settings, first: date | None, days: int, agency: str | None) -> None:
    from datetime import UTC, datetime

    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.render.format import long_date
    from bot.render.reminders import leaders_threshold, plain_text
    from bot.services.reminders import calendar_from_settings, policy_from_settings, preview

    first = first or datetime.now(UTC).astimezone(settings.tz).date()
    policy = policy_from_settings(settings)
    await upgrade_database_async(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            plan = await preview(
                session, first=first, days=days, calendar=calendar_from_settings(settings),
                policy=policy, agency=agency,
            )
    finally:
        await engine.dispose()
    at = settings.reminder_time.strftime("%H:%M")
    for day in plan:
        if not day.working_day:
            console.print(msg.preview_day_off(long_date(day.on_date), day.holiday))
            continue
        items = sum(len(part.due_item_ids) for m in day.messages for part in m.parts)
        console.print(msg.preview_day(long_date(day.on_date), at, len(day.messages), items))
        for message in day.messages:
            where = ", ".join(message.chats) if message.chats else msg.NO_GROUP_YET
            console.print(f"→ {message.agency_name} ({where})", markup=False, highlight=False)
            for part in message.parts:
                console.print("   " + plain_text(part.text).replace("\n", "\n   "), markup=False, highlight=False)
                console.print("   [" + " ".join(label for row in part.buttons for label, _ in row) + "]", markup=False, highlight=False)
        if day.escalations:
            console.print(msg.preview_escalations(day.escalations, leaders_threshold(policy)))
        if not day.messages:
            console.print(msg.NO_REMINDERS)


@app.command("tick")
def tick_command(
    on: Annotated[
        Optional[str], typer.Option("--date", help=msg.TICK_DATE_HELP)
    ] = None,
    resend_uncertain: Annotated[
        bool, typer.Option("--resend-uncertain", help=msg.RESEND_UNCERTAIN_HELP)
    ] = False,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help=msg.RETRY_FAILED_HELP)] = False,
) -> None:
    """Chạy một lượt nhắc việc ngay (sau sự cố): xếp các tin còn thiếu của ngày và gửi; không gửi trùng."""
    from bot.logs import configure_logging

    settings = _settings()
    if not settings.telegram_bot_token:
        raise CliError(msg.TICK_NEEDS_TOKEN)
    configure_logging(settings)  # each send as an event on stderr, like the bot's; the summary on stdout
    day = _parse_cli_date(on) if on else None
    code = asyncio.run(_tick(settings, day, resend_uncertain=resend_uncertain, retry_failed=retry_failed))
    if code:
        raise typer.Exit(code)


async def _tick(settings: Settings, day: date | None, *, resend_uncertain: bool, retry_failed: bool) -> int:
    import os
    from datetime import UTC, datetime

    from telegram import Bot

    from bot.db import outbox as outbox_repo
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.domain.kinds import OutboxStatus
    from bot.render.channels import channel_drained
    from bot.render.format import short_date
    from scheduler.reminders import ReminderEngine

    os.environ.setdefault("PTB_TIMEDELTA", "true")
    await upgrade_database_async(settings.database_url)
    db = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(db)
    engine = ReminderEngine.from_settings(settings, sessionmaker=sessionmaker, clock=lambda: datetime.now(UTC))
    on_date = day or engine.today()
    try:
        bot = Bot(settings.telegram_bot_token or "", base_url=settings.bot_base_url, base_file_url=settings.bot_base_file_url)
        async with bot:
            await engine.sender(bot).expire_leases()
            states = [s for s, wanted in ((OutboxStatus.UNCERTAIN, resend_uncertain), (OutboxStatus.FAILED, retry_failed)) if wanted]
            if states:
                async with sessionmaker() as session, session.begin():
                    rearmed = await outbox_repo.rearm(session, on_date=on_date, states=states, now=engine.clock())
                console.print(msg.rearmed(rearmed, short_date(on_date)))
            report = await engine.tick(on_date)
            console.print(report.summary)
            # Telegram and every other channel (e-mail, Zalo) at once: one that is down holds no other back.
            sent, channels = await asyncio.gather(
                engine.drain(bot, wait_for_deferred=120.0), _drain_channels(settings, sessionmaker, engine.clock)
            )
        async with sessionmaker() as session:
            counts = await outbox_repo.status_counts(session, on_date=on_date)
            problems = await outbox_repo.problems(session, on_date=on_date)
    finally:
        await db.dispose()
    console.print(msg.tick_summary(
        sent=sent.sent, retry_after=sent.retry_after, migrated=sent.migrated, day=short_date(on_date),
        delivered=counts.get(OutboxStatus.SENT, 0), uncertain=counts.get(OutboxStatus.UNCERTAIN, 0),
        failed=counts.get(OutboxStatus.FAILED, 0), waiting=sum(counts.get(s, 0) for s in outbox_repo.OPEN_STATES),
    ))
    for channel, drained in channels.items():
        console.print(channel_drained(channel, sent=drained.sent, retried=drained.retried, failed=drained.failed, down=drained.down))
    for message, title in problems:
        where = title or str(message.tg_chat_id)
        err.print(f"  {message.status.value} — {where} (tin {message.id}): {message.error or ''}", markup=False, highlight=False)
    return 1 if problems else 0


async def _drain_channels(settings: Settings, sessionmaker: Any, clock: Any) -> dict[Any, Any]:
    """Drain the e-mail and Zalo outboxes once with the adapters the settings configure
    (what the running bot's channel senders do every OUTBOX_INTERVAL)."""
    from bot.channels.registry import adapters_from_settings
    from bot.services.channel_sender import ChannelSender

    adapters = adapters_from_settings(settings)
    try:
        senders = [ChannelSender(sessionmaker=sessionmaker, adapter=a, clock=clock, admins=settings.admins) for a in adapters]
        reports = await asyncio.gather(*(s.drain() for s in senders))
        return {s.channel: r for s, r in zip(senders, reports, strict=True)}
    finally:
        for adapter in adapters:
            await adapter.aclose()


@db_app.command("upgrade")
def db_upgrade_command() -> None:
    """Nâng cấp cơ sở dữ liệu lên phiên bản mới nhất."""
    from bot.db.engine import upgrade_database

    settings = _settings()
    upgrade_database(settings.database_url)
    console.print(msg.DB_UP_TO_DATE)


@db_app.command("current")
def db_current_command(
    check: Annotated[bool, typer.Option("--check", help=msg.DB_CHECK_HELP)] = False,
) -> None:
    """In phiên bản cơ sở dữ liệu hiện tại (dùng cho kiểm tra sức khỏe)."""
    from bot.db.engine import current_revision_async, head_revision

    settings = _settings()
    try:
        current = asyncio.run(current_revision_async(settings.database_url))
    except Exception as exc:  # noqa: BLE001 - any driver error means "unreachable" here
        raise CliError(msg.db_unreachable(type(exc).__name__)) from None
    head = head_revision()
    console.print(msg.db_revision(current, head))
    if check and current != head:
        raise typer.Exit(1)


@app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help=msg.EXPORT_FILE_HELP)],
) -> None:
    """Sao lưu toàn bộ cơ sở dữ liệu ra tệp JSON (hoặc Excel để xem)."""
    from bot.services import backup

    settings = _settings()
    if file.suffix.lower() not in (".json", ".xlsx"):
        raise CliError(msg.unsupported_backup_format(file.name))
    try:
        document = asyncio.run(backup.export_database(settings.database_url))
        backup.write_file(document, file)
    except backup.BackupError as exc:
        raise CliError(exc.message) from None
    rows = sum(len(r) for r in document["tables"].values())
    console.print(msg.exported(len(document["tables"]), rows, document["alembic_revision"], file))


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help=msg.RESTORE_FILE_HELP)],
) -> None:
    """Khôi phục bản sao lưu JSON vào một cơ sở dữ liệu trống (tất cả hoặc không gì cả)."""
    from bot.services import backup

    settings = _settings()
    try:
        document = backup.read_json(file)
        counts = asyncio.run(backup.restore_database(settings.database_url, document))
    except backup.BackupError as exc:
        raise CliError(exc.message) from None
    console.print(msg.restored(sum(counts.values()), len(counts), document["alembic_revision"]))


calendar_app = typer.Typer(
    help=msg.CALENDAR_HELP,
    no_args_is_help=True,
)
app.add_typer(calendar_app, name="calendar")
NoteArgument = Annotated[Optional[list[str]], typer.Argument(help=msg.NOTE_HELP)]


async def _calendar(settings: Settings, action: str, day: date | None = None, note: str | None = None) -> str:
    from datetime import UTC, datetime

    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.domain.calendar import DayKind
    from bot.render import calendar as texts
    from bot.render.reminders import plain_text
    from bot.services import calendar as service
    from bot.services.reminders import calendar_from_settings

    await upgrade_database_async(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            if action == "list":
                return texts.listing(await service.list_days(session), html=False)
            assert day is not None
            if action == "remove":
                return plain_text(texts.removed(day, await service.remove_day(session, day=day)))
            change = await service.set_day(
                session, base=calendar_from_settings(settings), day=day, kind=DayKind(action), note=note,
                actor_tg_id=None, actor_name=msg.ACTOR_NAME, now=datetime.now(UTC),
            )
            if change.problem:
                raise CliError(plain_text(change.problem))
            return plain_text(texts.saved(day, change.kind, change.note, change.replaced))
    finally:
        await engine.dispose()


@calendar_app.command("list")
def calendar_list_command() -> None:
    """Xem các ngày nghỉ, ngày làm bù đã thêm."""
    console.print(asyncio.run(_calendar(_settings(), "list")), markup=False, highlight=False)


@calendar_app.command("off")
def calendar_off_command(
    day: Annotated[str, typer.Argument(help=msg.DAY_OFF_HELP)],
    note: NoteArgument = None,
) -> None:
    """Thêm một ngày nghỉ (vd. nghỉ bù theo thông báo của Chính phủ)."""
    text = asyncio.run(_calendar(_settings(), "day_off", _parse_cli_date(day), " ".join(note or []) or None))
    console.print(text, markup=False, highlight=False)


@calendar_app.command("workday")
def calendar_workday_command(
    day: Annotated[str, typer.Argument(help=msg.WORKDAY_HELP)],
    note: NoteArgument = None,
) -> None:
    """Thêm một ngày làm bù (Thứ Bảy, Chủ Nhật hoặc ngày lễ phải đi làm)."""
    text = asyncio.run(_calendar(_settings(), "working_day", _parse_cli_date(day), " ".join(note or []) or None))
    console.print(text, markup=False, highlight=False)


@calendar_app.command("remove")
def calendar_remove_command(day: Annotated[str, typer.Argument(help=msg.REMOVE_DAY_HELP)]) -> None:
    """Bỏ một ngày đã thêm: ngày đó lại tính theo lịch nghỉ lễ chung."""
    console.print(asyncio.run(_calendar(_settings(), "remove", _parse_cli_date(day))), markup=False, highlight=False)


@app.command("status")
def status_command() -> None:
    """Tình trạng hệ thống: cơ sở dữ liệu, lượt nhắc gần nhất, tin chờ gửi, nhóm mất liên lạc."""
    from bot.render.health import lines
    from bot.services import health

    settings = _settings()
    report = asyncio.run(health.check(settings.database_url))
    for line in lines(report, tz=settings.tz):
        console.print(line, markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


# --- e-mail addresses (`nhacviec email …`) -----------------------------------------------------

email_app = typer.Typer(help=msg.EMAIL_HELP, no_args_is_help=True)
app.add_typer(email_app, name="email")


async def _email_run(settings: Settings, province: str | None, action: Any) -> Any:
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.services.chats import configured_provinces

    await upgrade_database_async(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            provinces = await configured_provinces(session, settings=settings)
            if province is not None:
                slug = _province_slug(Catalog(settings.data_dir), province)
                provinces = [p for p in provinces if p.slug == slug]
            if not provinces:
                raise CliError(msg.NO_PROVINCE)
            return await action(session, [p.id for p in provinces])
    finally:
        await engine.dispose()


def _email_outcome(result: Any, done: str) -> None:
    from bot.render import channels as channel_texts
    from bot.render.reminders import plain_text

    if result.problem:
        extra = ("\n" + "\n".join(f"  {name}" for name in result.candidates)) if result.candidates else ""
        raise CliError(plain_text(channel_texts.email_problem_line(result.problem, result.detail)) + extra)
    console.print(done, markup=False, highlight=False)


@email_app.command("set")
def email_set_command(
    agency: Annotated[str, typer.Argument(help=msg.EMAIL_AGENCY_HELP)],
    address: Annotated[str, typer.Argument(help=msg.EMAIL_ADDRESS_HELP)],
    province: Annotated[str | None, typer.Option("--province", help=msg.EMAIL_PROVINCE_HELP)] = None,
    always: Annotated[
        bool, typer.Option("--luon", "--always", help=msg.EMAIL_ALWAYS_HELP)
    ] = False,
) -> None:
    """Hộp thư của một cơ quan: nhận nhắc việc qua thư khi cơ quan chưa có nhóm Telegram (--luon: luôn nhận)."""
    from datetime import UTC, datetime

    from bot.services import recipients

    settings = _settings()
    result = asyncio.run(_email_run(settings, province, lambda s, ids: recipients.set_agency_email(
        s, province_ids=ids, agency_query=agency, address=address, actor_tg_id=None, now=datetime.now(UTC),
        always=always,
    )))
    _email_outcome(result, msg.agency_email_set(result.agency_name, result.address, always))


@email_app.command("leader")
def email_leader_command(
    address: Annotated[str, typer.Argument(help=msg.EMAIL_ADDRESS_HELP)],
    name: Annotated[str | None, typer.Option("--name", help=msg.EMAIL_NAME_HELP)] = None,
    province: Annotated[str | None, typer.Option("--province", help=msg.EMAIL_PROVINCE_HELP)] = None,
) -> None:
    """Thư của một lãnh đạo tỉnh: nhận báo cáo tuần và báo cáo tháng (kèm biểu đồ, Excel, .docx)."""
    from datetime import UTC, datetime

    from bot.services import recipients

    settings = _settings()
    result = asyncio.run(_email_run(settings, province, lambda s, ids: recipients.set_leader_email(
        s, province_ids=ids, address=address, name=name, actor_tg_id=None, now=datetime.now(UTC),
    )))
    _email_outcome(result, msg.leader_email_set(result.person_name, result.address))


@email_app.command("remove")
def email_remove_command(
    address: Annotated[str, typer.Argument(help=msg.EMAIL_ADDRESS_HELP)],
    province: Annotated[str | None, typer.Option("--province", help=msg.EMAIL_PROVINCE_HELP)] = None,
) -> None:
    """Ngừng gửi thư tới một địa chỉ."""
    from bot.services import recipients

    settings = _settings()
    result = asyncio.run(_email_run(settings, province, lambda s, ids: recipients.remove_email(s, province_ids=ids, address=address)))
    _email_outcome(result, msg.email_stopped(result.address))


@email_app.command("list")
def email_list_command(
    province: Annotated[str | None, typer.Option("--province", help=msg.EMAIL_PROVINCE_HELP)] = None,
) -> None:
    """Các địa chỉ thư đã đặt."""
    from bot.services import recipients

    settings = _settings()
    lines = asyncio.run(_email_run(settings, province, lambda s, ids: recipients.list_emails(s, province_ids=ids)))
    table = RichTable()
    for column in msg.EMAIL_COLUMNS:
        table.add_column(column, overflow="fold")
    for line in lines:
        who = msg.email_who(line.agency_name, line.person_name)
        state = msg.email_state(
            active=line.active, unreachable_reason=line.unreachable_reason, agency=bool(line.agency_name), always=line.always
        )
        table.add_row(who, line.address, state)
    console.print(table)
    console.print(msg.email_count(len(lines)))


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        err.print(str(exc), markup=False)
        sys.exit(2)
    except UsageError as exc:
        err.print(msg.error_line(str(exc)), markup=False)
        sys.exit(2)
    except (PlanReadError, PlanProvinceUnknown, CliError) as exc:
        hint = _province_hint(exc)
        err.print(msg.error_line(f"{getattr(exc, 'message', str(exc))}{hint}"), markup=False)
        sys.exit(1)
