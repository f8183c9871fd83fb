"""Fake Zalo Bot Platform API server for end-to-end tests of the Zalo channel (see server.py)."""

from .server import DEFAULT_TOKEN, MAX_TEXT, FakeZaloApi, Sent

__all__ = ["DEFAULT_TOKEN", "MAX_TEXT", "FakeZaloApi", "Sent"]
