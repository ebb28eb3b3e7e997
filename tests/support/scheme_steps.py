"""Steps that scheme tests share: set up a scheme, invite a trader, walk them through joining."""

from __future__ import annotations

from sandbox.client import Message, SandboxGroup
from tests.support.live import LiveBot, Person
from tests.support.town import ALL_RIGHTS

AREAS = "Town centre: LS1, LS2\nHeadingley: LS6"


async def create_scheme(
    creator: Person, name: str = "Leeds City Centre Shop Watch", areas: str = AREAS
) -> Message:
    """Walks /newscheme with the standard rules, 12 months and photos; returns the "Done"."""
    await creator.says("/newscheme")
    await creator.says(name)
    rules = await creator.says(areas)
    retention = await creator.presses("Use the standard rules", on=rules)
    photos = await creator.presses("12 months (default)", on=retention)
    summary = await creator.presses("Yes", on=photos)
    return await creator.presses("Create the scheme", on=summary)


async def invite_link(coordinator: Person, kind: str = "Single use") -> str:
    """Asks for an invite link of this kind (the coordinator runs one scheme); returns it."""
    kinds = await coordinator.says("/invite")
    made = await coordinator.presses(kind, on=kinds)
    return next(line for line in made.body.splitlines() if line.startswith("https://t.me/"))


def start_command(link: str) -> str:
    """What Telegram sends the bot when someone opens the deep link."""
    return "/start " + link.split("?start=", 1)[1]


async def to_rules(
    trader: Person,
    link: str,
    business: str = "Corner Shop",
    address: str = "12 High Street, LS1 4AB",
    job: str = "Owner",
) -> Message:
    """Follows the link and answers up to the phone question (skipped); returns the rules."""
    await trader.says(start_command(link))  # "This invite is for ..."
    await trader.next_reply()  # business name?
    await trader.says(business)
    await trader.says(address)
    await trader.says(job)
    await trader.says("Skip")  # "No phone number, then."
    return await trader.next_reply()


async def apply(trader: Person, link: str, business: str = "Corner Shop") -> Message:
    """Follows the link, answers everything and accepts the rules; returns the "Thank you"."""
    rules = await to_rules(trader, link, business=business)
    return await trader.presses("I accept", on=rules)


async def request_for(coordinator: Person, name: str) -> Message:
    """The approval request about `name` the coordinator receives next."""
    while True:
        message = await coordinator.next_reply()
        if "New request to join" in message.body and f"Name: {name}" in message.body:
            return message


async def group_with_bot(
    live: LiveBot, creator: Person, title: str, rights: dict[str, bool] | None = ALL_RIGHTS
) -> SandboxGroup:
    """A new supergroup with the bot added (as an admin with `rights`); its notice consumed."""
    group = await live.group(title, creator=creator)
    await creator.adds_bot_to(group, rights=rights)
    await live.next_in_group(group)
    return group
