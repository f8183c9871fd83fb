"""Typed settings from the environment and an optional `.env` file.

Built once by the composition root (the CLI) and passed down; nothing else reads
the environment. A bad setting is reported as one line naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TELEGRAM_API_URL = "https://api.telegram.org"


class SettingsError(Exception):
    """A missing or malformed setting; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = Field(default=None, description="Bot token from BotFather")
    telegram_api_url: str = Field(
        default=TELEGRAM_API_URL, description="Bot API root URL (self-hosted server or tests)"
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///nhacviec.db", description="SQLAlchemy async database URL"
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), description="Comma-separated Telegram user ids of admins"
    )
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="Province timezone (IANA)")
    province: str | None = Field(
        default=None, description="Province slug from data/agencies (single-province installs)"
    )
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="Agency directory and holidays")
    max_upload_mb: int = Field(default=20, ge=1, le=50, description="Largest plan file accepted")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError("cần các số id Telegram, cách nhau bởi dấu phẩy (vd. 12345,67890)")
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"múi giờ không hợp lệ: {value!r} (vd. Asia/Ho_Chi_Minh)") from exc
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("phải bắt đầu bằng http:// hoặc https://")
        return value.rstrip("/")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def bot_base_url(self) -> str:
        """PTB's base_url: the token is appended by PTB (…/bot<token>/method)."""
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_base_file_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable line per variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            message = str(err.get("ctx", {}).get("error", err["msg"]))
            lines.append(f"Cấu hình sai: {name} — {message}")
        raise SettingsError("\n".join(lines)) from None
