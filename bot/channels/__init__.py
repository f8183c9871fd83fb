"""Channels beyond Telegram: the adapters the outbox sends through, and their clients.

Channel adapters: how a rendered outbox message reaches Telegram, an e-mail server or
Zalo. Each is a small module behind one interface (`base.ChannelAdapter`); the outbox,
the policies and the renderers know a channel only by its `bot.domain.channels.Channel`."""
