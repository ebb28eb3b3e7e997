"""Drives the dispatcher as people would, turn by turn, and shows what the bot answered."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)

from tests.support.recording import BOT_USER, RecordingSession

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


@dataclass
class Turn:
    """What the bot did in answer to one thing a person did."""

    calls: list[TelegramMethod[Any]]

    @property
    def replies(self) -> list[SendMessage]:
        """The messages the bot sent."""
        return [call for call in self.calls if isinstance(call, SendMessage)]

    @property
    def text(self) -> str:
        """All reply texts, joined."""
        return "\n".join(reply.text for reply in self.replies)

    @property
    def last(self) -> SendMessage:
        """The last message the bot sent."""
        assert self.replies, f"the bot sent nothing; calls: {self.calls}"
        return self.replies[-1]

    @property
    def callback_answers(self) -> list[AnswerCallbackQuery]:
        """The bot's answers to button presses."""
        return [call for call in self.calls if isinstance(call, AnswerCallbackQuery)]


def buttons(reply: SendMessage) -> list[str]:
    """The labels of the inline buttons under a message, row by row."""
    markup = reply.reply_markup
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [button.text for row in markup.inline_keyboard for button in row]


class Harness:
    """The real dispatcher and a recording bot, fed updates one at a time."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, session: RecordingSession) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session

    async def feed(self, **update: Any) -> Turn:
        """Feeds one update and returns what the bot did while handling it."""
        before = len(self.session.calls)
        raw = Update(update_id=next(_update_ids), **update).model_dump(
            mode="json", exclude_none=True, by_alias=True
        )
        await self.dispatcher.feed_update(
            self.bot, Update.model_validate(raw, context={"bot": self.bot})
        )
        return Turn(self.session.calls[before:])

    def person(self, user_id: int, first_name: str) -> Person:
        """Someone who will talk to the bot in private chat."""
        return Person(self, User(id=user_id, is_bot=False, first_name=first_name))


class Person:
    """One person's side of a private chat with the bot."""

    def __init__(self, harness: Harness, user: User) -> None:
        self.harness = harness
        self.user = user
        self.chat = Chat(id=user.id, type="private", first_name=user.first_name)

    async def says(self, text: str) -> Turn:
        """The person sends a text message (or command)."""
        message = Message(
            message_id=next(_message_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            text=text,
        )
        return await self.harness.feed(message=message)

    async def presses(self, reply: SendMessage, label: str) -> Turn:
        """The person presses the button labelled `label` under one of the bot's messages."""
        markup = reply.reply_markup
        assert isinstance(markup, InlineKeyboardMarkup), "that message has no buttons"
        matches = [b for row in markup.inline_keyboard for b in row if b.text == label]
        assert matches, f"no button {label!r}; buttons are {buttons(reply)}"
        message = Message(
            message_id=next(_message_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=BOT_USER,
            text=reply.text,
            reply_markup=markup,
        )
        query = CallbackQuery(
            id=str(next(_update_ids)),
            from_user=self.user,
            chat_instance="ci",
            message=message,
            data=matches[0].callback_data,
        )
        return await self.harness.feed(callback_query=query)

    async def adds_bot_to_group(self, group: Chat, *, rights: dict[str, bool] | None) -> Turn:
        """The person adds the bot to a group: as an admin with `rights`, or as a member."""
        if rights is None:
            new: Any = ChatMemberMember(user=BOT_USER)
        else:
            new = ChatMemberAdministrator(
                user=BOT_USER,
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=rights.get("can_delete_messages", False),
                can_manage_video_chats=False,
                can_restrict_members=rights.get("can_restrict_members", False),
                can_promote_members=False,
                can_change_info=False,
                can_invite_users=rights.get("can_invite_users", False),
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_send_welcome_messages=False,
                can_pin_messages=rights.get("can_pin_messages", False),
            )
        return await self._bot_status(group, new)

    async def removes_bot_from_group(self, group: Chat) -> Turn:
        """The person removes the bot from a group."""
        return await self._bot_status(group, ChatMemberLeft(user=BOT_USER))

    async def _bot_status(self, group: Chat, new: Any) -> Turn:
        event = ChatMemberUpdated(
            chat=group,
            from_user=self.user,
            date=datetime.now(UTC),
            old_chat_member=ChatMemberLeft(user=BOT_USER),
            new_chat_member=new,
        )
        return await self.harness.feed(my_chat_member=event)
