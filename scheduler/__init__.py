"""Scheduled work: the reminder engine's ticks (scheduler/reminders.py).

`register(app)` is called by bot.app.build_application with the Application whose
`bot_data` is the BotServices (settings, sessionmaker, clock).
"""

from __future__ import annotations

from typing import Any

from scheduler.reminders import ReminderEngine, engine_for, install


def register(app: Any) -> ReminderEngine:
    """Install the daily reminder tick, the outbox sender and the start-up catch-up."""
    services = app.bot_data
    settings = services.settings
    engine = ReminderEngine.from_settings(settings, sessionmaker=services.sessionmaker, clock=services.clock)
    return install(app, engine, outbox_interval=settings.outbox_interval)


__all__ = ["ReminderEngine", "engine_for", "install", "register"]
