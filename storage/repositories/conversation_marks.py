"""Durable notes that someone is part-way through a guided conversation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationMark
from storage.repositories.upsert import insert_for


async def put(
    session: AsyncSession, *, chat_id: int, user_id: int, flow: str, now: datetime
) -> None:
    """Notes that this person started `flow` in this chat (replacing any older note)."""
    statement = insert_for(session, ConversationMark).values(
        chat_id=chat_id, user_id=user_id, flow=flow, started_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ConversationMark.chat_id, ConversationMark.user_id],
            set_={"flow": flow, "started_at": now},
        )
    )


async def get(session: AsyncSession, *, chat_id: int, user_id: int) -> ConversationMark | None:
    """The note for this person in this chat, if any."""
    return await session.get(ConversationMark, (chat_id, user_id))


async def remove(session: AsyncSession, *, chat_id: int, user_id: int) -> None:
    """Forgets the note: the conversation ended or the person was told it was lost."""
    await session.execute(
        delete(ConversationMark).where(
            ConversationMark.chat_id == chat_id, ConversationMark.user_id == user_id
        )
    )
