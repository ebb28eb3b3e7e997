"""The steps of the incident conversation (see intake_flow.md for the diagram)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class IncidentFlow(StatesGroup):
    """A trader writing an incident, one answer at a time."""

    scheme = State()
    kind = State()
    when = State()
    where = State()
    what = State()
    people = State()
    height = State()
    build = State()
    clothing = State()
    features = State()
    more_people = State()
    photos = State()
    value = State()
    police = State()
    gallery = State()
    business = State()
    review = State()


STEP_ORDER = (
    IncidentFlow.scheme,
    IncidentFlow.kind,
    IncidentFlow.when,
    IncidentFlow.where,
    IncidentFlow.what,
    IncidentFlow.people,
    IncidentFlow.height,
    IncidentFlow.build,
    IncidentFlow.clothing,
    IncidentFlow.features,
    IncidentFlow.more_people,
    IncidentFlow.photos,
    IncidentFlow.value,
    IncidentFlow.police,
    IncidentFlow.gallery,
    IncidentFlow.business,
    IncidentFlow.review,
)

PERSON_STEPS = (
    IncidentFlow.height,
    IncidentFlow.build,
    IncidentFlow.clothing,
    IncidentFlow.features,
)


def step_named(name: str | None) -> State | None:
    """The step whose state string is `name`, if it is one of this flow's."""
    return next((step for step in STEP_ORDER if step.state == name), None)


def short_name(step: State) -> str:
    """The step's name without the flow's prefix, as buttons carry it."""
    return str(step.state).split(":")[-1]
