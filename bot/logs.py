"""Logging set-up that never lets the bot token or webhook secret through."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replaces every secret (and the secret half of a bot token) in a record's text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        needles: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            needles.add(secret)
            _, _, token_secret = secret.partition(":")
            if len(token_secret) >= 6:
                needles.add(token_secret)
        self.needles = sorted(needles, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every secret replaced."""
        for needle in self.needles:
            text = text.replace(needle, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.needles:
            return True
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    """Sends logs to stderr, with secrets redacted from every record."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = "DEBUG" if level == "DEBUG" else "WARNING"
    for chatty in ("alembic", "aiogram.event", "apscheduler"):
        logging.getLogger(chatty).setLevel(quiet)
