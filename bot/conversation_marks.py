"""Conversation state that leaves a durable mark, so a conversation Redis forgets is noticed.

Redis (or a process's memory) holds where each person is in a guided conversation. When
that is lost, the person's next answer would otherwise be met with "I didn't understand".
The storage below writes a row to `conversation_marks` when a conversation starts (and
deletes it when it ends), so that a person with a mark but no state can be told what
happened. Steps within one conversation cost no database write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import DEFAULT_DESTINY, BaseStorage, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from storage.models import ConversationMark
from storage.repositories import conversation_marks as marks_repo


def flow_of(state: StateType) -> str | None:
    """The conversation a state belongs to: its StatesGroup's name ("ReportFlow")."""
    if state is None:
        return None
    name = state.state if isinstance(state, State) else state
    if not name:
        return None
    return name.split(":", 1)[0]


class MarkingStorage(BaseStorage):
    """Keeps state in `inner`; notes in the database when a conversation starts and ends."""

    def __init__(
        self, inner: BaseStorage, sessions: async_sessionmaker[AsyncSession], clock: Clock
    ) -> None:
        self.inner = inner
        self.sessions = sessions
        self.clock = clock

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        if key.destiny != DEFAULT_DESTINY:
            await self.inner.set_state(key, state)
            return
        before = flow_of(await self.inner.get_state(key))
        after = flow_of(state)
        if after is None and before is not None:
            # The mark goes first: if this fails, the state is intact and a retried
            # update finds the conversation where it was.
            async with self.sessions() as session, session.begin():
                await marks_repo.remove(session, chat_id=key.chat_id, user_id=key.user_id)
        elif after is not None and after != before:
            async with self.sessions() as session, session.begin():
                await marks_repo.put(
                    session,
                    chat_id=key.chat_id,
                    user_id=key.user_id,
                    flow=after,
                    now=self.clock.now(),
                )
        await self.inner.set_state(key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.inner.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.inner.set_data(key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self.inner.get_data(key)

    async def close(self) -> None:
        await self.inner.close()


async def take_lost_mark(
    session: AsyncSession, *, chat_id: int, user_id: int, clock: Clock, keep_for: timedelta
) -> ConversationMark | None:
    """The mark of a conversation whose state is gone, removed so it is reported once.

    Call only when the person has no state. A mark older than `keep_for` is dropped
    without being returned: its state may simply have expired, as Redis lets idle
    conversations do.
    """
    async with session.begin():
        mark = await marks_repo.get(session, chat_id=chat_id, user_id=user_id)
        if mark is None:
            return None
        await marks_repo.remove(session, chat_id=chat_id, user_id=user_id)
    if clock.now() - mark.started_at > keep_for:
        return None
    return mark
