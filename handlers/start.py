"""/start: the greeting and the main menu (invite deep links go to handlers.schemes first)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from core import texts
from core.deeplinks import parse_start_payload
from core.errors import InvalidInput
from core.menu import Action
from core.people import PersonContext
from handlers.callbacks import MenuCallback
from handlers.keyboards import main_menu
from handlers.menu import offered_actions


async def start(message: Message, command: CommandObject, person: PersonContext) -> None:
    """Greets the person and shows their actions; a link that is not ours is explained first."""
    try:
        parse_start_payload(command.args)
    except InvalidInput as error:
        await message.answer(error.message)
    first_name = message.from_user.first_name if message.from_user else ""
    await message.answer(
        texts.welcome(first_name, person.roles), reply_markup=main_menu(offered_actions(person))
    )


async def help_button(query: CallbackQuery, person: PersonContext) -> None:
    """Shows help when the Help button is pressed."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.help_text(offered_actions(person)))


async def privacy_button(query: CallbackQuery) -> None:
    """Shows the privacy notice when the Privacy button is pressed."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.privacy_notice())


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(start, CommandStart())
    router.callback_query.register(help_button, MenuCallback.filter(F.action == Action.HELP))
    router.callback_query.register(privacy_button, MenuCallback.filter(F.action == Action.PRIVACY))
    return router
