"""The bot token and webhook secret never reach the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import RedactSecrets

TOKEN = "123456:AAHsecretSECRETsecret"
SECRET = "webhook-secret-value"


@pytest.fixture
def captured() -> Iterator[list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactSecrets([TOKEN, SECRET]))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    yield lines
    logger.removeHandler(handler)


def test_token_in_a_message_argument_is_redacted(captured: list[str]) -> None:
    logging.getLogger("tests.redaction").error(
        "POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN
    )

    assert TOKEN not in captured[0]
    assert "bot[redacted]/sendMessage" in captured[0]


def test_url_encoded_token_half_is_redacted(captured: list[str]) -> None:
    logging.getLogger("tests.redaction").error("url /bot123456%%3A%s/x", TOKEN.split(":")[1])

    assert "AAHsecretSECRETsecret" not in captured[0]


def test_secret_inside_a_traceback_is_redacted(captured: list[str]) -> None:
    try:
        raise RuntimeError(f"header was {SECRET}")
    except RuntimeError:
        logging.getLogger("tests.redaction").exception("webhook failed")

    assert SECRET not in captured[0]
    assert "header was [redacted]" in captured[0]
