"""The bot being added to, promoted in, or removed from a Telegram group."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import ChatMemberAdministrator, ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.enums import BotGroupStatus
from core.groups import REQUIRED_RIGHTS, record_bot_status

logger = logging.getLogger(__name__)

_STATUS = {
    "creator": BotGroupStatus.ADMINISTRATOR,
    "administrator": BotGroupStatus.ADMINISTRATOR,
    "member": BotGroupStatus.MEMBER,
    "restricted": BotGroupStatus.RESTRICTED,
    "left": BotGroupStatus.LEFT,
    "kicked": BotGroupStatus.KICKED,
}


async def bot_membership_changed(event: ChatMemberUpdated, session: AsyncSession) -> None:
    """Records the group and tells its members which admin rights the bot still needs."""
    member = event.new_chat_member
    status = _STATUS[member.status]
    rights = {
        right: bool(getattr(member, right, False))
        for right in REQUIRED_RIGHTS
        if isinstance(member, ChatMemberAdministrator)
    }
    check = await record_bot_status(
        session,
        chat_id=event.chat.id,
        title=event.chat.title or "",
        chat_type=event.chat.type,
        status=status,
        rights=rights,
        changed_by_telegram_id=event.from_user.id,
    )
    logger.info("bot is now %s in group %s", status.value, event.chat.id)
    if not check.present or status == BotGroupStatus.RESTRICTED:
        return
    if check.missing:
        await event.answer(texts.group_needs_rights(check.missing))
    else:
        await event.answer(texts.group_ready(check.scheme_name))


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.my_chat_member.filter(F.chat.type.in_({"group", "supergroup"}))
    router.my_chat_member.register(bot_membership_changed)
    return router
