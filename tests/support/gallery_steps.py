"""Steps and look-ups the gallery tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.filters.callback_data import CallbackData
from sqlalchemy import select

from sandbox.client import Message
from storage.db import Database
from storage.models import AuditEntry, MessageDeletion, Person, Subject, SubjectPhoto
from tests.support import factories
from tests.support.live import LiveBot
from tests.support.live import Person as Someone
from tests.support.town import Town


async def real_photos(live: LiveBot, count: int) -> list[tuple[str, str]]:
    """File ids Telegram knows: photos sent in a group the bot is not in."""
    owner = await live.person("Photographer")
    album = await live.group("Photo store", creator=owner)
    sent = await live.sandbox.send_photo(owner.id, chat_id=album.id, count=count)
    photos = []
    for message in sent:
        largest = message.raw["media"]["photo"][-1]
        photos.append((str(largest["file_id"]), str(largest["file_unique_id"])))
    return photos


async def entry(
    town: Town,
    *,
    label: str = "Man in a grey hoodie",
    scheme_id: int | None = None,
    photos: list[tuple[str, str]] | None = None,
    **details: Any,
) -> int:
    """A gallery entry (with real photos if given); returns its id."""
    async with town.database.sessions() as session:
        row = await factories.subject(
            session, scheme_id=scheme_id or town.scheme_id, label=label, **details
        )
    if photos:
        async with town.database.sessions() as session, session.begin():
            for position, (file_id, unique_id) in enumerate(photos):
                session.add(
                    SubjectPhoto(
                        subject_id=row.id,
                        file_id=file_id,
                        file_unique_id=unique_id,
                        position=position,
                    )
                )
    return row.id


async def presses_forged(who: Someone, data: CallbackData, on: Message) -> dict[str, Any]:
    """Presses a button no message carries, as a tampered client could; returns the toast."""
    query_id = await who.live.sandbox.press(
        who.id, on.message_id, chat_id=on.chat_id, data=data.pack(), forged=True
    )
    return await who.live.sandbox.wait_for_callback_answer(query_id)


async def audit_trail(database: Database, scheme_id: int) -> list[tuple[str, str | None, Any]]:
    """(action, actor's name, object id) of the scheme's audit entries, oldest first."""
    async with database.sessions() as session:
        result = await session.execute(
            select(AuditEntry.action, Person.full_name, AuditEntry.object_id)
            .outerjoin(Person, Person.id == AuditEntry.actor_id)
            .where(AuditEntry.scheme_id == scheme_id)
            .order_by(AuditEntry.id)
        )
        return [(str(a), name, object_id) for a, name, object_id in result.all()]


async def audit_details(database: Database, action: str) -> list[dict[str, Any]]:
    """The details recorded with each entry of one action."""
    async with database.sessions() as session:
        result = await session.execute(
            select(AuditEntry.details).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return [dict(details) for details in result.scalars()]


async def deletions_for(database: Database, chat_id: int) -> dict[int, datetime]:
    """Message id -> when the bot must delete it, for one chat."""
    async with database.sessions() as session:
        result = await session.execute(
            select(MessageDeletion.message_id, MessageDeletion.delete_at).where(
                MessageDeletion.chat_id == chat_id
            )
        )
        return {int(message_id): at for message_id, at in result.all()}


async def entry_exists(database: Database, subject_id: int) -> bool:
    """Whether the gallery entry is still stored."""
    async with database.sessions() as session:
        return await session.get(Subject, subject_id) is not None


async def bot_messages(live: LiveBot, chat_id: int, after: int = 0) -> list[Message]:
    """Every message the bot sent in a chat after a message id (deleted ones included)."""
    return [
        message
        for message in await live.sandbox.transcript(chat_id)
        if message.from_bot and message.message_id > after
    ]


async def deletions_recorded(live: LiveBot, database: Database, chat_id: int, count: int) -> None:
    """Waits until the bot has scheduled `count` messages in the chat for deletion."""

    async def recorded() -> bool:
        return len(await deletions_for(database, chat_id)) >= count

    await live.eventually(recorded)
