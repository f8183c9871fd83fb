"""Typed settings from the environment and an optional `.env` file.

Built once by the composition root (the CLI) and passed down; nothing else reads
the environment. A bad setting is reported as one line naming the variable.
"""

from __future__ import annotations

from datetime import time as dt_time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.admins import Admins, parse_province_admins
from bot.render import settings as texts


def _default_data_dir() -> Path:
    """data/ beside the code in a checkout; for an installed copy (the Docker image installs
    into site-packages), data/ in the working directory (the image's WORKDIR is /app)."""
    beside_code = Path(__file__).resolve().parent.parent / "data"
    return beside_code if beside_code.is_dir() else Path("data").resolve()

TELEGRAM_API_URL = "https://api.telegram.org"


class SettingsError(Exception):
    """A missing or malformed setting; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    telegram_bot_token: str | None = Field(default=None, description="Bot token from BotFather")
    telegram_api_url: str = Field(
        default=TELEGRAM_API_URL, description="Bot API root URL (self-hosted server or tests)"
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///nhacviec.db", description="SQLAlchemy async database URL"
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), description="Comma-separated Telegram user ids of admins of every province"
    )
    province_admins: Annotated[dict[str, frozenset[int]], NoDecode] = Field(
        default_factory=dict, description="Admins of one province each: slug:id,id;slug:id"
    )
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="Province timezone (IANA)")
    province: str | None = Field(
        default=None,
        description="Province or centrally-run city, slug or name (single-province installs)",
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir, validate_default=True, description="Agency directory and holidays"
    )
    max_upload_mb: int = Field(default=20, ge=1, le=50, description="Largest plan file accepted")
    # Reminders (bot/domain/reminders.py, scheduler/): when and how often agencies are reminded.
    reminder_time: dt_time = Field(
        default=dt_time(8, 0), description="Local time of the daily reminders (HH:MM, TIMEZONE)"
    )
    reminder_days_before: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(30, 14, 7, 3, 1, 0), description="Days before a due date with a reminder"
    )
    reminder_overdue_every: int = Field(
        default=3, ge=1, le=30, description="Working days between reminders while overdue"
    )
    reminder_escalate_after: int = Field(
        default=14, ge=0, le=365, description="Days overdue before the leaders are alerted"
    )
    escalation_ladder: str | None = Field(
        default=None,
        description="Who hears of an overdue item by working days overdue: 1:agency,5:office,15:leaders "
        "(unset: leaders after REMINDER_ESCALATE_AFTER days, no office)",
    )
    nudge_after_working_days: int = Field(
        default=10, ge=0, le=120,
        description="Working days without a report after which an item in progress is nudged (0: never)",
    )
    reminder_max_items: int = Field(
        default=10, ge=1, le=40,
        description="Items a day's reminder shows in full (the rest: counted, behind a button)",
    )
    outbox_interval: float = Field(
        default=5.0, ge=0.5, le=60, description="Seconds between outbox sender runs"
    )
    webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL of the webhook (unset: long polling)"
    )
    webhook_port: int = Field(default=8443, ge=1, le=65535, description="Local webhook port")
    webhook_listen: str = Field(default="127.0.0.1", description="Local webhook address")
    webhook_secret: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,256}$",
        description="X-Telegram-Bot-Api-Secret-Token (unset: a random one per start)",
    )
    webhook_on_console: bool = Field(
        default=False,
        description="Serve the webhook from the console's server (one ASGI app on WEB_PORT) instead of its own port",
    )
    # Digests (scheduler/digests.py): the leaders' weekly digest and monthly report.
    digest_enabled: bool = Field(default=True, description="Send the scheduled digests")
    digest_weekday: Annotated[int, NoDecode] = Field(
        default=0, ge=0, le=6, description="Day of the weekly digest: 0 = Monday … 6 = Sunday (or thu2…cn)"
    )
    digest_time: dt_time = Field(
        default=dt_time(7, 30), description="Local time of the weekly digest and monthly report (HH:MM)"
    )
    digest_docx: bool = Field(default=True, description="Attach a .docx report draft to the monthly report")
    # Logs (bot/logs.py): one line per event on stderr, the token and DB password masked.
    log_format: str = Field(
        default="text", pattern=r"^(text|json)$", description="Log lines: text (one line per event) or json"
    )

    # Web console (bot/web/): served by `nhacviec run` beside the bot.
    web_port: int = Field(default=8080, ge=0, le=65535, description="Local port of the web console (0: off)")
    web_listen: str = Field(default="127.0.0.1", description="Local address of the web console")
    web_base_url: str | None = Field(
        default=None, description="Public address of the web console (unset: http://WEB_LISTEN:WEB_PORT)"
    )

    # E-mail (bot/channels/email.py): agencies' and leaders' mailboxes, set with /email.
    smtp_url: str | None = Field(
        default=None,
        pattern=r"^(smtp|smtps|smtp\+starttls)://",
        description="SMTP server: smtp://host:25, smtp+starttls://user:pass@host:587, smtps://user:pass@host:465 (unset: no e-mail)",
    )
    mail_from: str | None = Field(default=None, description="Sender of the e-mails: addr@example.gov.vn or 'Name <addr@…>'")
    smtp_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the certificate authorities to trust for the mail server's TLS certificate "
        "(an internal CA); unset: the system's. The certificate and its host name are always checked",
    )
    email_link_days: int = Field(
        default=14, ge=1, le=90, description="Days an e-mailed reminder's console link stays valid"
    )
    # Zalo (bot/channels/zalo.py): a person's Zalo account receives its agency's reminders.
    zalo_bot_token: str | None = Field(default=None, description="Zalo Bot Platform token (unset: no Zalo)")
    zalo_api_url: str = Field(
        default="https://bot-api.zaloplatforms.com", description="Zalo Bot API root URL (a proxy, or the tests' fake)"
    )
    zalo_webhook_url: str | None = Field(
        default=None,
        description="Public HTTPS URL of the Zalo webhook, served by the web console (unset: long polling)",
    )
    zalo_webhook_secret: str | None = Field(
        default=None, min_length=8, max_length=256,
        description="Secret Zalo sends in X-Bot-Api-Secret-Token (unset: random per start)",
    )

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError(texts.BAD_ADMIN_IDS)
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("province_admins", mode="before")
    @classmethod
    def _province_admins(cls, value: object) -> object:
        return parse_province_admins(value) if isinstance(value, str) else value

    @field_validator("reminder_days_before", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            if not parts or not all(p.isdigit() for p in parts):
                raise ValueError(texts.BAD_REMINDER_DAYS)
            return tuple(sorted({int(p) for p in parts}, reverse=True))
        return value

    @field_validator("escalation_ladder")
    @classmethod
    def _ladder(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from bot.domain.escalation import parse_ladder

        try:
            parse_ladder(value)
        except ValueError as e:
            raise ValueError(texts.bad_ladder(e)) from e
        return value.strip()

    @field_validator("digest_weekday", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> object:
        """0–6 (0 = Monday), or as Vietnamese write it: thu2 … thu7, t2 … t7, "Thứ 2", cn, "Chủ nhật"."""
        if isinstance(value, str):
            import unicodedata

            plain = "".join(
                c for c in unicodedata.normalize("NFD", value.casefold()) if not unicodedata.combining(c) and c != " "
            )
            if plain in ("cn", "chunhat"):
                return 6
            for prefix in ("thu", "t"):
                number = plain.removeprefix(prefix)
                if number != plain and number in ("2", "3", "4", "5", "6", "7"):
                    return int(number) - 2
            if not plain.isdigit():
                raise ValueError(texts.BAD_WEEKDAY)
        return value

    @field_validator("data_dir")
    @classmethod
    def _has_directory(cls, value: Path) -> Path:
        """Checked at start: an installed copy (not a checkout) must be told where data/ is."""
        if not (value / "agencies" / "standard.yaml").is_file():
            raise ValueError(texts.no_data_dir(value))
        return value

    @model_validator(mode="after")
    def _mail_settings(self) -> Settings:
        """SMTP_URL needs MAIL_FROM (and the other way round); MAIL_FROM must be an address."""
        if bool(self.smtp_url) != bool(self.mail_from):
            raise ValueError(texts.MAIL_PAIR)
        if self.mail_from:
            from email.utils import parseaddr

            if "@" not in parseaddr(self.mail_from)[1]:
                raise ValueError(texts.BAD_MAIL_FROM)
        if self.smtp_ca_file is not None and not self.smtp_ca_file.is_file():
            raise ValueError(texts.no_ca_file(self.smtp_ca_file))
        return self

    @model_validator(mode="after")
    def _known_province(self) -> Settings:
        """PROVINCE as a slug or a name in any spelling ("Đắk Lắk", "TP HCM") → the slug."""
        if self.province:
            from bot.domain.agencies import Directory, UnknownProvince
            from bot.render.provinces import unknown_province

            try:
                self.province = Directory.load(self.data_dir, self.province).province.slug
            except UnknownProvince as exc:
                raise ValueError(
                    unknown_province(exc.value, [(p.slug, p.full_name) for p in exc.suggestions])
                ) from None
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(texts.bad_timezone(value)) from exc
        return value

    @field_validator("telegram_api_url", "zalo_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(texts.BAD_URL_SCHEME)
        return value.rstrip("/")

    @property
    def web_url(self) -> str:
        """Where the console's links point (no trailing slash)."""
        return (self.web_base_url or f"http://{self.web_listen}:{self.web_port}").rstrip("/")

    @property
    def admins(self) -> Admins:
        return Admins(everywhere=self.admin_ids, by_province=self.province_admins)

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
            name = str(err["loc"][0]).upper() if err["loc"] else "PROVINCE"
            message = str(err.get("ctx", {}).get("error", err["msg"]))
            lines.append(texts.setting_error(name, message))
        raise SettingsError("\n".join(lines)) from None
