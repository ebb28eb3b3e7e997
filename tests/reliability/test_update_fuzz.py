"""Whatever Telegram could post, the bot answers it or ignores it: it never falls over."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.types import ChatMemberAdministrator, ChatMemberRestricted
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bot.webhook import SECRET_HEADER
from handlers.errors import SORRY
from sandbox.client import SandboxGroup, SandboxUser
from tests.support.backends import Backend
from tests.support.evidence import captured_logs, raw_post, record_figure
from tests.support.live import WEBHOOK_SECRET, LiveBot, running_bot
from tests.support.soak import scale
from tests.support.town import ALL_RIGHTS

COMMANDS = (
    "start", "help", "cancel", "report", "myreports", "reports", "incident", "incidents",
    "gallery", "audit", "broadcast", "subscribe", "privacy", "mydata", "deleteme", "linkgroup",
)  # fmt: skip
CONTACT = {"phone_number": "+447700900123", "first_name": "Someone"}
FILE = {"file_id": "BQACAgIAAxkBAAIfuzzed", "file_unique_id": "AQADfuzz"}
NOW = int(datetime.now(UTC).timestamp())
MAX_ID = 2**53


@dataclass
class Cast:
    """The people and group the fuzzed updates come from (Telegram only posts real chats)."""

    users: list[SandboxUser]
    group: SandboxGroup


@dataclass
class Target:
    """The bot under fuzz, reached over HTTP like Telegram reaches it."""

    live: LiveBot
    cast: Cast
    posted: int = 0
    seen: dict[int, int] = field(default_factory=dict)

    async def post(self, body: bytes) -> int:
        """Posts raw bytes to the webhook with the right secret; returns the status."""
        headers = [
            (b"Content-Type", b"application/json"),
            (SECRET_HEADER.encode(), WEBHOOK_SECRET.encode()),
        ]
        status, _ = await raw_post(self.live.settings.listen_port, "/telegram", headers, body)
        self.posted += 1
        return status


@pytest.fixture
async def target(backend: Backend) -> AsyncIterator[Target]:
    """The real bot in webhook mode, with two people who started it and a group it admins."""
    async with running_bot(backend, mode="webhook") as live:
        users = [await live.sandbox.create_user(name, started=True) for name in ("Ann", "Bo")]
        group = await live.sandbox.create_group("Fuzz Street", creator_id=users[0].id)
        await live.sandbox.add_bot_to_group(
            group.id, admin=True, rights=ALL_RIGHTS, by_user_id=users[0].id
        )
        fuzzed = Target(live, Cast(users, group))
        yield fuzzed
        record_figure(f"fuzz {backend.name}: updates posted", fuzzed.posted)


# ------------------------------------------------------------------ strategies

ids = st.one_of(st.integers(-(2**31), 2**31), st.integers(-MAX_ID, MAX_ID))
huge_text = st.builds(lambda char, times: char * times, st.characters(), st.integers(1000, 9000))
texts = st.one_of(
    st.text(max_size=80),
    huge_text,
    st.builds(
        lambda command, bot, args: f"/{command}{bot}{args}",
        st.sampled_from(COMMANDS) | st.text(max_size=12),
        st.sampled_from(["", "@shopwatch_test_bot", "@other_bot"]),
        st.sampled_from(["", " "]).flatmap(lambda space: st.text(max_size=40).map(space.__add__)),
    ),
)
unknown_fields = st.dictionaries(
    st.text(min_size=1, max_size=10).map(lambda name: f"x_{name}"),
    st.one_of(st.none(), st.integers(), st.text(max_size=20), st.booleans()),
    max_size=2,
)


def person(user_id: int) -> st.SearchStrategy[dict[str, Any]]:
    """A user object with random names and optional fields present or missing."""
    return st.fixed_dictionaries(
        {"id": st.just(user_id), "is_bot": st.just(False), "first_name": st.text(max_size=70)},
        optional={
            "last_name": st.text(max_size=70),
            "username": st.text(max_size=40),
            "language_code": st.sampled_from(["en", "cy", "", "zz-ZZ", "ÿ"]),
            "is_premium": st.booleans(),
        },
    )


def entities(text: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A bot_command entity when the text is a command, plus random (even wrong) ones."""
    command = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}]
    random_entity = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["bold", "mention", "url", "bot_command", "text_link"]),
            "offset": st.integers(-5, len(text) + 5),
            "length": st.integers(0, len(text) + 5),
        },
        optional={"url": st.just("https://example.org")},
    )
    fixed = command if text.startswith("/") else []
    return st.lists(random_entity, max_size=2).map(lambda extra: fixed + extra)


def content() -> st.SearchStrategy[dict[str, Any]]:
    """What a message carries: text, a file of some kind, a place, a contact, a join."""
    text_content = texts.flatmap(
        lambda text: st.fixed_dictionaries(
            {"text": st.just(text)}, optional={"entities": entities(text)}
        )
    )
    return st.one_of(
        text_content,
        text_content,
        st.just({"sticker": {**FILE, "type": "regular", "width": 512, "height": 512,
                             "is_animated": False, "is_video": False}}),
        st.just({"photo": [{**FILE, "width": 90, "height": 90}]}),
        st.builds(lambda caption: {"document": FILE, "caption": caption}, st.text(max_size=30)),
        st.just({"voice": {**FILE, "duration": 2}}),
        st.just({"video": {**FILE, "width": 1, "height": 1, "duration": 1}}),
        st.builds(
            lambda lat, lon: {"location": {"latitude": lat, "longitude": lon}},
            st.floats(-90, 90),
            st.floats(-180, 180),
        ),
        st.just({"contact": CONTACT}),
    )  # fmt: skip


def message(cast: Cast) -> st.SearchStrategy[dict[str, Any]]:
    """A message in a private chat with the bot, or in the group."""
    user = st.sampled_from(cast.users)
    private = user.flatmap(
        lambda u: st.tuples(
            st.just({"id": u.id, "type": "private", "first_name": u.first_name}), person(u.id)
        )
    )
    in_group = user.flatmap(
        lambda u: st.tuples(
            st.just({"id": cast.group.id, "type": "supergroup", "title": cast.group.title}),
            person(u.id),
        )
    )
    return st.tuples(st.one_of(private, in_group), content(), ids, unknown_fields).map(
        lambda parts: {
            "message_id": parts[2],
            "date": NOW,
            "chat": parts[0][0],
            "from": parts[0][1],
            **parts[1],
            **parts[3],
        }
    )


def member_change(cast: Cast, bot_id: int) -> st.SearchStrategy[dict[str, Any]]:
    """Someone (or the bot) joining, leaving, promoted or banned in the group."""
    statuses = st.sampled_from(["member", "left", "kicked", "restricted", "administrator"])
    user = st.sampled_from(cast.users)

    def member(status: str, user_id: int, is_bot: bool) -> dict[str, Any]:
        who = {"id": user_id, "is_bot": is_bot, "first_name": "Someone"}
        extra: dict[str, Any] = {}
        if status == "kicked":
            extra = {"until_date": 0}
        if status == "restricted":
            extra = {"is_member": True, "until_date": 0, **dict.fromkeys(RESTRICTED, False)}
        if status == "administrator":
            extra = {"can_be_edited": False, "is_anonymous": False,
                     **dict.fromkeys(ADMIN_RIGHTS, True)}  # fmt: skip
        return {"status": status, "user": who, **extra}

    return st.tuples(statuses, statuses, user, st.booleans()).map(
        lambda parts: {
            "chat": {"id": cast.group.id, "type": "supergroup", "title": cast.group.title},
            "from": {"id": parts[2].id, "is_bot": False, "first_name": parts[2].first_name},
            "date": NOW,
            "old_chat_member": member(parts[0], bot_id if parts[3] else parts[2].id, parts[3]),
            "new_chat_member": member(parts[1], bot_id if parts[3] else parts[2].id, parts[3]),
        }
    )


def _required_rights(kind: type[BaseModel]) -> list[str]:
    return [
        name
        for name, spec in kind.model_fields.items()
        if spec.is_required() and name.startswith("can_")
    ]


RESTRICTED = _required_rights(ChatMemberRestricted)
ADMIN_RIGHTS = _required_rights(ChatMemberAdministrator)


def updates(cast: Cast, bot_id: int) -> st.SearchStrategy[dict[str, Any]]:
    """A Telegram update of any kind the bot could be sent."""
    channel = {"id": -1001234567890, "type": "channel", "title": "Town News"}
    kinds = st.one_of(
        message(cast).map(lambda m: {"message": m}),
        message(cast).map(lambda m: {"edited_message": {**m, "edit_date": NOW}}),
        message(cast).map(
            lambda m: {"channel_post": {**m, "chat": channel, "sender_chat": channel}}
        ),
        message(cast).map(lambda m: {"edited_channel_post": {**m, "chat": channel}}),
        member_change(cast, bot_id).map(lambda change: {"my_chat_member": change}),
        member_change(cast, bot_id).map(lambda change: {"chat_member": change}),
        st.tuples(st.sampled_from(cast.users), st.text(max_size=100)).map(
            lambda parts: {
                "inline_query": {
                    "id": "4385000000000000001",
                    "from": {"id": parts[0].id, "is_bot": False, "first_name": "x"},
                    "query": parts[1],
                    "offset": "",
                }
            }
        ),
    )
    return st.tuples(ids, kinds, unknown_fields).map(
        lambda parts: {"update_id": parts[0], **parts[1], **parts[2]}
    )


garbage = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
update_keys = st.sampled_from(["message", "callback_query", "edited_message", "my_chat_member"])
raw_garbage = st.one_of(
    garbage,
    st.tuples(ids, update_keys, garbage).map(lambda p: {"update_id": p[0], p[1]: p[2]}),
    st.tuples(ids, garbage).map(lambda p: {"update_id": p[0], "x_unknown_kind": p[1]}),
)


# ----------------------------------------------------------------------- tests

# Each example is a round trip through the live bot: fewer than the profile's 100 in CI.
FUZZ_SETTINGS = settings(
    max_examples=scale(40, 2_000),
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def assert_answered_or_ignored(target: Target, body: dict[str, Any] | Any) -> int:
    """Posts one update; nothing may fail, and nobody may be told something went wrong."""
    chats = [user.id for user in target.cast.users] + [target.cast.group.id]
    sandbox = target.live.sandbox
    with captured_logs(logging.INFO) as logs:
        status = await target.post(json.dumps(body).encode())
    assert logs.failures() == [], body
    apologies: list[str] = []
    for chat in chats:
        told = await sandbox.messages(chat, after=target.seen.get(chat, 0), sender="bot")
        apologies += [m.body for m in told if SORRY in m.body]
        if told:
            target.seen[chat] = told[-1].message_id
    assert apologies == [], body
    return status


@pytest.mark.timeout(scale(300, 3600))
@FUZZ_SETTINGS
@given(data=st.data())
async def test_any_update_telegram_could_post_is_answered_or_ignored(
    target: Target, data: st.DataObject
) -> None:
    bot_id = int(target.live.server.token.split(":")[0])
    update = data.draw(updates(target.cast, bot_id))

    assert await assert_answered_or_ignored(target, update) == 200


@pytest.mark.timeout(scale(300, 3600))
@FUZZ_SETTINGS
@given(body=raw_garbage)
async def test_garbage_is_refused_or_ignored_without_a_fuss(target: Target, body: Any) -> None:
    assert await assert_answered_or_ignored(target, body) in (200, 400)


button_data = st.one_of(
    st.text(min_size=1, max_size=64),
    st.from_regex(r"[a-z0-9]{1,6}:[a-z0-9:_-]{0,40}", fullmatch=True),
).filter(lambda data: 0 < len(data.encode()) <= 64)


@pytest.mark.timeout(scale(300, 3600))
@FUZZ_SETTINGS
@given(data=button_data)
async def test_a_button_pressed_with_any_data_is_answered_without_a_fuss(
    target: Target, data: str
) -> None:
    sandbox = target.live.sandbox
    ann = target.cast.users[0]
    if ann.id not in target.seen:
        await sandbox.send_text(ann.id, "/start")
        target.seen[ann.id] = (await sandbox.wait_for_message(ann.id)).message_id
    target.posted += 1

    with captured_logs(logging.INFO) as logs:
        query = await sandbox.press(ann.id, target.seen[ann.id], data=data, forged=True)
        answer = await sandbox.wait_for_callback_answer(query, timeout=10)

    assert logs.failures() == [], data
    assert SORRY not in str(answer.get("text")), data
