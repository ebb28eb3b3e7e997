"""Setting up a scheme with /newscheme, through the sandbox, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.enums import MembershipStatus, Role
from core.errors import InvalidInput
from core.schemes.areas import AreaSpec, parse_areas
from storage.db import Database
from storage.models import Area, AuditEntry, Membership, Person, Scheme
from tests.conftest import ADMIN_ID
from tests.support.live import LiveBot
from tests.support.scheme_steps import create_scheme
from tests.support.town import Town


async def scheme_count(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Scheme))).scalar_one())


async def test_an_admin_sets_up_a_scheme_step_by_step(
    shop_live: LiveBot, database: Database
) -> None:
    ada = await shop_live.person("Ada", user_id=ADMIN_ID)

    name = await ada.says("/newscheme")
    assert "What is the scheme called?" in name.body
    assert name.buttons == [["Cancel"]]

    areas = await ada.says("Leeds City Centre Shop Watch")
    assert "Which areas does it cover?" in areas.body
    assert areas.buttons == [["Back", "Cancel"]]

    rules = await ada.says("Town centre: LS1, ls2\nHeadingley: LS6; LS7")
    assert "information-sharing rules" in rules.body
    assert rules.buttons[0] == ["Use the standard rules"]

    retention = await ada.says(
        "Share only with members. Never forward offender photos outside the scheme."
    )
    assert "How long should offender information" in retention.body
    assert retention.buttons[0] == ["6 months", "12 months (default)", "24 months"]

    photos = await ada.says("18")
    assert photos.body == "May members share photos of offenders in this scheme?"

    summary = await ada.presses("No", on=photos)
    for line in (
        "Name: Leeds City Centre Shop Watch",
        "- Town centre (LS1, LS2)",
        "- Headingley (LS6)",
        "- LS7",
        "Offender data kept for: 18 months",
        "Photos may be shared: No",
        "Never forward offender photos outside the scheme.",
    ):
        assert line in summary.body
    assert summary.buttons[0] == ["Create the scheme"]
    assert await scheme_count(database) == 0, "nothing is created before Create"

    done = await ada.presses("Create the scheme", on=summary)
    assert done.body.startswith("Done: Leeds City Centre Shop Watch is set up")
    assert "/linkgroup" in done.body and "/invite" in done.body

    async with database.sessions() as session:
        scheme = (await session.execute(select(Scheme))).scalar_one()
        areas_stored = (await session.execute(select(Area).order_by(Area.id))).scalars().all()
        membership = (await session.execute(select(Membership))).scalar_one()
        creator = await session.get(Person, membership.person_id)
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert (scheme.retention_months, scheme.photos_allowed) == (18, False)
    assert [(a.name, a.postcode_districts) for a in areas_stored] == [
        ("Town centre", ["LS1", "LS2"]),
        ("Headingley", ["LS6"]),
        ("LS7", ["LS7"]),
    ]
    assert creator is not None and creator.telegram_user_id == ADMIN_ID
    assert (membership.role, membership.status) == (Role.COORDINATOR, MembershipStatus.APPROVED)
    assert list(actions) == ["scheme.created"]
    assert "You are a coordinator" in (await ada.says("/start")).body


async def test_a_coordinator_can_set_up_another_scheme_and_runs_both(
    town: Town, database: Database
) -> None:
    cora = town.coordinator

    done = await create_scheme(cora, name="Market Town Night Watch", areas="Market Town: LS1")
    assert done.body.startswith("Done: Market Town Night Watch is set up")

    choice = await cora.says("/invite")
    assert choice.body == "Which scheme is the invite for?"
    assert choice.buttons == [["Market Town Shop Watch"], ["Market Town Night Watch"]]


async def test_every_bad_answer_is_explained_and_changes_nothing(
    town: Town, database: Database
) -> None:
    ada = await town.live.person("Ada", user_id=ADMIN_ID)
    await ada.says("/newscheme")

    assert "already a scheme called" in (await ada.says("market town shop watch")).body
    assert "at least 3 characters" in (await ada.says("MT")).body
    assert "80 or fewer" in (await ada.says("x" * 81)).body
    areas = await ada.says("Castle Hill Shop Watch")
    assert "Which areas does it cover?" in areas.body

    assert "no XX postcode area" in (await ada.says("Centre: XX1")).body
    assert "LS6 1AB is a full postcode" in (await ada.says("Centre: LS6 1AB")).body
    assert "is not a UK postcode district" in (await ada.says("hello there")).body
    assert "has no postcode districts" in (await ada.says("Centre:")).body
    assert "Two areas are called" in (await ada.says("Centre: LS1\ncentre: LS2")).body
    rules = await ada.says("Centre: LS1")
    assert "information-sharing rules" in rules.body

    assert "at least 20 characters" in (await ada.says("Be nice.")).body
    retention = await ada.says("Members must keep everything they are told to themselves.")

    assert "from 1 to 36" in (await ada.says("48")).body
    assert "from 1 to 36" in (await ada.says("0")).body
    assert "from 1 to 36" in (await ada.says("a year")).body
    photos = await ada.presses("24 months", on=retention)

    assert "Please answer with the buttons" in (await ada.says("yes")).body
    summary = await ada.presses("Yes", on=photos)
    assert "Offender data kept for: 24 months" in summary.body
    assert "Name: Castle Hill Shop Watch" in summary.body
    assert await scheme_count(database) == 2


async def test_back_change_and_cancel_work_at_every_step(
    shop_live: LiveBot, database: Database
) -> None:
    ada = await shop_live.person("Ada", user_id=ADMIN_ID)
    await ada.says("/newscheme")
    areas = await ada.says("Leeds Shop Watch")

    name_again = await ada.presses("Back", on=areas)
    assert "What is the scheme called?" in name_again.body
    areas = await ada.says("Leeds Central Shop Watch")
    rules = await ada.says("LS1")
    old_back = await ada.press("Back", on=areas)
    assert old_back["text"].startswith("That button is from an earlier question")
    areas_again = await ada.presses("Back", on=rules)
    assert areas_again.body.startswith("Which areas")
    rules = await ada.says("LS1, LS2")
    retention = await ada.presses("Use the standard rules", on=rules)
    photos = await ada.presses("6 months", on=retention)
    back_to_retention = await ada.presses("Back", on=photos)
    assert "How long should offender information" in back_to_retention.body
    photos = await ada.presses("12 months (default)", on=back_to_retention)
    summary = await ada.presses("Yes", on=photos)
    assert "Name: Leeds Central Shop Watch" in summary.body
    assert "1. Share information only to prevent or detect crime" in summary.body

    new_name = await ada.presses("Change name", on=summary)
    assert "What is the scheme called?" in new_name.body
    summary = await ada.says("Leeds Centre Shop Watch")
    assert "Name: Leeds Centre Shop Watch" in summary.body
    assert "- LS1, LS2" in summary.body

    change_areas = await ada.presses("Change areas", on=summary)
    back_to_summary = await ada.presses("Back", on=change_areas)
    assert back_to_summary.body.startswith("Please check the new scheme")

    cancelled = await ada.presses("Cancel", on=back_to_summary)
    assert cancelled.body == "Cancelled. No scheme was created."
    stale = await ada.press("Create the scheme", on=back_to_summary)
    assert "earlier conversation" in stale["text"]
    assert await scheme_count(database) == 0

    await ada.says("/newscheme")
    await ada.says("Leeds Centre Shop Watch")
    assert (await ada.says("/cancel")).body.startswith("Cancelled. Nothing from that")
    assert await scheme_count(database) == 0


async def test_only_admins_and_coordinators_may_set_up_schemes(
    town: Town, database: Database
) -> None:
    for who in ("resident", "trader", "partner", "pending", "suspended", "other_trader"):
        refused = await getattr(town, who).says("/newscheme")
        assert refused.body.startswith("Setting up a new scheme is for this deployment's admins")
    assert await scheme_count(database) == 2


async def test_an_admin_starts_from_the_menu_button(shop_live: LiveBot) -> None:
    ada = await shop_live.person("Ada", user_id=ADMIN_ID)
    menu = await ada.says("/start")

    question = await ada.presses("New scheme", on=menu)

    assert "What is the scheme called?" in question.body


def test_areas_are_read_from_names_and_postcode_districts() -> None:
    assert parse_areas("City: ec1a, W1A b1\n\nM60; Leeds:LS1,LS1") == [
        AreaSpec("City", ("EC1A", "W1A", "B1")),
        AreaSpec("M60", ("M60",)),
        AreaSpec("Leeds", ("LS1",)),
    ]
    for bad, why in (
        ("", "at least one area"),
        ("QQ1", "no QQ postcode area"),
        ("LS", "not a UK postcode district"),
        ("Centre: LS1 4AB", "LS1 4AB is a full postcode"),
        (": LS1", "needs a name before the colon"),
        ("\n".join(f"LS{n}" for n in range(1, 22)), "up to 20"),
    ):
        with pytest.raises(InvalidInput, match=why):
            parse_areas(bad)
