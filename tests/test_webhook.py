"""The webhook server: only Telegram (with the secret) gets in, and answers wait for handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import Components, build_dispatcher
from bot.health import health_report
from bot.settings import load_settings
from bot.webhook import SECRET_HEADER, create_webhook_app
from sandbox.client import SandboxClient, SandboxUser
from sandbox.server import SandboxServer
from sandbox.testing import sandbox_bot
from storage.db import Database
from storage.models import Person
from tests.support.backends import Backend

SECRET = "s3cret_Value-42"


def start_update(user: SandboxUser, update_id: int = 1) -> dict[str, Any]:
    """A /start update as Telegram would post it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 10,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
            "text": "/start",
        },
    }


@dataclass
class Webhook:
    client: TestClient[Any, Any]
    sandbox: SandboxClient
    user: SandboxUser

    async def post(self, body: Any, headers: dict[str, str]) -> int:
        response = await self.client.post("/telegram", json=body, headers=headers)
        return response.status

    async def bot_messages(self) -> list[str]:
        return [m.body for m in await self.sandbox.transcript(self.user.id) if m.from_bot]


async def open_webhook(backend: Backend, database: Database) -> AsyncIterator[Webhook]:
    server = SandboxServer()
    await server.start()
    sandbox = SandboxClient(server.base_url)
    bot = sandbox_bot(server.base_url, server.token)
    settings = load_settings(
        _env_file=None, bot_token=server.token, database_url=backend.database_url
    )
    dispatcher = build_dispatcher(Components(settings=settings, database=database, redis=None))
    app = create_webhook_app(
        dispatcher=dispatcher,
        bot=bot,
        path="/telegram",
        secret=SECRET,
        health=lambda: health_report(database, None),
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        user = await sandbox.create_user("Web", started=True)
        yield Webhook(client, sandbox, user)
    finally:
        await client.close()
        await bot.session.close()
        await sandbox.close()
        await server.stop()


@pytest.fixture
async def webhook(backend: Backend, database: Database) -> AsyncIterator[Webhook]:
    async for opened in open_webhook(backend, database):
        yield opened


async def people_count(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Person))).scalar_one())


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}, {SECRET_HEADER: ""}],
    ids=["missing", "wrong", "truncated", "empty"],
)
async def test_a_request_without_the_right_secret_is_refused_and_changes_nothing(
    webhook: Webhook, database: Database, headers: dict[str, str]
) -> None:
    assert await webhook.post(start_update(webhook.user), headers) == 403

    assert await webhook.bot_messages() == []
    assert await people_count(database) == 0


async def test_an_update_with_the_secret_is_handled_before_the_answer(
    webhook: Webhook, database: Database
) -> None:
    assert await webhook.post(start_update(webhook.user), {SECRET_HEADER: SECRET}) == 200

    assert any("Hello Web" in text for text in await webhook.bot_messages())
    assert await people_count(database) == 1


async def test_a_body_that_is_not_an_update_is_a_bad_request(webhook: Webhook) -> None:
    response = await webhook.client.post(
        "/telegram", data=b"{not json", headers={SECRET_HEADER: SECRET}
    )
    assert response.status == 400
    assert await webhook.post({"hello": "world"}, {SECRET_HEADER: SECRET}) == 400


async def test_healthz_reports_the_database(webhook: Webhook) -> None:
    response = await webhook.client.get("/healthz")

    assert response.status == 200
    assert await response.json() == {"database": "ok", "redis": "not configured"}


async def test_with_the_database_down_telegram_is_asked_to_retry(backend: Backend) -> None:
    unreachable = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async for webhook in open_webhook(backend, unreachable):
            status = await webhook.post(start_update(webhook.user), {SECRET_HEADER: SECRET})
            assert status == 500
            assert await webhook.bot_messages() == []

            health = await webhook.client.get("/healthz")
            assert health.status == 503
            assert (await health.json())["database"].startswith("unreachable")
    finally:
        await unreachable.close()
