"""Outer middlewares: a database session and the person behind each update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, Message, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.people import identify, look_up

# Anonymous group admins arrive as this user, automatic channel forwards as 777000,
# and channel posts forwarded into groups as 136817688: none of them is a person.
SERVICE_ACCOUNTS = frozenset({1087968824, 777000, 136817688})

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """Opens one database session for the whole update and closes it afterwards."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessions() as session:
            data["session"] = session
            return await handler(event, data)


class IgnoreAutomaticForwards(BaseMiddleware):
    """Drops a linked channel's posts that Telegram forwards into a group: nobody sent them."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message) and (
            event.is_automatic_forward or (event.from_user and event.from_user.id == 777000)
        ):
            return None
        return await handler(event, data)


class PersonMiddleware(BaseMiddleware):
    """Hands the sender's roles to the handler; records them only in their private chat.

    Group members who never talk to the bot are not stored: a person's data is kept only
    once they use the bot themselves, where /start and /privacy explain what is kept.
    """

    def __init__(self, admin_user_ids: tuple[int, ...]) -> None:
        self.admin_user_ids = admin_user_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or user.is_bot or user.id in SERVICE_ACCOUNTS:
            return await handler(event, data)
        if chat is not None and chat.type == "private":
            data["person"] = await identify(
                data["session"],
                telegram_user_id=user.id,
                full_name=user.full_name,
                username=user.username,
                language_code=user.language_code,
                admin_user_ids=self.admin_user_ids,
            )
        else:
            person = await look_up(
                data["session"], telegram_user_id=user.id, admin_user_ids=self.admin_user_ids
            )
            if person is not None:
                data["person"] = person
        return await handler(event, data)
