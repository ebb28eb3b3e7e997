"""What people chose with /subscribe decides who the broadcast engine sends a warning to."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from broadcast.audience import Audience
from broadcast.outbox import AlertDraft, queue_alert
from core.enums import DeliveryState, Severity
from sandbox.client import Message
from storage.db import Database
from storage.models import Delivery
from tests.support.live import LiveBot
from tests.support.live import Person as Chatter
from tests.support.town import Town
from tests.test_subscriptions import area_id, subscribe, tap

HEADLINE = "Two men taking charity tins"


async def warn(
    live: LiveBot, database: Database, audience: Audience, severity: Severity, headline: str
) -> int:
    """Queues a warning the way a coordinator's broadcast does; returns the alert id."""
    now = live.clock.now()
    draft = AlertDraft(
        headline=headline,
        description="Seen on the High Street around noon; do not approach them.",
        severity=severity,
        expires_at=now + timedelta(hours=6),
        audience=audience,
    )
    async with database.sessions() as session:
        queued = await queue_alert(session, draft, now=now, tz=live.settings.tz)
    return queued.alert_id


async def recipients(live: LiveBot, database: Database, alert_id: int) -> set[int]:
    """The chats an alert went to, once the bot's worker has sent every copy."""

    async def copies() -> list[tuple[int, DeliveryState]]:
        async with database.sessions() as session:
            rows = await session.execute(
                select(Delivery.chat_id, Delivery.state).where(Delivery.alert_id == alert_id)
            )
            return [(int(row[0]), row[1]) for row in rows.all()]

    async def all_sent() -> bool:
        return all(state == DeliveryState.SENT for _, state in await copies())

    await live.eventually(all_sent)
    return {chat for chat, _ in await copies()}


async def received(person: Chatter, headline: str) -> Message:
    """The warning as it arrived in the person's private chat."""
    return await person.live.sandbox.wait_for_message(
        person.id, predicate=lambda m: headline in m.body, timeout=10
    )


def quiet_around_now(live: LiveBot, *, starting_in: timedelta) -> str:
    """Typed quiet hours from `starting_in` (may be negative) to two hours after that."""
    local = live.clock.now().astimezone(live.settings.tz)
    start, end = local + starting_in, local + starting_in + timedelta(hours=2)
    return f"{start:%H:%M}-{end:%H:%M}"


async def set_quiet(person: Chatter, typed: str) -> None:
    await tap(person, "Quiet hours", await person.says("/subscribe"))
    assert (await person.says(typed)).body.startswith("Quiet hours set.")


async def test_a_warning_reaches_the_people_whose_areas_and_topics_match(
    town: Town, database: Database
) -> None:
    tom, pat, rosa, otto, tia, olga = (
        town.trader,
        town.partner,
        town.resident,
        town.other_trader,
        town.second_trader,
        town.other_coordinator,
    )
    await subscribe(tom, areas=["Market Town"], topics=["Shop Watch warnings", "✅ Everything"])
    await subscribe(pat, areas=[], topics=["Shop Watch warnings"])  # everywhere
    await subscribe(rosa, areas=["Market Town"], topics=["Fly tipping", "✅ Everything"])
    await subscribe(otto, areas=["Riverside"], topics=[])  # everything, but elsewhere
    stopped = await subscribe(tia, areas=["Market Town"], topics=[])
    await tap(tia, "Unsubscribe from everything", stopped)
    serious_only = await subscribe(olga, areas=["Everywhere"], topics=[])
    await tap(olga, "Only serious warnings", serious_only)
    market_town = await area_id(database, "Market Town")

    alert = await warn(
        town.live,
        database,
        Audience(subscribers=True, area_ids=(market_town,), topics=("shop_watch",)),
        Severity.MODERATE,
        HEADLINE,
    )

    assert await recipients(town.live, database, alert) == {tom.id, pat.id}
    for person in (tom, pat):
        assert not (await received(person, HEADLINE)).disable_notification


async def test_a_severe_warning_also_reaches_those_who_want_only_serious_ones(
    town: Town, database: Database
) -> None:
    rosa, tom = town.resident, town.trader
    await subscribe(rosa, areas=["Riverside"], topics=[])
    await tap(rosa, "Only serious warnings", await rosa.says("/subscribe"))
    await subscribe(tom, areas=["Riverside"], topics=[])
    riverside = await area_id(database, "Riverside")
    audience = Audience(subscribers=True, area_ids=(riverside,), topics=("scam",))

    minor = await warn(town.live, database, audience, Severity.MINOR, "Doorstep scam")
    severe = await warn(town.live, database, audience, Severity.SEVERE, "Armed robbery")

    assert await recipients(town.live, database, minor) == {tom.id}
    assert await recipients(town.live, database, severe) == {tom.id, rosa.id}


async def test_in_quiet_hours_a_warning_arrives_silently_unless_it_is_extreme(
    town: Town, database: Database
) -> None:
    live, rosa, tom, pat = town.live, town.resident, town.trader, town.partner
    for person in (rosa, tom, pat):
        await subscribe(person, areas=["Everywhere"], topics=[])
    await set_quiet(rosa, quiet_around_now(live, starting_in=-timedelta(hours=1)))
    await set_quiet(pat, quiet_around_now(live, starting_in=timedelta(hours=3)))
    everyone = Audience(subscribers=True)

    moderate = await warn(live, database, everyone, Severity.MODERATE, "Shoplifting gang")
    assert await recipients(live, database, moderate) == {rosa.id, tom.id, pat.id}
    assert (await received(rosa, "Shoplifting gang")).disable_notification
    assert not (await received(tom, "Shoplifting gang")).disable_notification
    assert not (await received(pat, "Shoplifting gang")).disable_notification, "not quiet yet"

    extreme = await warn(live, database, everyone, Severity.EXTREME, "Flood warning")
    await recipients(live, database, extreme)
    assert not (await received(rosa, "Flood warning")).disable_notification


async def test_in_quiet_hours_a_severe_warning_still_rings(town: Town, database: Database) -> None:
    live, rosa = town.live, town.resident
    await subscribe(rosa, areas=["Everywhere"], topics=[])
    await set_quiet(rosa, quiet_around_now(live, starting_in=-timedelta(hours=1)))

    severe = await warn(live, database, Audience(subscribers=True), Severity.SEVERE, "Robbery")
    await recipients(live, database, severe)

    assert not (await received(rosa, "Robbery")).disable_notification
