"""/reports: coordinators review residents' reports and set their status."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.broadcasts.compose import may_escalate_report
from core.clock import Clock
from core.enums import ReportStatus
from core.errors import AppError, InvalidInput
from core.menu import Action
from core.people import PersonContext
from core.reports import texts
from core.reports.categories import CATEGORIES, STATUS_LABELS
from core.reports.status import StatusChanged, set_status
from core.reports.views import CoordinatorView, for_coordinator, queue, request_case_review
from handlers.broadcasts.compose_callbacks import EscalateReportCallback
from handlers.callbacks import MenuCallback
from handlers.reports.callbacks import (
    CaseReviewRequestCallback,
    QueueCallback,
    ReviewAction,
    ReviewCallback,
)
from handlers.reports.states import StatusNote

logger = logging.getLogger(__name__)

STATUS_FILTER_LABELS = {"open": "Open", "all": "All", "closed": "Closed"}


def _pairs(count: int) -> list[int]:
    """Row sizes for `count` buttons two to a row, an odd one alone at the end."""
    return [2] * (count // 2) + [1] * (count % 2)


def _queue_keyboard(
    page_lines: list[tuple[int, str]],
    filters: QueueCallback,
    page: int,
    pages: int,
    areas: list[tuple[int, str]],
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for report_id, summary in page_lines:
        builder.button(
            text=summary,
            callback_data=ReviewCallback(action=ReviewAction.OPEN, report_id=report_id),
        )
    sizes = [1] * len(page_lines)
    navigation = 0
    if page > 0:
        builder.button(text="◀ Newer", callback_data=filters.model_copy(update={"page": page - 1}))
        navigation += 1
    if page + 1 < pages:
        builder.button(text="Older ▶", callback_data=filters.model_copy(update={"page": page + 1}))
        navigation += 1
    if navigation:
        sizes.append(navigation)
    for value, label in STATUS_FILTER_LABELS.items():
        mark = "• " if filters.status == value else ""
        builder.button(
            text=f"{mark}{label}",
            callback_data=filters.model_copy(update={"status": value, "page": 0}),
        )
    sizes.append(len(STATUS_FILTER_LABELS))
    for info in CATEGORIES:
        chosen = filters.category == info.category.value
        builder.button(
            text=("• " if chosen else "") + info.label,
            callback_data=filters.model_copy(
                update={"category": "" if chosen else info.category.value, "page": 0}
            ),
        )
    sizes.extend(_pairs(len(CATEGORIES)))
    if len(areas) > 1:
        for area_id, name in areas:
            chosen_area = filters.area == area_id
            builder.button(
                text=("• " if chosen_area else "") + name,
                callback_data=filters.model_copy(
                    update={"area": 0 if chosen_area else area_id, "page": 0}
                ),
            )
        sizes.extend(_pairs(len(areas)))
    builder.adjust(*sizes)
    return builder.as_markup()


async def _show_queue(
    message: Message, session: AsyncSession, person: PersonContext, filters: QueueCallback
) -> None:
    page = await queue(
        session,
        person,
        status=filters.status,
        category=filters.category,
        page=filters.page,
        area=filters.area,
    )
    heading = (
        f"Reports ({STATUS_FILTER_LABELS.get(filters.status, filters.status)}"
        + (f", {filters.category.replace('_', ' ')}" if filters.category else "")
        + "".join(f", {name}" for area_id, name in page.areas if area_id == filters.area)
        + f"): {page.total} in all, page {page.page + 1} of {page.pages}."
    )
    if not page.lines:
        heading += "\nNothing matches these filters."
    await message.answer(
        heading,
        reply_markup=_queue_keyboard(
            [(line.report_id, line.summary) for line in page.lines],
            filters,
            page.page,
            page.pages,
            page.areas,
        ),
    )


async def list_reports(message: Message, session: AsyncSession, person: PersonContext) -> None:
    """Shows the open reports the coordinator may review."""
    await _show_queue(message, session, person, QueueCallback())


async def list_from_menu(
    query: CallbackQuery, session: AsyncSession, person: PersonContext
) -> None:
    """Shows the queue from the main menu."""
    await query.answer()
    if isinstance(query.message, Message):
        await _show_queue(query.message, session, person, QueueCallback())


async def page_or_filter(
    query: CallbackQuery,
    callback_data: QueueCallback,
    session: AsyncSession,
    person: PersonContext,
) -> None:
    """Moves through the queue or changes its filters."""
    await query.answer()
    if isinstance(query.message, Message):
        await _show_queue(query.message, session, person, callback_data)


def _report_keyboard(
    view: CoordinatorView, whole_cluster: bool, may_escalate: bool = False
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for status in ReportStatus:
        if status == view.status:
            continue
        builder.button(
            text=STATUS_LABELS[status],
            callback_data=ReviewCallback(
                action=ReviewAction.STATUS,
                report_id=view.report_id,
                status=status,
                expected=view.status,
                cluster=whole_cluster,
            ),
        )
    if view.cluster_size > 1:
        builder.button(
            text=(
                f"Applies to all {view.cluster_size} linked reports (tap for this one only)"
                if whole_cluster
                else f"Applies to this report only (tap for all {view.cluster_size} linked)"
            ),
            callback_data=ReviewCallback(
                action=ReviewAction.OPEN, report_id=view.report_id, cluster=not whole_cluster
            ),
        )
    if may_escalate:
        builder.button(
            text="Escalate to alert",
            callback_data=EscalateReportCallback(report_id=view.report_id),
        )
    builder.adjust(1)
    return builder.as_markup()


async def open_report(
    query: CallbackQuery,
    callback_data: ReviewCallback,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
) -> None:
    """Shows a report in full with buttons to change its status."""
    view = await for_coordinator(session, person, callback_data.report_id, settings.tz)
    may_escalate = await may_escalate_report(session, person.id, view.report_id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            view.text + "\n\nSet its status:",
            reply_markup=_report_keyboard(view, callback_data.cluster, may_escalate),
        )


async def choose_status(
    query: CallbackQuery,
    callback_data: ReviewCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Asks for an optional note before the status change is made."""
    view = await for_coordinator(session, person, callback_data.report_id, settings.tz)
    current = await state.get_state()
    if current is not None and current.startswith("ReportFlow:"):
        await query.answer(
            "You are in the middle of writing a report: finish it or send /cancel first.",
            show_alert=True,
        )
        return
    if callback_data.status is None or callback_data.expected != view.status:
        await query.answer(
            f"{view.reference} changed since that message: it is now "
            f"{STATUS_LABELS[view.status]}. Open it again.",
            show_alert=True,
        )
        return
    await state.set_state(StatusNote.note)
    await state.update_data(
        report_id=view.report_id,
        status=callback_data.status.value,
        expected=view.status.value,
        cluster=callback_data.cluster,
        note_started=clock.now().isoformat(),
    )
    await query.answer()
    builder = InlineKeyboardBuilder()
    builder.button(
        text="No note",
        callback_data=ReviewCallback(action=ReviewAction.NO_NOTE, report_id=view.report_id),
    )
    builder.button(
        text="Cancel",
        callback_data=ReviewCallback(action=ReviewAction.CANCEL, report_id=view.report_id),
    )
    who = (
        f"all {view.cluster_size} linked reporters will see it"
        if callback_data.cluster and view.cluster_size > 1
        else "the reporter will see it"
    )
    if isinstance(query.message, Message):
        await query.message.answer(
            f"Setting {view.reference} to {STATUS_LABELS[callback_data.status]}. Type a note "
            f"({who}), or press No note.",
            reply_markup=builder.as_markup(),
        )


NOTE_WINDOW = timedelta(minutes=30)


async def _apply(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    note: str | None,
    report_id: int,
) -> None:
    data = await state.get_data()
    if data.get("report_id") != report_id:
        await message.answer(texts.STALE_BUTTON)
        return
    started = data.get("note_started")
    if started is None or clock.now() - datetime.fromisoformat(started) > NOTE_WINDOW:
        await state.clear()
        await message.answer(
            "That status change was left waiting too long, so nothing changed. Open the "
            "report again to set its status."
        )
        return
    try:
        changed = await set_status(
            session,
            person=person,
            report_id=report_id,
            expected=ReportStatus(data["expected"]),
            status=ReportStatus(data["status"]),
            note=note,
            whole_cluster=bool(data.get("cluster")),
            now=clock.now(),
        )
    except AppError as error:
        if not isinstance(error, InvalidInput) or "changed since" in error.message:
            await state.clear()
        raise
    await state.clear()
    told = await _tell_reporters(message.bot, changed) if message.bot else 0
    await message.answer(
        f"{', '.join(changed.references)}: now {STATUS_LABELS[changed.status]}. "
        f"{told} reporter(s) notified."
    )


async def _tell_reporters(bot: Bot, changed: StatusChanged) -> int:
    told = 0
    for update in changed.updates:
        try:
            await bot.send_message(update.chat_id, texts.status_update(update))
            told += 1
        except TelegramAPIError as error:
            logger.warning("could not tell reporter about %s: %s", update.reference, error.message)
    return told


async def note_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Applies the status change with the coordinator's note."""
    data = await state.get_data()
    await _apply(message, state, session, person, clock, message.text, int(data["report_id"]))


async def no_note(
    query: CallbackQuery,
    callback_data: ReviewCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Applies the status change without a note."""
    await query.answer()
    if isinstance(query.message, Message):
        await _apply(query.message, state, session, person, clock, None, callback_data.report_id)


async def cancel_note(query: CallbackQuery, state: FSMContext) -> None:
    """Abandons a status change before it is made."""
    await state.clear()
    await query.answer("Cancelled")
    if isinstance(query.message, Message):
        await query.message.answer("Status change cancelled; the report is unchanged.")


async def note_not_text(message: Message) -> None:
    """Asks for the note as text."""
    await message.answer("Please type the note as text, or press No note.")


async def case_review_requested(
    query: CallbackQuery,
    callback_data: CaseReviewRequestCallback,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Records a resident's request for a case review and tells the coordinators (or admins)."""
    coordinators, references = await request_case_review(
        session, person, callback_data.review_id, clock.now()
    )
    recipients = coordinators or list(settings.admin_user_ids)
    await query.answer("Request sent" if recipients else "No coordinator yet")
    if isinstance(query.message, Message):
        await query.message.answer(
            "Your request for an ASB Case Review has been passed to the coordinator. They "
            "should acknowledge it within 10 working days."
            if recipients
            else "Your request is recorded, but this area has no coordinator on ShopWatch yet: "
            "please also use your council's ASB Case Review form."
        )
    if query.bot is None:
        return
    for chat_id in recipients:
        try:
            await query.bot.send_message(
                chat_id,
                "A resident has asked for an ASB Case Review. Reports: " + ", ".join(references),
            )
        except TelegramAPIError as error:
            logger.warning("could not tell coordinator %s: %s", chat_id, error.message)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(list_reports, Command("reports"))
    router.callback_query.register(list_from_menu, MenuCallback.filter(F.action == Action.REPORTS))
    router.callback_query.register(page_or_filter, QueueCallback.filter())
    router.callback_query.register(
        open_report, ReviewCallback.filter(F.action == ReviewAction.OPEN)
    )
    router.callback_query.register(
        choose_status, ReviewCallback.filter(F.action == ReviewAction.STATUS)
    )
    router.callback_query.register(
        no_note, StatusNote.note, ReviewCallback.filter(F.action == ReviewAction.NO_NOTE)
    )
    router.callback_query.register(
        cancel_note, StatusNote.note, ReviewCallback.filter(F.action == ReviewAction.CANCEL)
    )
    router.message.register(note_typed, StatusNote.note, F.text, ~F.text.startswith("/"))
    router.message.register(note_not_text, StatusNote.note, ~F.text.startswith("/"))
    router.callback_query.register(case_review_requested, CaseReviewRequestCallback.filter())
    return router
