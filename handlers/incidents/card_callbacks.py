"""Incident button payloads. Never trusted: every press re-checks the presser and the incident."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class CardAction(StrEnum):
    """A button on the incident card in the group."""

    SEEN = "seen"
    DETAILS = "det"


class CardCallback(CallbackData, prefix="i1c"):
    """A press on the group card."""

    action: CardAction
    incident_id: int


class ManageAction(StrEnum):
    """What a coordinator does to an incident from its private view."""

    RESOLVE = "res"
    REOPEN = "reo"
    ESCALATE = "esc"


class ManageCallback(CallbackData, prefix="i1m"):
    """A coordinator acting on one incident."""

    action: ManageAction
    incident_id: int


class OpenIncidentCallback(CallbackData, prefix="i1o"):
    """Opening one incident's full view from the /incidents list."""

    incident_id: int


class SearchCallback(CallbackData, prefix="i1s"):
    """The /incidents list: scheme, filters and page, checked again on every press.

    `types` is a bit set over the incident types, `period` one of the preset ranges or "r"
    for a typed range (`since`/`until` as YYYYMMDD), `business` a membership id.
    """

    scheme: int
    types: int = 0
    period: str = "all"
    since: int = 0
    until: int = 0
    business: int = 0
    page: int = 0


class SearchMenu(StrEnum):
    """A /incidents button that opens a choice rather than changing the list."""

    BUSINESSES = "biz"
    TYPED_RANGE = "rng"


class SearchMenuCallback(CallbackData, prefix="i1f"):
    """Opens the business list or asks for a typed date range, keeping the current filters."""

    menu: SearchMenu
    scheme: int
    types: int = 0
    period: str = "all"
    since: int = 0
    until: int = 0
    business: int = 0


class ChooseSchemeCallback(CallbackData, prefix="i1k"):
    """Picks which scheme's incidents to search, for members of several."""

    scheme: int
