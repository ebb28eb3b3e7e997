"""Start-up self-checks: each failure becomes one line that says what to fix."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, ChatMemberAdministrator, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.preflight import StartupError, describe
from core.enums import BotGroupStatus, Role
from core.groups import REQUIRED_RIGHTS, missing_rights
from core.menu import DESCRIPTIONS, Action, actions_for
from storage.repositories import groups as groups_repo

logger = logging.getLogger(__name__)


async def check_telegram(bot: Bot, api_url: str) -> User:
    """Asks Telegram who the bot is; fails clearly on a bad token or an unreachable API."""
    try:
        return await bot.get_me()
    except TelegramUnauthorizedError:
        raise StartupError(
            "Telegram rejected BOT_TOKEN (401 Unauthorized): copy the token again from @BotFather."
        ) from None
    except TelegramNetworkError as error:
        raise StartupError(
            f"Cannot reach the Telegram Bot API at TELEGRAM_API_URL={api_url} ({describe(error)})."
        ) from None
    except TelegramAPIError as error:
        raise StartupError(f"The Telegram Bot API refused getMe ({error.message}).") from None


async def register_commands(bot: Bot, actions: frozenset[Action]) -> None:
    """Publishes the command menu that private chats show."""
    # Everyone sees the resident's commands; coordinators reach theirs from /start.
    everyone = actions_for({Role.RESIDENT}, is_admin=False, available=actions)
    commands = [BotCommand(command="start", description="Main menu")]
    commands += [
        BotCommand(command=action.value, description=DESCRIPTIONS[action][:256])
        for action in everyone
    ]
    commands.append(BotCommand(command="cancel", description="Stop what you are doing"))
    await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())


async def check_linked_groups(bot: Bot, sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    """Re-checks the bot's rights in every scheme group; returns one warning per problem."""
    async with sessions() as session, session.begin():
        groups = [(g.chat_id, g.title) for g in await groups_repo.linked_to_schemes(session)]
    warnings: list[str] = []
    findings: dict[int, tuple[BotGroupStatus, tuple[str, ...]]] = {}
    for chat_id, title in groups:
        try:
            member = await bot.get_chat_member(chat_id, bot.id)
        except TelegramAPIError as error:
            warnings.append(
                f"Group {title!r} ({chat_id}): cannot check it ({error.message}); "
                "add the bot back to the group as an admin."
            )
            continue
        status = BotGroupStatus("administrator" if member.status == "creator" else member.status)
        rights = (
            {right: bool(getattr(member, right, False)) for right in REQUIRED_RIGHTS}
            if isinstance(member, ChatMemberAdministrator)
            else {}
        )
        findings[chat_id] = (status, missing_rights(status, rights))
        if findings[chat_id][1]:
            warnings.append(
                f"Group {title!r} ({chat_id}): the bot needs these admin rights: "
                + "; ".join(findings[chat_id][1])
            )
    if findings:
        async with sessions() as session, session.begin():
            for chat_id, (status, missing) in findings.items():
                group = await groups_repo.get(session, chat_id)
                if group is not None:
                    group.bot_status = status
                    group.missing_rights = list(missing)
    for warning in warnings:
        logger.warning("%s", warning)
    return warnings
