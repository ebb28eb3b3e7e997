"""Redis restarts or is flushed mid-conversation: nothing confirmed is lost, and people are told.

Each test runs its own `redis-server` (never the shared one) and restarts or flushes that.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType

import pytest
from aiogram.fsm.state import StatesGroup
from sqlalchemy import select

from core.enums import ReportStatus
from handlers.lost_conversations import FLOWS
from sandbox.client import Message
from storage.db import Database
from storage.models import ConversationMark, Report
from tests.support.backends import Backend, clear_redis_prefix, sqlite_copy, truncate_all
from tests.support.evidence import record_figure
from tests.support.live import LiveBot, Person, running_bot
from tests.support.private_redis import PrivateRedis
from tests.support.soak import scale
from tests.support.town import Town

pytestmark = pytest.mark.timeout(240)

LOST_REPORT = (
    "I lost track of your unfinished report after a restart on our side. Nothing you had "
    "confirmed is lost. Please start again with /report."
)
ASK_CATEGORY = "Report a problem"
DESCRIPTION = "Six people drinking and shouting by the benches every evening"
PEOPLE = scale(ci=10, soak=50)
RECOVERY_WAIT = 60.0


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    """A Redis server of this test's own."""
    server = PrivateRedis()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def redis_live(postgres_url: str, private_redis: PrivateRedis) -> AsyncIterator[LiveBot]:
    """The bot by webhook on PostgreSQL, with its conversations in the private Redis."""
    backend = Backend(
        "postgres+private-redis", postgres_url, private_redis.url, f"sw-{uuid.uuid4().hex[:8]}"
    )
    async with running_bot(backend, mode="webhook") as bot:
        yield bot
    await truncate_all(postgres_url)


@pytest.fixture
async def memory_live(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[LiveBot]:
    """The embedded default: SQLite, conversations in the process's memory, polling."""
    backend = Backend("sqlite+memory", sqlite_copy(sqlite_template, tmp_path), None, "sw-mem")
    async with running_bot(backend, mode="polling") as bot:
        yield bot


async def files_a_report(person: Person) -> str:
    """Answers every question and presses Submit; returns the report's reference."""
    intro = await person.says("/report")
    subtypes = await person.presses("Street drinking", on=intro)
    await person.presses("Drinking in a public place", on=subtypes)
    await person.says("Library gardens, CB1 2AB")  # "Got it"
    when = await person.next_reply()
    await person.presses("Just now", on=when)
    photos = await person.says(DESCRIPTION)
    contact = await person.presses("Skip", on=photos)
    summary = await person.presses("You may contact me", on=contact)
    done = await person.presses("Submit", on=summary)
    assert done.body.startswith("Thank you. Your report is SW-"), done.body
    return done.body.split("Your report is ", 1)[1].split(".", 1)[0]


Answer = Callable[[], Awaitable[object]]


async def stops_part_way(person: Person, index: int) -> Answer:
    """Starts a second report and stops at one of three steps; returns their next answer.

    The answer only sends (a typed reply or a button press); the bot's reply is awaited
    separately, since it may come only once storage is back.
    """
    sandbox = person.live.sandbox
    intro = await person.says("/report")
    subtypes = await person.presses("Street drinking", on=intro)
    where = await person.presses("Drinking in a public place", on=subtypes)
    assert where.body.startswith("Where did it happen?"), where.body
    if index % 3 == 0:
        return lambda: sandbox.send_text(person.id, "Library gardens, CB1 2AB")
    await person.says("Library gardens, CB1 2AB")  # "Got it"
    when = await person.next_reply()
    if index % 3 == 1:
        return lambda: sandbox.press(person.id, when.message_id, text="Just now")
    await person.presses("Just now", on=when)
    return lambda: sandbox.send_text(person.id, DESCRIPTION)


async def reply_to(person: Person) -> Message:
    """The bot's next message to this person, however long storage takes to come back."""
    return await person.live.sandbox.wait_for_message(person.id, timeout=RECOVERY_WAIT)


async def reports_by(database: Database) -> dict[int | None, list[str]]:
    async with database.sessions() as session:
        rows = (await session.execute(select(Report.reporter_id, Report.reference))).all()
        statuses = set((await session.execute(select(Report.status))).scalars())
    assert statuses <= {ReportStatus.RECEIVED}
    found: dict[int | None, list[str]] = {}
    for reporter_id, reference in rows:
        found.setdefault(reporter_id, []).append(reference)
    return found


async def marks(database: Database) -> dict[int, str]:
    async with database.sessions() as session:
        rows = (
            await session.execute(select(ConversationMark.user_id, ConversationMark.flow))
        ).all()
    return {user_id: flow for user_id, flow in rows}


async def marks_are(database: Database, expected: dict[int, str]) -> bool:
    return await marks(database) == expected


async def people_mid_report(live: LiveBot) -> tuple[list[Person], list[str], list[Answer]]:
    """PEOPLE residents who each filed one report and are part-way through another."""
    people = [await live.person(f"Resident {i}") for i in range(PEOPLE)]
    references = list(await asyncio.gather(*(files_a_report(p) for p in people)))
    answers = list(await asyncio.gather(*(stops_part_way(p, i) for i, p in enumerate(people))))
    return people, references, answers


async def each_is_told_once_and_can_start_again(
    live: LiveBot, people: list[Person], replies: list[Message]
) -> None:
    for reply in replies:
        assert reply.body == LOST_REPORT
    await asyncio.gather(*(person.hears_nothing() for person in people))
    restarted = await asyncio.gather(*(person.says("/report") for person in people))
    for question in restarted:
        assert question.body.startswith(ASK_CATEGORY), question.body


async def confirmed_reports_are_all_there_once(database: Database, references: list[str]) -> None:
    stored = await reports_by(database)
    assert sorted(ref for refs in stored.values() for ref in refs) == sorted(references)
    assert all(len(refs) == 1 for refs in stored.values())
    assert len(stored) == PEOPLE


async def test_redis_restarting_mid_report_tells_each_person_once_and_keeps_every_report(
    redis_live: LiveBot, private_redis: PrivateRedis
) -> None:
    live = redis_live
    database = Database(live.settings.database_url)
    people, references, answers = await people_mid_report(live)
    noted = {person.id: "ReportFlow" for person in people}
    await live.eventually(lambda: marks_are(database, noted))

    await private_redis.stop()
    # While Redis is down each answer is refused (webhook 500) and Telegram keeps it.
    for answer in answers:
        await answer()
    await live.eventually(lambda: webhook_refused(live, times=3), within=30)
    for person in people:
        assert await unanswered(person)
    loop = asyncio.get_running_loop()
    await private_redis.start()
    back = loop.time()
    replies = await asyncio.gather(*(reply_to(person) for person in people))
    record_figure("redis_restart_people_told", len(replies))
    record_figure("redis_restart_recovery_seconds", round(loop.time() - back, 2))

    await each_is_told_once_and_can_start_again(live, people, replies)
    await confirmed_reports_are_all_there_once(database, references)
    await live.eventually(lambda: marks_are(database, noted))  # the new conversations
    await database.close()


async def test_redis_flushed_mid_report_tells_each_person_once_and_keeps_every_report(
    redis_live: LiveBot, private_redis: PrivateRedis
) -> None:
    live = redis_live
    database = Database(live.settings.database_url)
    people, references, answers = await people_mid_report(live)

    await private_redis.flush()
    for answer in answers:
        await answer()
    replies = await asyncio.gather(*(reply_to(person) for person in people))

    await each_is_told_once_and_can_start_again(live, people, replies)
    await confirmed_reports_are_all_there_once(database, references)
    await database.close()


async def test_a_restart_with_conversations_in_memory_tells_each_person_once(
    memory_live: LiveBot,
) -> None:
    live = memory_live
    database = Database(live.settings.database_url)
    people, references, answers = await people_mid_report(live)

    await live.restart()
    for answer in answers:
        await answer()
    replies = await asyncio.gather(*(reply_to(person) for person in people))

    await each_is_told_once_and_can_start_again(live, people, replies)
    await confirmed_reports_are_all_there_once(database, references)
    await database.close()


async def test_finishing_or_cancelling_a_report_leaves_no_mark_behind(
    memory_live: LiveBot,
) -> None:
    live = memory_live
    database = Database(live.settings.database_url)
    finisher, quitter = await live.person("Fay"), await live.person("Quin")
    await files_a_report(finisher)
    await quitter.says("/report")
    await live.eventually(lambda: marks_are(database, {quitter.id: "ReportFlow"}))
    await quitter.says("/cancel")
    await live.eventually(lambda: marks_are(database, {}))

    await live.restart()
    reply = await quitter.says("Library gardens, CB1 2AB")
    assert reply.body.startswith("Sorry, I didn't understand that."), reply.body
    await database.close()


async def test_cancel_after_a_lost_report_says_it_was_lost_and_forgets_it(
    memory_live: LiveBot,
) -> None:
    live = memory_live
    database = Database(live.settings.database_url)
    quitter = await live.person("Quin")
    await quitter.says("/report")
    await live.eventually(lambda: marks_are(database, {quitter.id: "ReportFlow"}))

    await live.restart()
    reply = await quitter.says("/cancel")

    assert reply.body.startswith(
        "I had already lost track of your unfinished report after a restart on our side, "
        "so there is nothing to cancel."
    ), reply.body
    assert await marks(database) == {}
    reply = await quitter.says("Library gardens, CB1 2AB")
    assert reply.body.startswith("Sorry, I didn't understand that."), reply.body
    again = await quitter.says("/cancel")
    assert again.body.startswith("There is nothing to cancel."), again.body
    await database.close()


async def unanswered(person: Person) -> bool:
    """True if the bot has sent this person nothing since their last reply was read."""
    sandbox = person.live.sandbox
    return not await sandbox.messages(person.id, sandbox.cursor(person.id), sender="bot")


async def webhook_refused(live: LiveBot, *, times: int) -> bool:
    """True once Telegram has had the same update refused `times` times in a row."""
    hook = (await live.sandbox.bot_info()).get("webhook") or {}
    return int(hook.get("failed_attempts") or 0) >= times


LOST_INCIDENT = (
    "I lost track of your unfinished incident after a restart on our side. Nothing you had "
    "confirmed is lost. Please start again with /incident."
)


async def test_a_trader_pressing_a_button_of_a_lost_incident_is_told_once(
    town: Town, shop_live: LiveBot
) -> None:
    live, tom = shop_live, town.trader
    when = await tom.presses("Theft", on=await tom.says("/incident"))
    await forget_every_conversation(live)

    reply = await tom.presses("Now", on=when)

    assert reply.body == LOST_INCIDENT
    await tom.hears_nothing()
    restarted = await tom.says("/incident")
    assert "Theft" in str(restarted.buttons), restarted.body


def test_every_conversation_has_its_own_words_for_when_it_is_lost() -> None:
    groups = {
        obj.__name__
        for module in _handler_modules()
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, StatesGroup) and obj is not StatesGroup
    }
    assert groups, "no conversations found"
    assert groups <= set(FLOWS), f"say what was lost for: {sorted(groups - set(FLOWS))}"
    for flow in FLOWS.values():
        assert flow.text.startswith("I lost track of ")


async def forget_every_conversation(live: LiveBot) -> None:
    """What a Redis restart does to this bot's conversations (the shared Redis stays up)."""
    if live.backend.redis_url is None:
        await live.restart()
    else:
        await clear_redis_prefix(live.backend.redis_prefix)


def _handler_modules() -> list[ModuleType]:
    import handlers

    names = [info.name for info in pkgutil.walk_packages(handlers.__path__, "handlers.")]
    return [importlib.import_module(name) for name in names]
