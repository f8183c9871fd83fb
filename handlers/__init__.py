"""Telegram handlers, one module per feature; `register(app)` adds them all, in order.

The function lives in handlers.registry so that `from handlers.registry import register`
also works where an editable install exposes this folder as a namespace package (then
this file is never executed).
"""

from handlers.registry import register

__all__ = ["register"]
