"""Keywords typed after commands (/email xoa …, /ngaynghi bỏ …): grammar the surfaces parse,
accepted with or without accents, never shown."""

from __future__ import annotations

DAY_REMOVE_WORDS = frozenset({"xoa", "xoá", "xóa", "bo", "bỏ"})  # /ngaynghi, /ngaylam
EMAIL_REMOVE_WORDS = frozenset({"xoa", "xoá", "xóa", "remove"})
EMAIL_LEADER_WORDS = frozenset({"lanhdao", "lãnhđạo", "lanh-dao", "leader"})
EMAIL_ALWAYS_WORDS = frozenset({"luon", "luôn", "always"})  # after an agency's address: reminders even with a Telegram group
