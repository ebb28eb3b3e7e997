"""/linkgroup: making a Telegram group the scheme's group, through the sandbox."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import AuditEntry, Scheme, TelegramGroup
from tests.conftest import ADMIN_ID
from tests.support.live import LiveBot, Person
from tests.support.scheme_steps import create_scheme, group_with_bot
from tests.support.town import ALL_RIGHTS, Town


async def linked_group(database: Database, name: str) -> int | None:
    async with database.sessions() as session:
        scheme = (await session.execute(select(Scheme).where(Scheme.name == name))).scalar_one()
        return scheme.telegram_group_id


async def test_a_coordinator_links_a_group_where_the_bot_has_every_right(
    shop_live: LiveBot, database: Database
) -> None:
    ada = await shop_live.person("Ada", user_id=ADMIN_ID)
    await create_scheme(ada)
    group = await group_with_bot(shop_live, ada, "Leeds traders")

    done = await ada.says_in(group, "/linkgroup")

    assert done.body.startswith("Done: this is now the Leeds City Centre Shop Watch group.")
    assert await linked_group(database, "Leeds City Centre Shop Watch") == group.id
    async with database.sessions() as session:
        stored = await session.get(TelegramGroup, group.id)
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert stored is not None and stored.scheme_id is not None
    assert "scheme.group_linked" in actions
    again = await ada.says_in(group, f"/linkgroup@{shop_live.server.username}")
    assert again.body.endswith("Nothing to change.")


async def test_missing_rights_are_named_and_nothing_is_linked_until_granted(
    shop_live: LiveBot, database: Database
) -> None:
    ada = await shop_live.person("Ada", user_id=ADMIN_ID)
    await create_scheme(ada)
    rights = dict(ALL_RIGHTS, can_restrict_members=False, can_pin_messages=False)
    group = await group_with_bot(shop_live, ada, "Leeds traders", rights=rights)

    refused = await ada.says_in(group, "/linkgroup")

    assert "I can't link this group to Leeds City Centre Shop Watch yet" in refused.body
    assert "- Ban users" in refused.body and "- Pin messages" in refused.body
    assert "Delete messages" not in refused.body and "Invite users" not in refused.body
    assert await linked_group(database, "Leeds City Centre Shop Watch") is None

    await shop_live.sandbox.set_bot_admin(group.id, admin=True, rights=ALL_RIGHTS)
    await shop_live.next_in_group(group)  # "I have every admin right I need here."
    done = await ada.says_in(group, "/linkgroup")
    assert done.body.startswith("Done:")
    assert await linked_group(database, "Leeds City Centre Shop Watch") == group.id


async def test_a_bot_that_is_not_an_admin_names_every_right(shop_live: LiveBot) -> None:
    ada = await shop_live.person("Ada", user_id=ADMIN_ID)
    await create_scheme(ada)
    group = await group_with_bot(shop_live, ada, "Leeds traders", rights=None)

    refused = await ada.says_in(group, "/linkgroup")

    for right in ("Delete messages", "Invite users via link", "Ban users", "Pin messages"):
        assert right in refused.body


async def test_people_who_are_not_coordinators_cannot_link(town: Town) -> None:
    stranger = await town.live.person("Stan")
    await town.live.sandbox.join(town.group.id, stranger.id)

    for who in (town.trader, town.partner, stranger):
        refused = await who.says_in(town.group, "/linkgroup")
        assert refused.body.startswith("Only an approved coordinator"), who.user
        assert "Market Town" not in refused.body


async def test_an_anonymous_admin_is_asked_to_use_their_own_account(town: Town) -> None:
    await town.live.sandbox.send_anonymous(town.coordinator.id, town.group.id, "/linkgroup")

    reply = await town.live.next_in_group(town.group)

    assert reply.body.startswith("I can't tell who you are when you post as the group")


async def test_a_group_that_belongs_to_another_scheme_is_refused(
    town: Town, database: Database
) -> None:
    olga = town.other_coordinator
    await town.live.sandbox.join(town.group.id, olga.id)

    refused = await olga.says_in(town.group, "/linkgroup")

    assert "already the group of Market Town Shop Watch" in refused.body
    assert await linked_group(database, "Riverside Shop Watch") is None


async def test_moving_a_scheme_to_a_new_group_needs_confirming(
    town: Town, database: Database
) -> None:
    cora = town.coordinator
    new_group = await group_with_bot(town.live, cora, "Market Town traders (new)")

    question = await cora.says_in(new_group, "/linkgroup")
    assert "already linked to the group Market Town Shop Watch" in question.body
    await cora.press("Keep it where it is", on=question)
    kept = await town.live.sandbox.wait_for_edit(new_group.id, question.message_id)
    assert kept.body.startswith("Nothing changed")
    assert await linked_group(database, "Market Town Shop Watch") == town.group.id

    question = await cora.says_in(new_group, "/linkgroup")
    await cora.press("Move it here", on=question)
    moved = await town.live.next_in_group(new_group)
    assert "(It was moved here from Market Town Shop Watch.)" in moved.body
    assert await linked_group(database, "Market Town Shop Watch") == new_group.id
    async with database.sessions() as session:
        old = await session.get(TelegramGroup, town.group.id)
    assert old is not None and old.scheme_id is None


async def test_the_scheme_choice_in_a_group_is_only_for_the_coordinator_who_asked(
    town: Town, database: Database
) -> None:
    cora, tom = town.coordinator, town.trader
    await create_scheme(cora, name="Market Town Night Watch", areas="LS1")
    group = await group_with_bot(town.live, cora, "Night Watch")
    await town.live.sandbox.join(group.id, tom.id)

    choice = await cora.says_in(group, "/linkgroup")
    assert choice.buttons == [["Market Town Shop Watch"], ["Market Town Night Watch"]]

    refused = await tom.press("Market Town Night Watch", on=choice)
    assert refused["text"] == "These buttons are for the coordinator who sent /linkgroup."
    assert refused["show_alert"]
    assert await linked_group(database, "Market Town Night Watch") is None

    await cora.press("Market Town Night Watch", on=choice)
    done = await town.live.next_in_group(group)
    assert done.body.startswith("Done: this is now the Market Town Night Watch group.")
    assert await linked_group(database, "Market Town Night Watch") == group.id


async def _only_help_follows(live: LiveBot, who: Person, group_id: int, after: int) -> None:
    """Sends /help in the group; nothing from the bot came before its answer."""
    await live.sandbox.send_text(who.id, f"/help@{live.server.username}", chat_id=group_id)
    reply = await live.sandbox.wait_for_message(group_id, after_message_id=after)
    assert reply.body.startswith("I work in private chat"), reply.body


async def test_commands_for_other_bots_and_automatic_forwards_are_ignored(town: Town) -> None:
    live, cora = town.live, town.coordinator
    before = (await live.sandbox.transcript(town.group.id))[-1].message_id

    await live.sandbox.send_text(cora.id, "/linkgroup@someotherbot", chat_id=town.group.id)
    await live.sandbox.automatic_forward(town.group.id, "/linkgroup")

    await _only_help_follows(live, cora, town.group.id, before)


async def test_linkgroup_in_private_explains_how(town: Town) -> None:
    reply = await town.coordinator.says("/linkgroup")

    assert reply.body.startswith("To link your scheme's Telegram group:")
    assert "Invite users via link" in reply.body
