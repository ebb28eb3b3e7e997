"""The first conversations anyone has with ShopWatch: /start, /help, /privacy, /cancel, groups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Chat
from redis.asyncio import Redis
from sqlalchemy import select

from bot.app import Components, build_dispatcher
from bot.settings import load_settings
from core.enums import BotGroupStatus, MembershipStatus, Role
from storage.db import Database
from storage.models import Person, TelegramGroup
from tests.support import factories
from tests.support.backends import Backend
from tests.support.conversation import Harness, buttons
from tests.support.recording import RecordingSession

ADMIN_ID = 9001


@pytest.fixture
async def harness(
    backend: Backend, database: Database, redis: Redis | None
) -> AsyncIterator[Harness]:
    settings = load_settings(
        _env_file=None,
        bot_token="424242:TEST-token",
        database_url=backend.database_url,
        admin_user_ids=str(ADMIN_ID),
    )
    components = Components(
        settings=settings, database=database, redis=redis, redis_prefix=backend.redis_prefix
    )
    dispatcher = build_dispatcher(components)
    session = RecordingSession()
    bot = Bot("424242:TEST-token", session=session)
    yield Harness(dispatcher, bot, session)
    await dispatcher.fsm.close()


async def test_start_greets_a_newcomer_and_offers_their_actions(harness: Harness) -> None:
    resident = harness.person(101, "Amira")

    turn = await resident.says("/start")

    assert "Hello Amira, this is ShopWatch." in turn.last.text
    assert "In an emergency call 999; for non-emergency crime call 101." in turn.last.text
    assert buttons(turn.last) == ["Help", "Privacy"]


async def test_start_records_the_person_once_and_keeps_their_name_fresh(
    harness: Harness, database: Database
) -> None:
    await harness.person(102, "Bob").says("/start")
    await harness.person(102, "Robert").says("/start")

    async with database.sessions() as session:
        people = (await session.execute(select(Person))).scalars().all()
    assert [(p.telegram_user_id, p.full_name) for p in people] == [(102, "Robert")]


async def test_help_button_lists_the_commands(harness: Harness) -> None:
    resident = harness.person(103, "Chen")
    menu = (await resident.says("/start")).last

    turn = await resident.presses(menu, "Help")

    assert turn.callback_answers, "the button press must be answered"
    assert "/privacy - what we store, why, and for how long" in turn.text
    assert "/cancel - stop whatever you are in the middle of" in turn.text


async def test_privacy_explains_storage_retention_and_rights(harness: Harness) -> None:
    turn = await harness.person(104, "Dee").says("/privacy")

    for promise in ("What we store", "Who sees it", "12 months", "/mydata", "/deleteme"):
        assert promise in turn.text


async def test_privacy_button_shows_the_same_notice(harness: Harness) -> None:
    person = harness.person(105, "Eve")
    menu = (await person.says("/start")).last
    by_command = (await person.says("/privacy")).text

    assert (await person.presses(menu, "Privacy")).text == by_command


class Flow(StatesGroup):
    somewhere = State()


async def test_cancel_leaves_a_conversation_and_says_nothing_was_saved(harness: Harness) -> None:
    person = harness.person(106, "Finn")
    context = harness.dispatcher.fsm.get_context(harness.bot, chat_id=106, user_id=106)
    await context.set_state(Flow.somewhere)

    turn = await person.says("/cancel")

    assert "Cancelled. Nothing from that conversation was saved." in turn.text
    assert await context.get_state() is None


async def test_cancel_with_nothing_to_cancel_says_so(harness: Harness) -> None:
    turn = await harness.person(107, "Gus").says("/cancel")
    assert "There is nothing to cancel." in turn.text


async def test_a_garbled_start_link_is_explained_and_the_menu_still_shows(
    harness: Harness,
) -> None:
    turn = await harness.person(108, "Hal").says("/start not_a_real_payload")

    assert turn.replies[0].text == "That link is not one of ours, so I have ignored it."
    assert "Hello Hal" in turn.last.text


async def test_an_expired_invite_link_says_to_ask_for_a_new_one(
    harness: Harness, database: Database
) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.invite(
            session,
            scheme_id=scheme.id,
            code="EXPIRED1",
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )

    turn = await harness.person(109, "Ivy").says("/start join_EXPIRED1")

    assert "This invite link is not valid any more" in turn.text


async def test_a_used_single_use_invite_is_refused(harness: Harness, database: Database) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.invite(
            session, scheme_id=scheme.id, code="ONCEONLY", single_use=True, uses=1
        )

    turn = await harness.person(110, "Jo").says("/start join_ONCEONLY")

    assert "This invite link is not valid any more" in turn.text


async def test_a_valid_invite_names_its_scheme(harness: Harness, database: Database) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session, "Riverside Shop Watch")
        await factories.invite(session, scheme_id=scheme.id, code="RIVER123")

    turn = await harness.person(111, "Kim").says("/start join_RIVER123")

    assert "This invite is for Riverside Shop Watch." in turn.text


async def test_an_approved_coordinator_is_greeted_as_one(
    harness: Harness, database: Database
) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.member(
            session, telegram_user_id=112, scheme_id=scheme.id, role=Role.COORDINATOR
        )

    turn = await harness.person(112, "Lee").says("/start")

    assert "You are a coordinator" in turn.last.text


async def test_a_pending_trader_is_not_treated_as_a_member(
    harness: Harness, database: Database
) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.member(
            session,
            telegram_user_id=113,
            scheme_id=scheme.id,
            role=Role.TRADER,
            status=MembershipStatus.PENDING,
        )

    turn = await harness.person(113, "Mo").says("/start")

    assert "approved Shop Watch member" not in turn.last.text


GROUP = Chat(id=-1001234, type="supergroup", title="Market Town traders")
ALL_RIGHTS = {
    "can_delete_messages": True,
    "can_invite_users": True,
    "can_restrict_members": True,
    "can_pin_messages": True,
}


async def test_bot_added_as_plain_member_says_which_rights_it_needs(
    harness: Harness, database: Database
) -> None:
    turn = await harness.person(120, "Nia").adds_bot_to_group(GROUP, rights=None)

    assert turn.last.chat_id == GROUP.id
    for right in ("Delete messages", "Invite users via link", "Ban users", "Pin messages"):
        assert right in turn.last.text
    async with database.sessions() as session:
        group = await session.get(TelegramGroup, GROUP.id)
    assert group is not None and group.bot_status == BotGroupStatus.MEMBER
    assert group.added_by_telegram_id == 120


async def test_admin_missing_one_right_is_told_exactly_that(harness: Harness) -> None:
    rights = dict(ALL_RIGHTS, can_pin_messages=False)

    turn = await harness.person(121, "Oli").adds_bot_to_group(GROUP, rights=rights)

    assert "Pin messages" in turn.last.text
    assert "Ban users" not in turn.last.text


async def test_admin_with_every_right_says_the_group_is_ready(
    harness: Harness, database: Database
) -> None:
    turn = await harness.person(122, "Pat").adds_bot_to_group(GROUP, rights=ALL_RIGHTS)

    assert "I have every admin right I need here" in turn.last.text
    async with database.sessions() as session:
        group = await session.get(TelegramGroup, GROUP.id)
    assert group is not None and group.missing_rights == []


async def test_removing_the_bot_is_recorded_silently(harness: Harness, database: Database) -> None:
    person = harness.person(123, "Quin")
    await person.adds_bot_to_group(GROUP, rights=ALL_RIGHTS)

    turn = await person.removes_bot_from_group(GROUP)

    assert turn.replies == []
    async with database.sessions() as session:
        group = await session.get(TelegramGroup, GROUP.id)
    assert group is not None and group.bot_status == BotGroupStatus.LEFT


async def test_help_in_a_group_points_to_private_chat(harness: Harness) -> None:
    person = harness.person(124, "Ray")
    person.chat = GROUP

    turn = await person.says("/help")

    assert "I work in private chat" in turn.text


async def test_a_command_for_another_bot_is_ignored(harness: Harness) -> None:
    turn = await harness.person(125, "Sam").says("/help@someotherbot")
    assert turn.replies == []


async def test_an_unexpected_failure_apologises_and_is_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    from aiogram import Router
    from aiogram.filters import Command

    broken = Router(name="broken")

    @broken.message(Command("explode"))
    async def explode() -> None:
        raise RuntimeError("disk on fire")

    harness.dispatcher.include_router(broken)

    turn = await harness.person(126, "Tia").says("/explode")

    assert "something went wrong on our side and that last step was not saved" in turn.text
    assert any("failed" in record.message for record in caplog.records)
