"""Scheduled work: the reminder engine's ticks (scheduler/reminders.py) and the
leaders' weekly digest and monthly report (scheduler/digests.py).

`register(app)` is called by bot.app.build_application with the Application whose
`bot_data` is the BotServices (settings, sessionmaker, clock).
"""

from __future__ import annotations

from typing import Any

from scheduler.reminders import ReminderEngine, engine_for, install


def register(app: Any) -> ReminderEngine:
    """Install the daily reminder tick, the outbox sender, the start-up catch-up and the
    digest jobs (unless DIGEST_ENABLED=false)."""
    from bot.channels.registry import adapters_from_settings
    from scheduler import channels, digests

    services = app.bot_data
    settings = services.settings
    engine = ReminderEngine.from_settings(settings, sessionmaker=services.sessionmaker, clock=services.clock)
    installed = install(app, engine, outbox_interval=settings.outbox_interval)
    # Adapters passed in by the caller (tests) win over those built from the settings.
    adapters = getattr(services, "channel_adapters", None)
    channels.install(app, adapters if adapters is not None else adapters_from_settings(settings), interval=settings.outbox_interval)
    digests.register(app)
    return installed


__all__ = ["ReminderEngine", "engine_for", "install", "register"]
