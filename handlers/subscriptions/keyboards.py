"""The buttons of each /subscribe screen, drawn from the person's current choices."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.subscriptions.choices import ALL_WARNINGS, SERIOUS, AreaOption, Choices
from core.subscriptions.quiet import PRESETS, describe
from core.subscriptions.texts import EVERYWHERE as EVERYWHERE_LABEL
from core.subscriptions.topics import TOPIC_LABELS
from handlers.subscriptions.callbacks import EVERYWHERE, Do, Screen, SubscriptionCallback

AREAS_PER_PAGE = 10
BACK = "« Back"


def _mark(label: str, chosen: bool) -> str:
    return f"✅ {label}" if chosen else label


def _show(screen: Screen, page: int = 0) -> SubscriptionCallback:
    return SubscriptionCallback(do=Do.SHOW, value=screen.value, page=page)


def home(choices: Choices) -> InlineKeyboardMarkup:
    """Areas, Topics, Quiet hours, how serious, Unsubscribe from everything, Done."""
    builder = InlineKeyboardBuilder()
    builder.button(text="Areas", callback_data=_show(Screen.AREAS))
    builder.button(text="Topics", callback_data=_show(Screen.TOPICS))
    builder.button(text="Quiet hours", callback_data=_show(Screen.QUIET))
    sizes = [2, 1]
    if choices.subscribed:
        serious = choices.severity == SERIOUS
        builder.button(
            text="All warnings" if serious else "Only serious warnings",
            callback_data=SubscriptionCallback(
                do=Do.SEVERITY, value=(ALL_WARNINGS if serious else SERIOUS).value
            ),
        )
        builder.button(
            text="Unsubscribe from everything", callback_data=SubscriptionCallback(do=Do.STOP_ALL)
        )
        sizes += [1, 1]
    builder.button(text="Done", callback_data=SubscriptionCallback(do=Do.DONE))
    builder.adjust(*sizes, 1)
    return builder.as_markup()


def pages(options: list[AreaOption]) -> int:
    """How many pages the area list takes."""
    return max(1, -(-len(options) // AREAS_PER_PAGE))


def areas(choices: Choices, options: list[AreaOption], page: int) -> InlineKeyboardMarkup:
    """Everywhere and one page of areas as toggles, with paging and Back."""
    page = min(max(page, 0), pages(options) - 1)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_mark(EVERYWHERE_LABEL, None in choices.areas),
        callback_data=SubscriptionCallback(do=Do.AREA, value=EVERYWHERE, page=page),
    )
    shown = options[page * AREAS_PER_PAGE : (page + 1) * AREAS_PER_PAGE]
    for option in shown:
        builder.button(
            text=_mark(option.label, option.area_id in choices.areas),
            callback_data=SubscriptionCallback(do=Do.AREA, value=str(option.area_id), page=page),
        )
    sizes = [1] * (1 + len(shown))
    paging = 0
    if page > 0:
        builder.button(text="◀ Previous", callback_data=_show(Screen.AREAS, page - 1))
        paging += 1
    if page < pages(options) - 1:
        builder.button(text="Next ▶", callback_data=_show(Screen.AREAS, page + 1))
        paging += 1
    if paging:
        sizes.append(paging)
    builder.button(text=BACK, callback_data=_show(Screen.HOME))
    builder.adjust(*sizes, 1)
    return builder.as_markup()


def topics(choices: Choices) -> InlineKeyboardMarkup:
    """Every topic as a toggle, Everything last, then Back."""
    builder = InlineKeyboardBuilder()
    for topic, label in TOPIC_LABELS.items():
        builder.button(
            text=_mark(label, topic in choices.topics),
            callback_data=SubscriptionCallback(do=Do.TOPIC, value=topic),
        )
    builder.button(text=BACK, callback_data=_show(Screen.HOME))
    builder.adjust(1)
    return builder.as_markup()


def quiet(choices: Choices) -> InlineKeyboardMarkup:
    """The quiet-hours presets, Off, and Back."""
    builder = InlineKeyboardBuilder()
    now = (choices.quiet_start, choices.quiet_end)
    for key, (start, end) in PRESETS.items():
        builder.button(
            text=_mark(describe(start, end), now == (start, end)),
            callback_data=SubscriptionCallback(do=Do.QUIET, value=key),
        )
    builder.button(
        text=_mark("Off", choices.quiet_start is None),
        callback_data=SubscriptionCallback(do=Do.QUIET, value="off"),
    )
    builder.button(text=BACK, callback_data=_show(Screen.HOME))
    builder.adjust(len(PRESETS), 1, 1)
    return builder.as_markup()


def undo(token: str) -> InlineKeyboardMarkup:
    """The Undo button after unsubscribing from everything."""
    builder = InlineKeyboardBuilder()
    builder.button(text="Undo", callback_data=SubscriptionCallback(do=Do.UNDO, value=token))
    return builder.as_markup()
