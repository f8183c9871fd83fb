"""Vietnamese of the backup use case (bot/services/backup.py): why an export or a restore
stops, one line each (`nhacviec export` / `nhacviec restore` print them after "Lỗi: ")."""

from __future__ import annotations

from typing import Any

from bot.render.cli_messages import file_not_found as file_not_found
from bot.render.cli_messages import unsupported_backup_format as unsupported_format

__all__ = ["file_not_found", "unsupported_format"]

NOT_INITIALISED = "Cơ sở dữ liệu chưa được khởi tạo (chạy: nhacviec db upgrade)."
NOT_A_BACKUP = "Tệp không phải bản sao lưu nhacviec."
NO_TABLES = "Bản sao lưu thiếu phần dữ liệu (tables)."


def json_only(name: str) -> str:
    return f"Chỉ khôi phục được từ tệp .json: {name}"


def unreadable(name: str, error: Exception) -> str:
    return f"Tệp sao lưu không đọc được: {name} ({error})"


def unsupported_version(version: Any, supported: int) -> str:
    return f"Phiên bản bản sao lưu không hỗ trợ: {version!r} (cần {supported})."


def unknown_tables(names: list[str]) -> str:
    return f"Bản sao lưu có bảng không biết: {', '.join(names)}."


def revision_mismatch(revision: str | None, wanted: Any) -> str:
    return f"Phiên bản cơ sở dữ liệu ({revision or 'chưa khởi tạo'}) khác bản sao lưu ({wanted}): không khôi phục."


def has_plans(plans: int) -> str:
    return f"Cơ sở dữ liệu đã có {plans} kế hoạch: chỉ khôi phục vào cơ sở dữ liệu trống."


def has_data(table: str) -> str:
    return f"Cơ sở dữ liệu đã có dữ liệu (bảng {table}): chỉ khôi phục vào cơ sở dữ liệu trống."


def unknown_columns(table: str, columns: list[str]) -> str:
    return f"Bảng {table} trong bản sao lưu có cột không biết: {', '.join(columns)}."


def cannot_initialise(revision: Any, error_type: str) -> str:
    return f"Không khởi tạo được cơ sở dữ liệu ở phiên bản {revision}: {error_type}"
