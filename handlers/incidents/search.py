"""/incidents: members search their scheme's incidents and open one in full."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.errors import InvalidInput, NotAllowed
from core.incidents.search import (
    ALL_TYPES,
    PERIOD_LABELS,
    TYPED_RANGE,
    Filters,
    SearchPage,
    business_options,
    parse_range,
    search,
    searchable_schemes,
)
from core.incidents.types import type_label
from core.menu import Action
from core.people import PersonContext
from core.schemes.access import NOT_A_MEMBER
from handlers.callbacks import MenuCallback
from handlers.incidents.card_callbacks import (
    ChooseSchemeCallback,
    OpenIncidentCallback,
    SearchCallback,
    SearchMenu,
    SearchMenuCallback,
)

PRIVATE_ONLY = (
    "Searching incidents is only available in a private chat with me, so that nothing is "
    "shown to the whole group. Message me directly and send /incidents."
)
ASK_RANGE = (
    'Type the dates you want, first then last, as day/month/year, e.g. "1/11/2026 - 15/11/2026". '
    "Or send /cancel."
)


class IncidentSearch(StatesGroup):
    """Waiting for a typed date range."""

    dates = State()


def _filters(data: SearchCallback | SearchMenuCallback) -> Filters:
    return Filters(
        scheme_id=data.scheme,
        types=data.types,
        period=data.period,
        since=data.since,
        until=data.until,
        business=data.business,
        page=data.page if isinstance(data, SearchCallback) else 0,
    )


def _callback(filters: Filters, **changes: int | str) -> SearchCallback:
    values: dict[str, int | str] = {
        "scheme": filters.scheme_id,
        "types": filters.types,
        "period": filters.period,
        "since": filters.since,
        "until": filters.until,
        "business": filters.business,
        "page": 0,
    }
    values.update(changes)
    return SearchCallback.model_validate(values)


def _menu(filters: Filters, menu: SearchMenu) -> SearchMenuCallback:
    return SearchMenuCallback(
        menu=menu,
        scheme=filters.scheme_id,
        types=filters.types,
        period=filters.period,
        since=filters.since,
        until=filters.until,
        business=filters.business,
    )


def _pairs(count: int) -> list[int]:
    return [2] * (count // 2) + [1] * (count % 2)


def _keyboard(page: SearchPage) -> InlineKeyboardMarkup:
    filters = page.filters
    builder = InlineKeyboardBuilder()
    for line in page.lines:
        builder.button(
            text=line.summary, callback_data=OpenIncidentCallback(incident_id=line.incident_id)
        )
    sizes = [1] * len(page.lines)
    navigation = 0
    if page.page > 0:
        builder.button(text="◀ Newer", callback_data=_callback(filters, page=page.page - 1))
        navigation += 1
    if page.page + 1 < page.pages:
        builder.button(text="Older ▶", callback_data=_callback(filters, page=page.page + 1))
        navigation += 1
    if navigation:
        sizes.append(navigation)
    for code, label in PERIOD_LABELS.items():
        mark = "• " if filters.period == code else ""
        builder.button(
            text=mark + label, callback_data=_callback(filters, period=code, since=0, until=0)
        )
    builder.button(
        text=("• " if filters.period == TYPED_RANGE else "") + "Type dates…",
        callback_data=_menu(filters, SearchMenu.TYPED_RANGE),
    )
    sizes += [2, 2, 1]
    chosen = set(filters.chosen_types)
    for kind in ALL_TYPES:
        builder.button(
            text=("• " if kind in chosen else "") + type_label(kind),
            callback_data=_callback(filters, types=filters.toggled(kind)),
        )
    sizes += _pairs(len(ALL_TYPES))
    builder.button(
        text="Business: " + ("chosen" if filters.business else "all") + " (change)",
        callback_data=_menu(filters, SearchMenu.BUSINESSES),
    )
    sizes.append(1)
    builder.adjust(*sizes)
    return builder.as_markup()


def _text(page: SearchPage) -> str:
    heading = (
        f"Incidents in {page.scheme_name}, most recent first\n{page.description}\n"
        f"{page.total} found · page {min(page.page, page.pages - 1) + 1} of {page.pages}"
    )
    if page.total == 0:
        return heading + "\n\nNothing matches these filters."
    if not page.lines:
        return heading + "\n\nNo more incidents past this page."
    return heading + "\n\nTap one to get it in full."


async def _show(
    message: Message,
    session: AsyncSession,
    person: PersonContext,
    filters: Filters,
    settings: Settings,
    clock: Clock,
) -> None:
    page = await search(
        session, person_id=person.id, filters=filters, now=clock.now(), tz=settings.tz
    )
    await message.answer(_text(page), reply_markup=_keyboard(page), protect_content=True)


async def _start(
    message: Message,
    session: AsyncSession,
    person: PersonContext | None,
    settings: Settings,
    clock: Clock,
) -> None:
    if person is None:
        raise NotAllowed(NOT_A_MEMBER)
    schemes = await searchable_schemes(session, person.id)
    if len(schemes) == 1:
        await _show(message, session, person, Filters(schemes[0].scheme_id), settings, clock)
        return
    builder = InlineKeyboardBuilder()
    for member in schemes:
        builder.button(
            text=member.scheme_name, callback_data=ChooseSchemeCallback(scheme=member.scheme_id)
        )
    builder.adjust(1)
    await message.answer("Which scheme's incidents?", reply_markup=builder.as_markup())


async def incidents_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Shows the scheme's latest incidents with filter buttons."""
    if await state.get_state() == IncidentSearch.dates.state:
        await state.clear()
    await _start(message, session, person, settings, clock)


async def incidents_from_menu(
    query: CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Shows the incident search from the main menu."""
    await query.answer()
    if isinstance(query.message, Message):
        await _start(query.message, session, person, settings, clock)


async def scheme_chosen(
    query: CallbackQuery,
    callback_data: ChooseSchemeCallback,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Searches the scheme picked from the list."""
    if person is None:
        raise NotAllowed(NOT_A_MEMBER)
    await query.answer()
    if isinstance(query.message, Message):
        await _show(query.message, session, person, Filters(callback_data.scheme), settings, clock)


async def page_or_filter(
    query: CallbackQuery,
    callback_data: SearchCallback,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Moves through the results or changes a filter."""
    if person is None:
        raise NotAllowed(NOT_A_MEMBER)
    filters = _filters(callback_data)
    page = await search(
        session, person_id=person.id, filters=filters, now=clock.now(), tz=settings.tz
    )
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(_text(page), reply_markup=_keyboard(page), protect_content=True)


async def choose_business(
    query: CallbackQuery,
    callback_data: SearchMenuCallback,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Lists the scheme's member businesses to filter by."""
    if person is None:
        raise NotAllowed(NOT_A_MEMBER)
    filters = _filters(callback_data)
    businesses = await business_options(session, person_id=person.id, filters=filters)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=("• " if not filters.business else "") + "All businesses",
        callback_data=_callback(filters, business=0),
    )
    for option in businesses:
        builder.button(
            text=("• " if option.membership_id == filters.business else "") + option.business_name,
            callback_data=_callback(filters, business=option.membership_id),
        )
    builder.adjust(1)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            "Show incidents posted by which business?", reply_markup=builder.as_markup()
        )


async def ask_for_dates(
    query: CallbackQuery,
    callback_data: SearchMenuCallback,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Asks for a date range to be typed, keeping the other filters."""
    if person is None:
        raise NotAllowed(NOT_A_MEMBER)
    current = await state.get_state()
    if current is not None and current != IncidentSearch.dates.state:
        await query.answer(
            "You are in the middle of something else: finish it or send /cancel first.",
            show_alert=True,
        )
        return
    filters = _filters(callback_data)
    # Checks the scheme and the other filters before waiting for the dates.
    await business_options(session, person_id=person.id, filters=filters)
    await state.set_state(IncidentSearch.dates)
    await state.update_data(
        incident_search={
            "scheme": filters.scheme_id,
            "types": filters.types,
            "business": filters.business,
        }
    )
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(ASK_RANGE)


async def dates_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Searches the typed date range, or explains what is wrong with it."""
    if person is None:
        raise NotAllowed(NOT_A_MEMBER)
    kept = (await state.get_data()).get("incident_search") or {}
    today = clock.now().astimezone(settings.tz).date()
    try:
        since, until = parse_range(message.text or "", today)
    except InvalidInput as error:
        await message.answer(error.message + " Or send /cancel.")
        return
    await state.clear()
    filters = Filters(
        scheme_id=int(kept.get("scheme", 0)),
        types=int(kept.get("types", 0)),
        period=TYPED_RANGE,
        since=since,
        until=until,
        business=int(kept.get("business", 0)),
    )
    await _show(message, session, person, filters, settings, clock)


async def dates_not_text(message: Message) -> None:
    """Asks for the dates as text."""
    await message.answer(ASK_RANGE)


async def in_a_group(message: Message) -> None:
    """Keeps incident data out of groups."""
    await message.answer(PRIVATE_ONLY)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.register(
        in_a_group, Command("incidents"), F.chat.type.in_({"group", "supergroup"})
    )
    private = Router(name=f"{__name__}.private")
    private.message.filter(F.chat.type == "private")
    private.callback_query.filter(F.message.chat.type == "private")
    private.message.register(incidents_command, Command("incidents"))
    private.callback_query.register(
        incidents_from_menu, MenuCallback.filter(F.action == Action.INCIDENTS)
    )
    private.callback_query.register(scheme_chosen, ChooseSchemeCallback.filter())
    private.callback_query.register(page_or_filter, SearchCallback.filter())
    private.callback_query.register(
        choose_business, SearchMenuCallback.filter(F.menu == SearchMenu.BUSINESSES)
    )
    private.callback_query.register(
        ask_for_dates, SearchMenuCallback.filter(F.menu == SearchMenu.TYPED_RANGE)
    )
    private.message.register(dates_typed, IncidentSearch.dates, F.text, ~F.text.startswith("/"))
    private.message.register(dates_not_text, IncidentSearch.dates, ~F.text.startswith("/"))
    router.include_router(private)
    return router
