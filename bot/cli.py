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
from typing import Annotated, Optional

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
from bot.render.labels import review_label

app = typer.Typer(
    help="nhacviec — bot nhắc việc kế hoạch cải cách hành chính.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Quản lý cơ sở dữ liệu.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()
err = Console(stderr=True)


class CliError(Exception):
    """An expected failure: printed as one line, exit code 1."""


def _settings() -> Settings:
    return load_settings()


def _read_and_parse(path: Path, settings: Settings, catalog: Catalog, province: str | None) -> PlanDraft:
    from bot.services.plans import read_and_parse

    if not path.is_file():
        raise CliError(f"Không tìm thấy tệp: {path}")
    return read_and_parse(
        path.read_bytes(),
        path.name,
        catalog=catalog,
        province=province or settings.province,
        max_bytes=settings.max_upload_mb * 1024 * 1024,
    )


ProvinceOption = Annotated[
    Optional[str], typer.Option("--province", help="Mã tỉnh trong data/agencies, vd. phu-tho")
]


@app.command("parse")
def parse_command(
    file: Annotated[Path, typer.Argument(help="Tệp kế hoạch (.docx, .pdf, .txt)")],
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
    province: ProvinceOption = None,
) -> None:
    """Đọc một kế hoạch và in các nhiệm vụ, không lưu gì."""
    settings = _settings()
    catalog = Catalog(settings.data_dir)
    draft = _read_and_parse(file, settings, catalog, province)
    names = catalog.names(draft.meta.province or "")
    if as_json:
        sys.stdout.write(json.dumps(draft_to_json(draft, names), ensure_ascii=False, indent=2) + "\n")
        return
    _print_draft(draft, names)


def _print_draft(draft: PlanDraft, names: dict[str, str]) -> None:
    meta = draft.meta
    period = f"{meta.period[0]}–{meta.period[1]}" if meta.period else "?"
    issued = meta.issued_on.strftime("%d/%m/%Y") if meta.issued_on else "?"
    console.print(f"[bold]{meta.number or '?'}[/bold] — {meta.title or '?'}")
    console.print(f"Ban hành: {issued} · Người ký: {meta.signer or '?'} · Thời kỳ: {period}")
    table = RichTable(show_lines=False)
    for column in ("Mã", "Nhiệm vụ", "Chủ trì", "Thời hạn", "Hạn", "Cần rà soát"):
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
    console.print(f"{len(draft.tasks)} nhiệm vụ, {flagged} cần rà soát.")
    for warning in draft.warnings:
        console.print(f"[yellow]⚠ {warning}[/yellow]")


def _short(text: str | None, limit: int) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Một hoặc nhiều tệp kế hoạch")],
    province: ProvinceOption = None,
) -> None:
    """Lưu kế hoạch vào cơ sở dữ liệu (nhập lại cùng tệp không thay đổi gì)."""
    settings = _settings()
    catalog = Catalog(settings.data_dir)
    asyncio.run(_import_files(files, settings, catalog, province))


async def _import_files(files: list[Path], settings: Settings, catalog: Catalog, province: str | None) -> None:
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.services.importing import PlanImportError
    from bot.render.imports import report_details
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
            bar = progress.add_task("Đang nhập", total=len(files))
            for path in files:
                try:
                    draft = _read_and_parse(path, settings, catalog, province)
                    async with sessionmaker() as session, session.begin():
                        report = await store_draft(
                            session, draft=draft, catalog=catalog, timezone=settings.timezone, actor="cli"
                        )
                    console.print(f"[green]✓[/green] {path.name}: {report.summary}")
                    for line in report_details(report):
                        console.print(f"   {line}")
                except (PlanReadError, PlanProvinceUnknown, PlanImportError, CliError) as exc:
                    failures += 1
                    err.print(f"[red]✗[/red] {path.name}: {getattr(exc, 'message', str(exc))}")
                progress.advance(bar)
    finally:
        await engine.dispose()
    if failures:
        raise typer.Exit(1)


@app.command("tasks")
def tasks_command(
    agency: Annotated[Optional[str], typer.Option("--agency", help="Tên hoặc viết tắt cơ quan")] = None,
    due_before: Annotated[
        Optional[str], typer.Option("--due-before", help="Hạn trước ngày (dd/mm/yyyy hoặc yyyy-mm-dd)")
    ] = None,
    plan: Annotated[Optional[str], typer.Option("--plan", help="Số hiệu kế hoạch, vd. 1782/KH-UBND")] = None,
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
    raise CliError(f"Ngày không hợp lệ: {text!r} (dùng dd/mm/yyyy)")


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
    for column in ("Kế hoạch", "Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Hạn", "Tình trạng"):
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
    console.print(f"{len(rows)} dòng.")


@app.command("run")
def run_command(
    webhook_url: Annotated[
        Optional[str], typer.Option("--webhook-url", help="URL webhook công khai (mặc định: long polling)")
    ] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="Cổng webhook nội bộ")] = None,
) -> None:
    """Chạy bot Telegram (long polling, hoặc webhook sau reverse proxy)."""
    from bot.app import run

    raise typer.Exit(run(_settings(), webhook_url=webhook_url, port=port))


@db_app.command("upgrade")
def db_upgrade_command() -> None:
    """Nâng cấp cơ sở dữ liệu lên phiên bản mới nhất."""
    from bot.db.engine import upgrade_database

    settings = _settings()
    upgrade_database(settings.database_url)
    console.print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")


@db_app.command("current")
def db_current_command(
    check: Annotated[bool, typer.Option("--check", help="Thoát mã 1 nếu chưa ở phiên bản mới nhất")] = False,
) -> None:
    """In phiên bản cơ sở dữ liệu hiện tại (dùng cho kiểm tra sức khỏe)."""
    from bot.db.engine import current_revision_async, head_revision

    settings = _settings()
    try:
        current = asyncio.run(current_revision_async(settings.database_url))
    except Exception as exc:  # noqa: BLE001 - any driver error means "unreachable" here
        raise CliError(f"Không kết nối được cơ sở dữ liệu: {type(exc).__name__}") from None
    head = head_revision()
    console.print(f"Hiện tại: {current or '(trống)'} · Mới nhất: {head}")
    if check and current != head:
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        err.print(str(exc))
        sys.exit(2)
    except (PlanReadError, PlanProvinceUnknown, CliError) as exc:
        err.print(f"Lỗi: {getattr(exc, 'message', str(exc))}")
        sys.exit(1)
