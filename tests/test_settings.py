"""Configuration: good values are read, bad ones stop start-up with one line naming the variable."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, load_settings


def settings_from(**values: str) -> object:
    return load_settings(_env_file=None, **values)


def test_defaults_give_an_embedded_polling_bot() -> None:
    settings = load_settings(_env_file=None)

    assert settings.database_url == "sqlite+aiosqlite:///./shopwatch.db"
    assert settings.redis_url is None
    assert settings.uses_webhook is False
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert (settings.listen_host, settings.listen_port) == ("0.0.0.0", 8080)
    assert settings.timezone == "Europe/London"


def test_values_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:ABC-def_ghi")
    monkeypatch.setenv("ADMIN_USER_IDS", "11, 22,33")
    monkeypatch.setenv("DATABASE_URL", "postgresql://shop@db:5432/shopwatch")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram/")
    monkeypatch.setenv("WEBHOOK_SECRET", "long_random-secret")

    settings = load_settings(_env_file=None)

    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == "123456:ABC-def_ghi"
    assert settings.admin_user_ids == (11, 22, 33)
    assert settings.database_url == "postgresql+asyncpg://shop@db:5432/shopwatch"
    assert settings.webhook_url == "https://bot.example.org/telegram"
    assert settings.uses_webhook


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("BOT_TOKEN", "not-a-token", "BOT_TOKEN is not valid: expected a token from @BotFather"),
        ("BOT_TOKEN", "123456:bad token!", "BOT_TOKEN is not valid"),
        ("TELEGRAM_API_URL", "api.telegram.org", "TELEGRAM_API_URL is not valid"),
        ("TELEGRAM_API_URL", "http://127.0.0.1:99999", "TELEGRAM_API_URL is not valid"),
        ("DATABASE_URL", "mysql://root@localhost/x", "DATABASE_URL is not valid"),
        ("DATABASE_URL", "::::", "DATABASE_URL is not valid"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL is not valid"),
        ("WEBHOOK_URL", "ftp://example.org/hook", "WEBHOOK_URL is not valid"),
        ("WEBHOOK_SECRET", "has spaces in it", "WEBHOOK_SECRET is not valid"),
        ("WEBHOOK_SECRET", "x" * 257, "WEBHOOK_SECRET is not valid"),
        ("WEBHOOK_LISTEN", "8080", "WEBHOOK_LISTEN is not valid: expected host:port"),
        ("WEBHOOK_LISTEN", "0.0.0.0:99999", "WEBHOOK_LISTEN is not valid"),
        ("ADMIN_USER_IDS", "12,bob", "ADMIN_USER_IDS is not valid"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE is not valid: expected an IANA time zone"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL is not valid"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_is_expected(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)

    assert str(raised.value).startswith(expected)
    assert "\n" not in str(raised.value)


def test_a_bad_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:secret part with spaces")

    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)

    assert "secret part" not in str(raised.value)


def test_dotenv_file_is_read(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    (tmp_path / ".env").write_text("TIMEZONE=Europe/Dublin\nADMIN_USER_IDS=5\n")
    monkeypatch.chdir(tmp_path)

    settings = load_settings()

    assert settings.timezone == "Europe/Dublin"
    assert settings.admin_user_ids == (5,)


def test_an_empty_api_url_means_the_real_telegram(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", "")
    assert load_settings(_env_file=None).telegram_api_url == "https://api.telegram.org"


def test_a_webhook_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")

    with pytest.raises(ConfigError, match="^WEBHOOK_SECRET is required when WEBHOOK_URL is set"):
        load_settings(_env_file=None)


def test_a_webhook_must_be_https_except_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("WEBHOOK_URL", "http://bot.example.org/telegram")
    with pytest.raises(ConfigError, match="^WEBHOOK_URL must be an https:// URL"):
        load_settings(_env_file=None)

    monkeypatch.setenv("WEBHOOK_URL", "http://127.0.0.1:8443/telegram")
    assert load_settings(_env_file=None).uses_webhook
