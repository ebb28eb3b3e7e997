"""The steps of the scheme conversations."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class NewScheme(StatesGroup):
    """A coordinator setting up a scheme, one answer at a time."""

    name = State()
    areas = State()
    rules = State()
    retention = State()
    photos = State()
    review = State()


SETUP_ORDER = (
    NewScheme.name,
    NewScheme.areas,
    NewScheme.rules,
    NewScheme.retention,
    NewScheme.photos,
    NewScheme.review,
)


class Joining(StatesGroup):
    """A trader following an invite: their details, then the scheme's rules."""

    business = State()
    address = State()
    job = State()
    phone = State()
    rules = State()


JOIN_ORDER = (Joining.business, Joining.address, Joining.job, Joining.phone, Joining.rules)


class RejectReason(StatesGroup):
    """A coordinator typing why a request to join is rejected."""

    reason = State()


class MemberSearch(StatesGroup):
    """A coordinator typing a name or business to find a member."""

    term = State()
