"""The adapters a process runs, built from the settings (the composition root calls this).

Each channel is optional: it is on when its settings are there (e-mail: SMTP_URL and
MAIL_FROM; Zalo: ZALO_BOT_TOKEN). Telegram is not listed: its sender
(bot/services/sender.py) runs with the bot itself.
"""

from __future__ import annotations

from typing import Any

from bot.channels.base import ChannelAdapter

# Builders registered by channel modules: settings → adapter, or None when not configured.
_BUILDERS: list[Any] = []


def builder(fn: Any) -> Any:
    """Decorator for a channel module's `from_settings(settings) -> adapter | None`."""
    _BUILDERS.append(fn)
    return fn


def adapters_from_settings(settings: Any) -> list[ChannelAdapter]:
    _load_channel_modules()
    found = []
    for build in _BUILDERS:
        adapter = build(settings)
        if adapter is not None:
            found.append(adapter)
    return found


def _load_channel_modules() -> None:
    """Import the channel modules so that their builders register (each module is optional:
    one that is not there yet is skipped)."""
    import importlib

    for name in ("bot.channels.email", "bot.channels.zalo"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
