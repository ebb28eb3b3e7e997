"""The first conversations anyone has with ShopWatch, through the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.fsm.state import State, StatesGroup
from sqlalchemy import select

from core.enums import BotGroupStatus, MembershipStatus, Role
from storage.db import Database
from storage.models import Person, TelegramGroup
from tests.support import factories
from tests.support.backends import Backend
from tests.support.live import LiveBot, running_bot

ALL_RIGHTS = {
    "can_delete_messages": True,
    "can_invite_users": True,
    "can_restrict_members": True,
    "can_pin_messages": True,
}
RIGHTS_NEEDED = ("Delete messages", "Invite users via link", "Ban users", "Pin messages")


async def test_start_greets_a_newcomer_and_offers_their_actions(live: LiveBot) -> None:
    amira = await live.person("Amira")

    reply = await amira.says("/start")

    assert "Hello Amira, this is ShopWatch." in reply.body
    assert "In an emergency call 999; for non-emergency crime call 101." in reply.body
    assert reply.buttons == [
        ["Report a problem", "My reports"],
        ["Alerts I get", "My data"],
        ["Delete my data", "Help"],
        ["Privacy"],
    ]


async def test_start_records_the_person_once(live: LiveBot, database: Database) -> None:
    bob = await live.person("Bob")

    await bob.says("/start")
    await bob.says("/start")

    async with database.sessions() as session:
        people = (await session.execute(select(Person))).scalars().all()
    assert [(p.telegram_user_id, p.full_name) for p in people] == [(bob.id, "Bob")]


async def test_the_command_menu_is_published_at_start_up(live: LiveBot) -> None:
    bot = (await live.sandbox.bots())[0]
    published = {command["command"] for scope in bot["commands"] for command in scope["commands"]}

    assert {"start", "report", "myreports", "subscribe", "help", "privacy", "cancel"} <= published
    assert {"mydata", "deleteme"} <= published
    assert "reports" not in published, "coordinator commands stay out of everyone's menu"


async def test_help_button_lists_the_commands(live: LiveBot) -> None:
    chen = await live.person("Chen")
    menu = await chen.says("/start")

    reply = await chen.presses("Help", on=menu)

    assert "/privacy - what we store, why, and for how long" in reply.body
    assert "/mydata - get a copy of what ShopWatch holds about you" in reply.body
    assert "/deleteme - erase what ShopWatch holds about you" in reply.body
    assert "/cancel - stop whatever you are in the middle of" in reply.body


async def test_help_command_lists_the_same(live: LiveBot) -> None:
    reply = await (await live.person("Cal")).says("/help")
    assert reply.body.startswith("Here is what I can do for you:")


async def test_privacy_explains_storage_retention_and_rights(live: LiveBot) -> None:
    reply = await (await live.person("Dee")).says("/privacy")

    for promise in (
        "What we store",
        "Who sees it",
        "12 months",
        "a copy of everything",
        "erased",
        "within one month",
        "/mydata",
        "/deleteme",
        "24 months after the report is filed",
    ):
        assert promise in reply.body


async def test_privacy_button_shows_the_same_notice(live: LiveBot) -> None:
    eve = await live.person("Eve")
    menu = await eve.says("/start")
    by_command = await eve.says("/privacy")

    by_button = await eve.presses("Privacy", on=menu)

    assert by_button.body == by_command.body


class SomeFlow(StatesGroup):
    step = State()


async def test_cancel_leaves_a_conversation_and_says_nothing_was_saved(live: LiveBot) -> None:
    finn = await live.person("Finn")
    assert live.process.dispatcher is not None and live.process.bot is not None
    context = live.process.dispatcher.fsm.get_context(
        live.process.bot, chat_id=finn.id, user_id=finn.id
    )
    await context.set_state(SomeFlow.step)

    reply = await finn.says("/cancel")

    assert "Cancelled. Nothing from that conversation was saved." in reply.body
    assert await context.get_state() is None


async def test_cancel_with_nothing_to_cancel_says_so(live: LiveBot) -> None:
    reply = await (await live.person("Gus")).says("/cancel")
    assert "There is nothing to cancel." in reply.body


async def test_a_garbled_start_link_is_explained_and_the_menu_still_shows(
    live: LiveBot,
) -> None:
    hal = await live.person("Hal")

    first = await hal.says("/start not_a_real_payload")
    second = await hal.next_reply()

    assert first.body == "That link is not one of ours, so I have ignored it."
    assert "Hello Hal" in second.body


async def test_an_expired_invite_link_says_to_ask_for_a_new_one(
    live: LiveBot, database: Database
) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.invite(
            session,
            scheme_id=scheme.id,
            code="EXPIRED1",
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )
    ivy = await live.person("Ivy")

    reply = await ivy.says("/start join_EXPIRED1")

    assert "This invite link is not valid any more" in reply.body


async def test_a_used_single_use_invite_is_refused(live: LiveBot, database: Database) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.invite(
            session, scheme_id=scheme.id, code="ONCEONLY", single_use=True, uses=1
        )

    reply = await (await live.person("Jo")).says("/start join_ONCEONLY")

    assert "This invite link is not valid any more" in reply.body


async def test_a_valid_invite_names_its_scheme(live: LiveBot, database: Database) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session, "Riverside Shop Watch")
        await factories.invite(session, scheme_id=scheme.id, code="RIVER123")

    reply = await (await live.person("Kim")).says("/start join_RIVER123")

    assert "This invite is for Riverside Shop Watch." in reply.body


async def test_an_approved_coordinator_is_greeted_as_one(live: LiveBot, database: Database) -> None:
    lee = await live.person("Lee")
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.member(
            session, telegram_user_id=lee.id, scheme_id=scheme.id, role=Role.COORDINATOR
        )

    reply = await lee.says("/start")

    assert "You are a coordinator" in reply.body


async def test_a_pending_trader_is_not_treated_as_a_member(
    live: LiveBot, database: Database
) -> None:
    mo = await live.person("Mo")
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.member(
            session,
            telegram_user_id=mo.id,
            scheme_id=scheme.id,
            role=Role.TRADER,
            status=MembershipStatus.PENDING,
        )

    reply = await mo.says("/start")

    assert "approved Shop Watch member" not in reply.body


async def test_bot_added_as_a_plain_member_says_which_rights_it_needs(
    live: LiveBot, database: Database
) -> None:
    nia = await live.person("Nia")
    group = await live.group("Market Town traders", creator=nia)

    await nia.adds_bot_to(group, rights=None)
    notice = await live.next_in_group(group)

    for right in RIGHTS_NEEDED:
        assert right in notice.body
    async with database.sessions() as session:
        stored = await session.get(TelegramGroup, group.id)
    assert stored is not None and stored.bot_status == BotGroupStatus.MEMBER
    assert stored.added_by_telegram_id == nia.id


async def test_an_admin_missing_one_right_is_told_exactly_that(live: LiveBot) -> None:
    oli = await live.person("Oli")
    group = await live.group("High Street", creator=oli)

    await oli.adds_bot_to(group, rights=dict(ALL_RIGHTS, can_pin_messages=False))
    notice = await live.next_in_group(group)

    assert "Pin messages" in notice.body
    assert "Ban users" not in notice.body


async def test_an_admin_with_every_right_says_the_group_is_ready(
    live: LiveBot, database: Database
) -> None:
    pat = await live.person("Pat")
    group = await live.group("Station Road", creator=pat)

    await pat.adds_bot_to(group, rights=ALL_RIGHTS)
    notice = await live.next_in_group(group)

    assert "I have every admin right I need here" in notice.body
    async with database.sessions() as session:
        stored = await session.get(TelegramGroup, group.id)
    assert stored is not None and stored.missing_rights == []


async def test_promoting_the_bot_later_is_noticed(live: LiveBot) -> None:
    quin = await live.person("Quin")
    group = await live.group("Old Town", creator=quin)
    await quin.adds_bot_to(group, rights=None)
    await live.next_in_group(group)

    await live.sandbox.set_bot_admin(group.id, admin=True, rights=ALL_RIGHTS)

    assert "every admin right I need" in (await live.next_in_group(group)).body


async def test_removing_the_bot_is_recorded_silently(live: LiveBot, database: Database) -> None:
    ray = await live.person("Ray")
    group = await live.group("Riverside", creator=ray)
    await ray.adds_bot_to(group, rights=ALL_RIGHTS)
    await live.next_in_group(group)

    await live.sandbox.remove_bot_from_group(group.id, by_user_id=ray.id)

    async def recorded_as_left() -> bool:
        async with database.sessions() as session:
            stored = await session.get(TelegramGroup, group.id)
            return stored is not None and stored.bot_status == BotGroupStatus.LEFT

    await live.eventually(recorded_as_left)
    transcript = await live.sandbox.transcript(group.id)
    assert [m.body for m in transcript if m.from_bot][-1].startswith("I have every admin right")


async def test_help_in_a_group_points_to_private_chat(live: LiveBot) -> None:
    sam = await live.person("Sam")
    group = await live.group("Market Square", creator=sam)
    await sam.adds_bot_to(group, rights=ALL_RIGHTS)
    await live.next_in_group(group)

    reply = await sam.says_in(group, f"/help@{live.server.username}")

    assert "I work in private chat" in reply.body


async def test_a_command_for_another_bot_is_refused_clearly(live: LiveBot) -> None:
    tia = await live.person("Tia")

    reply = await tia.says("/help@someotherbot")

    assert (
        reply.body
        == "That command is addressed to @someotherbot, not to me. Send /help to see mine."
    )


async def test_an_approved_trader_is_greeted_as_a_member(live: LiveBot, database: Database) -> None:
    wes = await live.person("Wes")
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.member(
            session, telegram_user_id=wes.id, scheme_id=scheme.id, role=Role.TRADER
        )

    assert "You are an approved Shop Watch member." in (await wes.says("/start")).body


async def test_group_members_who_never_talk_to_the_bot_are_not_recorded(
    live: LiveBot, database: Database
) -> None:
    xan = await live.person("Xan")
    bystander = await live.person("Bystander")
    group = await live.group("Market Square", creator=xan)
    await live.sandbox.join(group.id, bystander.id)
    await xan.adds_bot_to(group, rights=ALL_RIGHTS)
    await live.next_in_group(group)

    await live.sandbox.send_text(bystander.id, "Anyone seen the delivery van?", chat_id=group.id)
    await live.sandbox.send_text(xan.id, f"/help@{live.server.username}", chat_id=group.id)
    await live.next_in_group(group)

    async with database.sessions() as session:
        names = set((await session.execute(select(Person.full_name))).scalars())
    assert "Bystander" not in names


async def test_when_telegram_fails_mid_reply_the_reply_is_sent_again(live: LiveBot) -> None:
    uma = await live.person("Uma")
    await live.sandbox.inject_fault("sendMessage", kind="500", count=1)

    reply = await uma.says("/start")

    assert "Hello Uma, this is ShopWatch." in reply.body
    await uma.hears_nothing()


async def test_a_group_that_belongs_to_a_scheme_is_recognised(
    live: LiveBot, database: Database
) -> None:
    vic = await live.person("Vic")
    group = await live.group("Market Town traders", creator=vic)
    async with database.sessions() as session:
        scheme = await factories.scheme(session, "Market Town Shop Watch")
        async with session.begin():
            (await session.merge(scheme)).telegram_group_id = group.id

    await vic.adds_bot_to(group, rights=ALL_RIGHTS)
    notice = await live.next_in_group(group)

    assert "This is the Market Town Shop Watch group." in notice.body
    async with database.sessions() as session:
        stored = await session.get(TelegramGroup, group.id)
    assert stored is not None and stored.scheme_id == scheme.id


async def test_stopping_right_after_starting_releases_everything(backend: Backend) -> None:
    for mode in ("polling", "webhook"):
        async with running_bot(backend, mode=mode) as live:
            await live.process.stop()
            assert live.process.stopped.is_set()
            assert live.process.bot is not None
            session = live.process.bot.session
            assert isinstance(session, AiohttpSession)
            assert session._session is None or session._session.closed


async def test_start_up_warns_when_a_scheme_group_lacks_rights(
    live: LiveBot, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    yan = await live.person("Yan")
    group = await live.group("Market Town traders", creator=yan)
    async with database.sessions() as session:
        scheme = await factories.scheme(session, "Market Town Shop Watch")
        async with session.begin():
            (await session.merge(scheme)).telegram_group_id = group.id
    await yan.adds_bot_to(group, rights=dict(ALL_RIGHTS, can_restrict_members=False))
    await live.next_in_group(group)
    caplog.set_level(logging.WARNING, logger="bot.startup")

    await live.restart()

    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.startup"]
    assert any(
        "Market Town traders" in w and "Ban users" in w and "Pin messages" not in w
        for w in warnings
    ), warnings


async def test_updates_in_flight_keep_redis_until_they_finish_when_the_bot_stops(
    live: LiveBot,
) -> None:
    if live.backend.redis_url is None or live.mode != "polling":
        # In webhook mode each update is handled inside its HTTP request, which the server's
        # graceful shutdown waits for.
        pytest.skip("only polling hands updates to background tasks with Redis state")
    process = live.process
    assert process.dispatcher is not None and process.redis is not None
    redis = process.redis

    # A handler still waiting on Redis when the stop begins (aiogram's own shutdown hook used
    # to close the storage's client under it, losing the conversation's next step).
    async def waiting_on_redis() -> object:
        return await redis.blpop([f"{live.backend.redis_prefix}:nothing"], 0.5)

    in_flight = asyncio.create_task(waiting_on_redis())
    process.dispatcher._handle_update_tasks.add(in_flight)
    await asyncio.sleep(0.05)

    await process.stop()

    assert in_flight.done() and in_flight.exception() is None
