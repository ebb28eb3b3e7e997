"""The webhook server: only Telegram (with the secret) gets in, and answers wait for handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import Components, build_dispatcher
from bot.health import health_report
from bot.settings import load_settings
from bot.webhook import SECRET_HEADER, create_webhook_app
from storage.db import Database
from storage.models import Person
from tests.support.backends import Backend
from tests.support.recording import RecordingSession

SECRET = "s3cret_Value-42"


def start_update(update_id: int = 1, user_id: int = 555) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 10,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": user_id, "type": "private", "first_name": "Web"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Web"},
            "text": "/start",
        },
    }


async def webhook_client(
    backend: Backend, database: Database, recorder: RecordingSession
) -> TestClient[Any, Any]:
    settings = load_settings(
        _env_file=None, bot_token="424242:TEST-token", database_url=backend.database_url
    )
    dispatcher = build_dispatcher(Components(settings=settings, database=database, redis=None))
    bot = Bot("424242:TEST-token", session=recorder)
    app = create_webhook_app(
        dispatcher=dispatcher,
        bot=bot,
        path="/telegram",
        secret=SECRET,
        health=lambda: health_report(database, None),
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def recorder() -> RecordingSession:
    return RecordingSession()


@pytest.fixture
async def client(
    backend: Backend, database: Database, recorder: RecordingSession
) -> AsyncIterator[TestClient[Any, Any]]:
    test_client = await webhook_client(backend, database, recorder)
    yield test_client
    await test_client.close()


async def people_count(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Person))).scalar_one())


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}, {SECRET_HEADER: ""}],
    ids=["missing", "wrong", "truncated", "empty"],
)
async def test_a_request_without_the_right_secret_is_refused_and_changes_nothing(
    client: TestClient[Any, Any],
    database: Database,
    recorder: RecordingSession,
    headers: dict[str, str],
) -> None:
    response = await client.post("/telegram", json=start_update(), headers=headers)

    assert response.status == 403
    assert recorder.calls == []
    assert await people_count(database) == 0


async def test_an_update_with_the_secret_is_handled_before_the_answer(
    client: TestClient[Any, Any], database: Database, recorder: RecordingSession
) -> None:
    response = await client.post("/telegram", json=start_update(), headers={SECRET_HEADER: SECRET})

    assert response.status == 200
    assert "Hello Web" in recorder.sent()[-1].text
    assert await people_count(database) == 1


async def test_a_body_that_is_not_an_update_is_a_bad_request(
    client: TestClient[Any, Any],
) -> None:
    response = await client.post("/telegram", data=b"{not json", headers={SECRET_HEADER: SECRET})
    assert response.status == 400
    response = await client.post(
        "/telegram", json={"hello": "world"}, headers={SECRET_HEADER: SECRET}
    )
    assert response.status == 400


async def test_healthz_reports_the_database(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")

    assert response.status == 200
    assert await response.json() == {"database": "ok", "redis": "not configured"}


async def test_with_the_database_down_telegram_is_asked_to_retry(backend: Backend) -> None:
    unreachable = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    recorder = RecordingSession()
    test_client = await webhook_client(backend, unreachable, recorder)
    try:
        response = await test_client.post(
            "/telegram", json=start_update(), headers={SECRET_HEADER: SECRET}
        )
        assert response.status == 500
        assert recorder.calls == []

        health = await test_client.get("/healthz")
        assert health.status == 503
        assert (await health.json())["database"].startswith("unreachable")
    finally:
        await test_client.close()
        await unreachable.close()
