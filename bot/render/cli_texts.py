"""Vietnamese for the parts of `nhacviec --help` and its errors that Typer/Click write in
English: panel titles, "Usage:", "[required]", "[default: …]", the help option's text and the
usage errors ("Missing argument 'FILE'." → "Thiếu tham số 'FILE'.").

Typer 0.29 vendors Click without gettext hooks for these messages, so a message catalog
cannot reach them: `error_message` rewrites each known English form (the placeholders —
parameter names, values — are kept as typed); an unknown form is left as it is rather than
guessed. bot/cli.py installs these texts."""

from __future__ import annotations

import re
from collections.abc import Callable

USAGE_PREFIX = "Cách dùng: "
HELP_OPTION = "Hiện hướng dẫn này rồi thoát."
# Typer's rich_utils module constants, by name.
RICH_TEXTS: dict[str, str] = {
    "ARGUMENTS_PANEL_TITLE": "Tham số",
    "OPTIONS_PANEL_TITLE": "Tùy chọn",
    "COMMANDS_PANEL_TITLE": "Lệnh",
    "ERRORS_PANEL_TITLE": "Lỗi",
    "REQUIRED_LONG_STRING": "[bắt buộc]",
    "DEFAULT_STRING": "[mặc định: {}]",
    "ENVVAR_STRING": "[biến môi trường: {}]",
    "DEPRECATED_STRING": "(không còn dùng) ",
    "ABORTED_TEXT": "Đã hủy.",
    "RICH_HELP": "Xem [blue]'{command_path} {help_option}'[/] để biết cách dùng.",
}


def _value_error(text: str) -> str:
    """The reason part of "Invalid value for …: <reason>"."""
    for pattern, replace in _VALUE_ERRORS:
        if match := pattern.fullmatch(text):
            return replace(match)
    return text


def _sub(template: str) -> Callable[[re.Match[str]], str]:
    return lambda m: template.format(*m.groups())


_VALUE_ERRORS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    # Typer 0.29 checks values with pydantic: its messages first.
    (re.compile(r"Input should be a valid integer(?:, .*)?"), lambda m: "phải là số nguyên."),
    (re.compile(r"Input should be a valid number(?:, .*)?"), lambda m: "phải là số."),
    (re.compile(r"Input should be a valid boolean(?:, .*)?"), lambda m: "phải là có/không."),
    (re.compile(r"Input should be greater than or equal to (.*)"), _sub("phải lớn hơn hoặc bằng {0}.")),
    (re.compile(r"Input should be greater than (.*)"), _sub("phải lớn hơn {0}.")),
    (re.compile(r"Input should be less than or equal to (.*)"), _sub("phải nhỏ hơn hoặc bằng {0}.")),
    (re.compile(r"Input should be less than (.*)"), _sub("phải nhỏ hơn {0}.")),
    (re.compile(r"'(.*)' is not a valid integer( range)?\."), _sub("'{0}' không phải là số nguyên.")),
    (re.compile(r"'(.*)' is not a valid float( range)?\."), _sub("'{0}' không phải là số.")),
    (re.compile(r"'(.*)' is not a valid boolean\."), _sub("'{0}' không phải là có/không.")),
    (re.compile(r"(.*) is not in the range (.*)\."), _sub("{0} nằm ngoài khoảng {1}.")),
    (re.compile(r"(.*) is not (?:one of|in) (.*)\."), _sub("{0} không thuộc {1}.")),
    (re.compile(r"'(.*)' is not one of (.*)\."), _sub("'{0}' không thuộc {1}.")),
    (re.compile(r"(?:File|Path|Directory) '(.*)' does not exist\."), _sub("Không có '{0}'.")),
    (re.compile(r"(?:File|Path) '(.*)' is a directory\."), _sub("'{0}' là một thư mục.")),
    (re.compile(r"Directory '(.*)' is a file\."), _sub("'{0}' là một tệp, không phải thư mục.")),
)


def _did_you_mean(text: str | None) -> str:
    if not text:
        return ""
    names = re.findall(r"'?(--?[\w-]+)'?", text)
    return f" Có phải ý bạn là {' hoặc '.join(names)}?" if names else ""


_ERRORS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Missing argument (.+?)\.(?: (.*))?", re.S), lambda m: f"Thiếu tham số {m.group(1)}." + _rest(m.group(2))),
    (re.compile(r"Missing option (.+?)\.(?: (.*))?", re.S), lambda m: f"Thiếu tùy chọn {m.group(1)}." + _rest(m.group(2))),
    (re.compile(r"Missing parameter:? (.+?)\.?"), _sub("Thiếu tham số {0}.")),
    (re.compile(r"Missing command\."), lambda m: "Thiếu lệnh."),
    (re.compile(r"No such option: (\S+?)(?:\s+(Did you mean .*|\(Possible options: .*\)))?"),
     lambda m: f"Không có tùy chọn {m.group(1)}." + _did_you_mean(m.group(2))),
    (re.compile(r"No such command (.+?)\."), _sub("Không có lệnh {0}.")),
    (re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)"), _sub("Thừa tham số: {0}.")),
    (re.compile(r"Option (.+?) requires an argument\."), _sub("Tùy chọn {0} cần một giá trị.")),
    (re.compile(r"Option (.+?) requires (\d+) arguments\."), _sub("Tùy chọn {0} cần {1} giá trị.")),
    (re.compile(r"Option (.+?) does not take a value\."), _sub("Tùy chọn {0} không nhận giá trị.")),
    (re.compile(r"Invalid value for (.+?): (.*)", re.S), lambda m: f"Giá trị không hợp lệ cho {m.group(1)}: {_value_error(m.group(2))}"),
    (re.compile(r"Invalid value: (.*)", re.S), lambda m: f"Giá trị không hợp lệ: {_value_error(m.group(1))}"),
)


def _rest(text: str | None) -> str:
    return f" {text}" if text else ""


def error_message(text: str) -> str:
    """The Vietnamese form of one of Click's usage errors (unknown forms unchanged)."""
    for pattern, replace in _ERRORS:
        if match := pattern.fullmatch(text.strip()):
            return replace(match)
    return text


def usage(text: str) -> str:
    """'Usage: nhacviec parse …' → 'Cách dùng: nhacviec parse …'."""
    return re.sub(r"^(\s*)Usage: ", lambda m: m.group(1) + USAGE_PREFIX, text, count=1)
