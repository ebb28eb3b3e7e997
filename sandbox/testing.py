"""Helpers for tests that drive a real ``aiogram.Bot`` against the sandbox."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer


class SandboxSession(AiohttpSession):
    """aiogram's session, minus the 250 ms grace sleep on close (loopback only)."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def sandbox_bot(base_url: str, token: str, timeout: float = 10.0) -> Bot:
    """An ``aiogram.Bot`` talking to the sandbox at ``base_url``; close its session."""
    session = SandboxSession(api=TelegramAPIServer.from_base(base_url), timeout=timeout)
    return Bot(token, session=session)
