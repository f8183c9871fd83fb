"""Channels beyond Telegram: the adapters the outbox sends through, and their clients."""
