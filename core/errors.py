"""Errors a person can act on: each carries the message they are shown."""

from __future__ import annotations


class AppError(Exception):
    """A problem the person caused or can fix; `message` is safe to show them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(AppError):
    """The person's role or standing does not permit this."""


class NotFound(AppError):
    """The thing asked for does not exist, or no longer does."""


class InvalidInput(AppError):
    """What the person typed or pressed cannot be used; the message says why."""
