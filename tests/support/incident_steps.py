"""Walks a trader through posting an incident, for tests that need one filed the real way."""

from __future__ import annotations

from sandbox.client import Message
from tests.support.live import Person

QUICK_DESCRIPTION = "Man filled a bag with shaving gel and walked out without paying."


def _labels(message: Message) -> list[str]:
    return [label for row in message.buttons for label in row]


async def post_quick_incident(
    trader: Person,
    description: str = QUICK_DESCRIPTION,
    *,
    kind: str = "Theft",
    clothing: str | None = None,
    show_business: bool = False,
) -> Message:
    """Posts an incident that happened just now at the trader's business (or on the High
    Street if they have none), every optional question skipped; returns the bot's
    confirmation ("Thank you. Your incident is INC-...").

    With `clothing`, one person is described by their clothing alone. With several
    schemes to choose from, the first is taken.
    """
    prompt = await trader.says("/incident")
    if prompt.body.startswith("Which scheme"):
        prompt = await trader.presses(prompt.buttons[0][0], on=prompt)
    prompt = await trader.presses(kind, on=prompt)
    prompt = await trader.presses("Now", on=prompt)
    at_business = next((label for label in _labels(prompt) if label.startswith("At ")), None)
    if at_business is not None:
        prompt = await trader.presses(at_business, on=prompt)
    else:
        prompt = await trader.says("High Street")
    await trader.live.sandbox.send_text(trader.id, description)
    prompt = (await trader.replies_until("describe the people involved"))[-1]
    if clothing is None:
        prompt = await trader.presses("No one to describe", on=prompt)
    else:
        prompt = await trader.presses("Describe a person", on=prompt)
        prompt = await trader.presses("Not sure", on=prompt)
        prompt = await trader.presses("Not sure", on=prompt)
        prompt = await trader.says(clothing)
        prompt = await trader.presses("Skip", on=prompt)
        prompt = await trader.presses("Done", on=prompt)
    while not prompt.body.startswith("Please check your incident"):
        labels = _labels(prompt)
        if "Skip" in labels:
            choice = "Skip"
        elif "None" in labels:
            choice = "None"
        else:
            choice = "Yes, show it" if show_business else "No"
        prompt = await trader.presses(choice, on=prompt)
    return await trader.presses("Submit", on=prompt)
