"""Configuration read from the environment (and `.env`), checked once at start-up."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

EXPECTATIONS = {
    "BOT_TOKEN": "a token from @BotFather such as 123456:ABC-DEF...",
    "TELEGRAM_API_URL": "an http(s) base URL such as https://api.telegram.org",
    "DATABASE_URL": "sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db",
    "REDIS_URL": "redis://host:port/db",
    "WEBHOOK_URL": "a public https URL that Telegram will post updates to",
    "WEBHOOK_SECRET": "1-256 characters from A-Z, a-z, 0-9, _ and -",
    "WEBHOOK_LISTEN": "host:port such as 0.0.0.0:8080",
    "ADMIN_USER_IDS": "comma-separated Telegram user ids such as 1234,5678",
    "TIMEZONE": "an IANA time zone such as Europe/London",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR",
    "DEMO_PORT": "a port number such as 8080",
    "REPORT_IDLE_HOURS": "a positive number of hours such as 24",
    "FLOOD_LIMIT_PER_MINUTE": "a whole number of updates such as 20",
    "BROADCAST_RATE_PER_SECOND": "a positive number of messages such as 30",
    "BROADCAST_PAID_RATE_PER_SECOND": "a positive number of messages such as 1000",
    "BROADCAST_CHAT_PER_SECOND": "a positive number of messages such as 1",
    "BROADCAST_GROUP_PER_MINUTE": "a positive number of messages such as 20",
    "BROADCAST_CONCURRENCY": "a whole number of sends at once such as 100",
    "BROADCAST_MAX_ATTEMPTS": "a whole number of tries such as 5",
    "BROADCAST_RETRY_SECONDS": "a positive number of seconds such as 2",
    "BROADCAST_LEASE_SECONDS": "a positive number of seconds such as 30",
    "BROADCAST_SEND_TIMEOUT_SECONDS": "a positive number of seconds such as 10",
    "BROADCAST_WORKER_IN_RUN": "true or false",
}


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """Everything ShopWatch needs to know about its deployment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///./shopwatch.db"
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    admin_user_ids: Annotated[tuple[int, ...], NoDecode] = Field(default=())
    timezone: str = "Europe/London"
    log_level: str = "INFO"
    demo_port: int = Field(default=8080, ge=1, le=65535)
    report_idle_hours: float = Field(default=24, gt=0)
    flood_limit_per_minute: int = Field(default=20, ge=1)
    broadcast_rate_per_second: float = Field(default=30.0, gt=0)
    broadcast_paid_rate_per_second: float = Field(default=1000.0, gt=0)
    broadcast_chat_per_second: float = Field(default=1.0, gt=0)
    broadcast_group_per_minute: float = Field(default=20.0, gt=0)
    broadcast_concurrency: int = Field(default=100, ge=1, le=1000)
    broadcast_max_attempts: int = Field(default=5, ge=1)
    broadcast_retry_seconds: float = Field(default=2.0, gt=0)
    broadcast_lease_seconds: float = Field(default=30.0, gt=0)
    broadcast_send_timeout_seconds: float = Field(default=10.0, gt=0)
    broadcast_worker_in_run: bool = True

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not TOKEN_PATTERN.match(value.strip()):
            raise ValueError("malformed")
        return value.strip()

    @field_validator("telegram_api_url", mode="before")
    @classmethod
    def _api_url_default(cls, value: Any) -> Any:
        return "https://api.telegram.org" if value in (None, "") else value

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 (raises on a port that is not a number in range)
        except ValueError as error:
            raise ValueError("malformed") from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("malformed")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _webhook_needs_secret_and_https(self) -> Settings:
        if self.webhook_url is None:
            return self
        if self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET is required when WEBHOOK_URL is set, so that only Telegram "
                "can post updates: choose 1-256 characters from A-Z, a-z, 0-9, _ and -."
            )
        parts = urlsplit(self.webhook_url)
        if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
            raise ValueError(
                "WEBHOOK_URL must be an https:// URL: Telegram only delivers webhooks over "
                "HTTPS (plain http is allowed for a local Bot API server on this machine)."
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as error:
            raise ValueError("malformed") from error
        driver = ASYNC_DRIVERS.get(url.drivername)
        if driver is None:
            raise ValueError(f"unsupported driver {url.drivername!r}")
        return url.set(drivername=driver).render_as_string(hide_password=False)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("malformed")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret_shape(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not SECRET_PATTERN.match(value):
            raise ValueError("malformed")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _listen_address(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("malformed")
        return value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
            if not all(item.isdigit() for item in items):
                raise ValueError("malformed")
            return tuple(int(item) for item in items)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("unknown") from error
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("malformed")
        return level

    @property
    def tz(self) -> ZoneInfo:
        """The scheme's local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def listen_host(self) -> str:
        """Host part of WEBHOOK_LISTEN."""
        return self.webhook_listen.rpartition(":")[0]

    @property
    def listen_port(self) -> int:
        """Port part of WEBHOOK_LISTEN."""
        return int(self.webhook_listen.rpartition(":")[2])

    @property
    def uses_webhook(self) -> bool:
        """Webhook mode when WEBHOOK_URL is set, long polling otherwise."""
        return self.webhook_url is not None

    def secrets(self) -> list[str]:
        """The values that must never appear in logs or messages."""
        return [s.get_secret_value() for s in (self.bot_token, self.webhook_secret) if s]


def load_settings(**overrides: Any) -> Settings:
    """Reads settings, turning a validation failure into one line that names the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        if not first["loc"]:
            raise ConfigError(str(first["msg"]).removeprefix("Value error, ")) from None
        variable = str(first["loc"][0]).upper()
        expected = EXPECTATIONS.get(variable, "a valid value")
        raise ConfigError(f"{variable} is not valid: expected {expected}.") from None
