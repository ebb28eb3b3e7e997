"""The real bot, run against the sandbox over HTTP, and the people who talk to it."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.process import ShopWatchProcess
from bot.settings import Settings, load_settings
from sandbox.client import Message, SandboxClient, SandboxGroup, SandboxUser
from sandbox.server import SandboxServer
from sandbox.state import SandboxConfig
from tests.support.backends import Backend
from tests.support.clock import MovableClock

WEBHOOK_SECRET = "dialogue-test-secret_42"
REPLY_TIMEOUT = 10.0


# Below Linux's ephemeral range (32768-60999), so that no outgoing connection of a parallel
# test worker can take the port between this probe and the bot binding it.
LISTEN_PORTS = range(20000, 32000)


def free_port() -> int:
    """A loopback port nobody is listening on right now, outside the ephemeral range."""
    for _ in range(100):
        port = random.choice(LISTEN_PORTS)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port found")


@dataclass
class LiveBot:
    """A sandboxed Telegram with the real ShopWatch process attached to it."""

    server: SandboxServer
    sandbox: SandboxClient
    process: ShopWatchProcess
    mode: str
    backend: Backend
    settings: Settings
    clock: MovableClock

    async def advance(self, by: timedelta) -> None:
        """Moves time forward for the bot and for Telegram alike."""
        self.clock.advance(by)
        await self.sandbox.advance_clock(by.total_seconds())

    async def restart(self) -> None:
        """Stops the bot process and starts a fresh one on the same storage, like a redeploy."""
        await self.process.stop()
        self.process = ShopWatchProcess(
            self.settings, clock=self.clock, redis_prefix=self.backend.redis_prefix
        )
        await self.process.start()

    async def person(self, first_name: str, *, user_id: int | None = None) -> Person:
        """Someone with a Telegram account who can talk to the bot."""
        user = await self.sandbox.create_user(first_name, user_id=user_id)
        return Person(self, user)

    async def group(self, title: str, *, creator: Person) -> SandboxGroup:
        """A Telegram supergroup created by `creator`."""
        return await self.sandbox.create_group(title, creator_id=creator.id)

    async def eventually(
        self, check: Callable[[], Awaitable[bool]], *, within: float = REPLY_TIMEOUT
    ) -> None:
        """Waits until `check` passes, re-checking whenever the sandbox sees activity."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        seq, _ = await self.sandbox.events()
        while not await check():
            if loop.time() > deadline:
                raise AssertionError(f"condition not met within {within}s")
            seq, _ = await self.sandbox.events(since=seq, timeout=0.1)

    async def next_in_group(self, group: SandboxGroup) -> Message:
        """The bot's next message in a group."""
        return await self.sandbox.wait_for_message(group.id, timeout=REPLY_TIMEOUT)


class Person:
    """One person's side of their private chat with the bot."""

    def __init__(self, live: LiveBot, user: SandboxUser) -> None:
        self.live = live
        self.user = user

    @property
    def id(self) -> int:
        """Their Telegram user id."""
        return self.user.id

    async def says(self, text: str) -> Message:
        """Sends a message in private chat and returns the bot's first reply."""
        await self.live.sandbox.send_text(self.id, text)
        return await self.next_reply()

    async def says_in(self, group: SandboxGroup, text: str) -> Message:
        """Sends a message in a group and returns the bot's next message there."""
        await self.live.sandbox.send_text(self.id, text, chat_id=group.id)
        return await self.live.next_in_group(group)

    async def next_reply(self) -> Message:
        """The bot's next message in this person's private chat."""
        return await self.live.sandbox.wait_for_message(self.id, timeout=REPLY_TIMEOUT)

    async def replies_until(self, text: str) -> list[Message]:
        """The bot's messages up to and including the first that contains `text`."""
        seen = [await self.next_reply()]
        while text not in seen[-1].body:
            seen.append(await self.next_reply())
        return seen

    async def shares_location(self, latitude: float, longitude: float) -> Message:
        """Shares a location pin and returns the bot's first reply."""
        await self.live.sandbox.send_location(self.id, latitude, longitude)
        return await self.next_reply()

    async def sends_photos(self, count: int, caption: str | None = None) -> Message:
        """Sends one photo, or an album of `count`, and returns the bot's first reply."""
        await self.live.sandbox.send_photo(self.id, count=count, caption=caption)
        return await self.next_reply()

    async def sends_sticker(self) -> Message:
        """Sends a sticker and returns the bot's first reply."""
        await self.live.sandbox.send_sticker(self.id)
        return await self.next_reply()

    async def presses(self, label: str, on: Message) -> Message:
        """Presses a button under a message and returns the bot's next reply."""
        await self.press(label, on)
        return await self.next_reply()

    async def press(self, label: str, on: Message) -> dict[str, Any]:
        """Presses a button and returns the bot's answer to the press (the little toast)."""
        query_id = await self.live.sandbox.press(
            self.id, on.message_id, chat_id=on.chat_id, text=label
        )
        return await self.live.sandbox.wait_for_callback_answer(query_id, timeout=REPLY_TIMEOUT)

    async def hears_nothing(self) -> None:
        """Asserts the bot sent this person nothing more, using /help as a sentinel.

        One person's updates are handled in order, so if the next reply is the help text,
        nothing else was on its way.
        """
        reply = await self.says("/help")
        assert reply.body.startswith("Here is what I can do for you:"), reply.body

    async def adds_bot_to(self, group: SandboxGroup, *, rights: dict[str, bool] | None) -> None:
        """Adds the bot to a group: as an admin with `rights`, or as a plain member (None)."""
        await self.live.sandbox.add_bot_to_group(
            group.id, admin=rights is not None, rights=rights, by_user_id=self.id
        )


@asynccontextmanager
async def running_bot(
    backend: Backend,
    *,
    mode: str,
    admin_user_ids: tuple[int, ...] = (),
    **overrides: Any,
) -> AsyncIterator[LiveBot]:
    """Starts a sandbox and the real bot against it; stops both afterwards."""
    server = SandboxServer(
        config=SandboxConfig(strict_shapes=True, webhook_retry_base=0.05, webhook_retry_max=0.5)
    )
    await server.start()
    port = free_port()
    values: dict[str, Any] = {
        "bot_token": server.token,
        "telegram_api_url": server.base_url,
        "database_url": backend.database_url,
        "redis_url": backend.redis_url,
        "webhook_listen": f"127.0.0.1:{port}",
        "admin_user_ids": ",".join(str(i) for i in admin_user_ids),
        # Tests type faster than any person; the flood-limit tests set their own limit.
        "flood_limit_per_minute": 10_000,
    }
    values.update(overrides)
    if mode == "webhook":
        values["webhook_url"] = f"http://127.0.0.1:{port}/telegram"
        values["webhook_secret"] = WEBHOOK_SECRET
    settings = load_settings(_env_file=None, **values)
    clock = MovableClock()
    sandbox = SandboxClient(server.base_url)
    # People answer at human speed; tests answer at once. Private-chat pacing is relaxed here
    # so functional tests stay quick; the pacing tests switch Telegram's real limits back on.
    await sandbox.set_limits(private_per_second=50.0, private_burst=50)
    live = LiveBot(
        server,
        sandbox,
        ShopWatchProcess(settings, clock=clock, redis_prefix=backend.redis_prefix),
        mode,
        backend,
        settings,
        clock,
    )
    try:
        await live.process.start()
        yield live
        await live.process.stop()
        # `close` and `logOut` would lock the real bot out of Telegram for minutes.
        calls = await sandbox.calls()
        assert calls.count("close") == calls.count("logOut") == 0, "the bot called close/logOut"
    finally:
        await live.process.stop()
        await sandbox.close()
        await server.stop()
