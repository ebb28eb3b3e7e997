"""Fixtures: an in-process sandbox, its control client and an aiogram Bot aimed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from sandbox.client import SandboxClient, SandboxUser
from sandbox.server import SandboxServer
from sandbox.state import SandboxConfig
from sandbox.testing import sandbox_bot


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    config = SandboxConfig(strict_shapes=True, webhook_retry_base=0.02, webhook_retry_max=0.2)
    srv = SandboxServer(config=config)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def sb(server: SandboxServer) -> AsyncIterator[SandboxClient]:
    client = SandboxClient(server.base_url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    tg = sandbox_bot(server.base_url, server.token)
    try:
        yield tg
    finally:
        await tg.session.close()


@pytest.fixture
async def alice(sb: SandboxClient) -> SandboxUser:
    """A user who has started the bot."""
    return await sb.create_user("Alice", username="alice", started=True)


@pytest.fixture
async def bob(sb: SandboxClient) -> SandboxUser:
    return await sb.create_user("Bob", username="bob", started=True)
