"""/gallery: members look through their scheme's persons of interest, in private only."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core import texts as core_texts
from core.clock import Clock
from core.gallery import texts
from core.gallery.viewing import (
    EntryPage,
    EntryView,
    check_query,
    entry_page,
    gallery_scheme,
    gallery_schemes,
)
from core.gallery.viewing import open_entry as open_gallery_entry
from core.menu import Action
from core.people import PersonContext
from handlers.callbacks import MenuCallback
from handlers.gallery.callbacks import (
    GALLERY_CALLBACKS,
    AuditCallback,
    GalleryAction,
    GalleryCallback,
)
from handlers.gallery.common import chat_of, drop_typing, local_today, stop_typing_keyboard
from handlers.gallery.outbox import protected
from handlers.gallery.states import GalleryTyping, is_busy_elsewhere


def _list_keyboard(view: EntryPage) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    for line in view.lines:
        builder.button(
            text=line.text,
            callback_data=GalleryCallback(
                action=GalleryAction.OPEN, scheme=view.scheme_id, entry=line.subject_id
            ),
        )
        sizes.append(1)
    if view.query is None:
        navigation = 0
        if view.page > 0:
            builder.button(
                text="◀ Newer",
                callback_data=GalleryCallback(
                    action=GalleryAction.LIST, scheme=view.scheme_id, page=view.page - 1
                ),
            )
            navigation += 1
        if view.page + 1 < view.pages:
            builder.button(
                text="Older ▶",
                callback_data=GalleryCallback(
                    action=GalleryAction.LIST, scheme=view.scheme_id, page=view.page + 1
                ),
            )
            navigation += 1
        if navigation:
            sizes.append(navigation)
    tools = 0
    if view.total or view.query is not None:
        builder.button(
            text="Search" if view.query is None else "Search again",
            callback_data=GalleryCallback(action=GalleryAction.SEARCH, scheme=view.scheme_id),
        )
        tools += 1
    if view.query is not None:
        builder.button(
            text="Whole gallery",
            callback_data=GalleryCallback(action=GalleryAction.LIST, scheme=view.scheme_id),
        )
        tools += 1
    if tools:
        sizes.append(tools)
    if view.can_manage and view.query is None:
        builder.button(
            text="Export",
            callback_data=GalleryCallback(action=GalleryAction.EXPORT, scheme=view.scheme_id),
        )
        builder.button(
            text="Settings",
            callback_data=GalleryCallback(action=GalleryAction.SETTINGS, scheme=view.scheme_id),
        )
        builder.button(text="Audit log", callback_data=AuditCallback(scheme=view.scheme_id))
        sizes.append(3)
    builder.adjust(*sizes)
    return builder.as_markup()


def _entry_keyboard(view: EntryView) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if view.can_manage:
        builder.button(
            text="Link an incident",
            callback_data=GalleryCallback(action=GalleryAction.LINK, entry=view.subject_id),
        )
        if view.excluded:
            builder.button(
                text="End exclusion",
                callback_data=GalleryCallback(
                    action=GalleryAction.END_EXCLUSION, entry=view.subject_id
                ),
            )
        else:
            builder.button(
                text="Add exclusion",
                callback_data=GalleryCallback(action=GalleryAction.EXCLUDE, entry=view.subject_id),
            )
        builder.button(
            text="Delete entry",
            callback_data=GalleryCallback(action=GalleryAction.DELETE, entry=view.subject_id),
        )
    builder.button(
        text="Back to the gallery",
        callback_data=GalleryCallback(action=GalleryAction.LIST, scheme=view.scheme_id),
    )
    builder.adjust(1)
    return builder.as_markup()


async def show_page(
    bot: Bot | None,
    chat_id: int,
    *,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
    scheme_id: int,
    page: int = 0,
    query: str | None = None,
) -> None:
    """Sends one page of the gallery (or a search's results), protected and deleted later."""
    view = await entry_page(
        session,
        person.id,
        scheme_id,
        page=page,
        query=query,
        today=local_today(clock, settings),
        now=clock.now(),
    )
    async with protected(bot, chat_id, scheme_id=scheme_id, session=session, clock=clock) as out:
        await out.text(view.text, _list_keyboard(view))


async def _start(
    bot: Bot | None,
    chat_id: int,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    members = await gallery_schemes(session, person.id)
    if len(members) == 1:
        await show_page(
            bot,
            chat_id,
            session=session,
            person=person,
            clock=clock,
            settings=settings,
            scheme_id=members[0].scheme_id,
        )
        return
    assert bot is not None
    builder = InlineKeyboardBuilder()
    for member in members:
        builder.button(
            text=member.scheme_name,
            callback_data=GalleryCallback(action=GalleryAction.LIST, scheme=member.scheme_id),
        )
    builder.adjust(1)
    await bot.send_message(chat_id, texts.CHOOSE_SCHEME, reply_markup=builder.as_markup())


async def gallery_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Shows the member's scheme gallery (or asks which scheme, if they have several)."""
    await drop_typing(state)
    await _start(message.bot, message.chat.id, session, person, clock, settings)


async def gallery_from_menu(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Shows the gallery from the main menu's "Offender gallery" button."""
    await drop_typing(state)
    await _start(query.bot, chat_of(query), session, person, clock, settings)
    await query.answer()


async def list_page(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Shows a page of the gallery of the scheme on the button (if the presser may see it)."""
    await drop_typing(state)
    await show_page(
        query.bot,
        chat_of(query),
        session=session,
        person=person,
        clock=clock,
        settings=settings,
        scheme_id=callback_data.scheme,
        page=callback_data.page,
    )
    await query.answer()


async def open_entry(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Shows an entry's photos and details to a member of its scheme."""
    view = await open_gallery_entry(
        session,
        person.id,
        callback_data.entry,
        today=local_today(clock, settings),
        now=clock.now(),
    )
    await query.answer()
    async with protected(
        query.bot, chat_of(query), scheme_id=view.scheme_id, session=session, clock=clock
    ) as out:
        shown = await out.photos(view.photo_file_ids) if view.photo_file_ids else True
        text = view.text if shown else f"{view.text}\n\n{texts.PHOTOS_NOT_SHOWN}"
        await out.text(text, _entry_keyboard(view))


async def ask_search(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
) -> None:
    """Asks what to look for in the scheme's gallery."""
    await gallery_scheme(session, person.id, callback_data.scheme)
    if await _busy(query, state):
        return
    await state.set_state(GalleryTyping.search)
    await state.set_data({"scheme_id": callback_data.scheme})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.ASK_QUERY, reply_markup=stop_typing_keyboard())


async def search_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Shows the entries whose label or description contains the typed words."""
    words = check_query(message.text or "")
    scheme_id = int((await state.get_data())["scheme_id"])
    await state.clear()
    await show_page(
        message.bot,
        message.chat.id,
        session=session,
        person=person,
        clock=clock,
        settings=settings,
        scheme_id=scheme_id,
        query=words,
    )


async def stop_typing(query: CallbackQuery, state: FSMContext) -> None:
    """Stops waiting for a typed answer."""
    await drop_typing(state)
    await query.answer("Cancelled")
    if isinstance(query.message, Message):
        await query.message.answer("Cancelled. Nothing was changed.")


async def _busy(query: CallbackQuery, state: FSMContext) -> bool:
    if is_busy_elsewhere(await state.get_state()):
        await query.answer(texts.BUSY, show_alert=True)
        return True
    return False


async def private_only(message: Message) -> None:
    """Tells a person in a group that the gallery is shown in private chat only."""
    text = texts.AUDIT_PRIVATE_ONLY if (message.text or "").startswith("/audit") else None
    # Anonymous group admins post as the group itself (sender_chat) through a bot account.
    if message.sender_chat is not None and message.sender_chat.id == message.chat.id:
        await message.reply(f"{core_texts.ANONYMOUS_IN_GROUP} {text or texts.PRIVATE_ONLY}")
        return
    sender = message.from_user
    if message.sender_chat is not None or sender is None or sender.is_bot:
        return
    await message.reply(text or texts.PRIVATE_ONLY)


async def button_in_group(query: CallbackQuery) -> None:
    """Refuses a gallery button pressed anywhere but a private chat."""
    await query.answer(texts.PRIVATE_ONLY, show_alert=True)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    in_group = F.chat.type.in_({"group", "supergroup"})
    router.message.register(private_only, Command("gallery", "audit"), in_group)
    for callback in GALLERY_CALLBACKS:
        router.callback_query.register(
            button_in_group, callback.filter(), F.message.chat.type != "private"
        )
    private = Router(name=f"{__name__}.private")
    private.message.filter(F.chat.type == "private")
    private.callback_query.filter(F.message.chat.type == "private")
    private.message.register(gallery_command, Command("gallery"))
    private.callback_query.register(
        gallery_from_menu, MenuCallback.filter(F.action == Action.GALLERY)
    )
    private.callback_query.register(
        list_page, GalleryCallback.filter(F.action == GalleryAction.LIST)
    )
    private.callback_query.register(
        open_entry, GalleryCallback.filter(F.action == GalleryAction.OPEN)
    )
    private.callback_query.register(
        ask_search, GalleryCallback.filter(F.action == GalleryAction.SEARCH)
    )
    private.callback_query.register(
        stop_typing, GalleryCallback.filter(F.action == GalleryAction.STOP_TYPING)
    )
    private.message.register(search_typed, GalleryTyping.search, F.text, ~F.text.startswith("/"))
    router.include_router(private)
    return router
