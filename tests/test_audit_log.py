"""Coordinators read the audit log: who viewed, searched, exported or changed what, and when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import audit
from handlers.gallery.callbacks import AuditCallback
from storage.repositories import people as people_repo
from tests.support import gallery_steps as steps
from tests.support.town import Town


async def test_a_coordinator_reads_views_and_searches_in_words(town: Town) -> None:
    tom, cora = town.trader, town.coordinator
    entry_id = await steps.entry(town)
    gallery = await tom.says("/gallery")
    await tom.press("Man in a grey hoodie · ID sought · 0 incidents", on=gallery)
    await tom.next_reply()
    await tom.presses("Search", on=gallery)
    await tom.says("hoodie")

    log = await cora.says("/audit")
    lines = log.body.splitlines()
    assert lines[0] == "Audit log · Market Town Shop Watch · page 1 (newest first)"
    assert [line.split(" · ", 1)[1] for line in lines[2:]] == [
        "Tom · searched the gallery",
        f"Tom · viewed gallery entry #{entry_id}",
        "Tom · opened the gallery",
    ]
    local_now = town.live.clock.now().astimezone(town.live.settings.tz)
    assert lines[2].split(" · ")[0] in {
        f"{moment:%d/%m/%Y %H:%M}" for moment in (local_now, local_now - timedelta(minutes=1))
    }
    assert not log.buttons
    assert log.protect_content


async def test_group_and_invite_events_read_in_words(town: Town) -> None:
    now = town.live.clock.now()
    async with town.database.sessions() as session, session.begin():
        cora = await people_repo.by_telegram_id(session, town.coordinator.id)
        assert cora is not None
        for minutes, actor, action, object_id in [
            (4, cora.id, "invite.created", 3),
            (3, None, "group.unapproved_join", 5551234),
            (2, cora.id, "group.removed_unapproved", 5551234),
            (1, cora.id, "invite.revoked", 3),
        ]:
            await audit.record(
                session,
                actor_id=actor,
                scheme_id=town.scheme_id,
                action=action,
                object_id=object_id,
                # After anything the town's setup recorded, so these are the newest four.
                at=now + timedelta(seconds=10 - minutes),
            )

    log = await town.coordinator.says("/audit")

    assert [line.split(" · ", 1)[1] for line in log.body.splitlines()[2:6]] == [
        "Cora · revoked an invite link",
        "Cora · removed Telegram user 5551234 (not approved) from the group",
        # Noticed by the bot itself, not by "someone since erased".
        "ShopWatch · noticed Telegram user 5551234 join the group without approval",
        "Cora · made an invite link",
    ]


async def test_the_log_is_paged_newest_first_and_names_unknown_actions_as_recorded(
    town: Town,
) -> None:
    live, cora = town.live, town.coordinator
    now = live.clock.now()
    async with town.database.sessions() as session, session.begin():
        tom = await people_repo.by_telegram_id(session, town.trader.id)
        assert tom is not None
        for minute in range(18):
            await audit.record(
                session,
                actor_id=tom.id,
                scheme_id=town.scheme_id,
                action="gallery.viewed",
                object_type="subject",
                object_id=minute,
                at=now - timedelta(minutes=30 - minute),
            )
        await audit.record(
            session,
            actor_id=None,
            scheme_id=town.scheme_id,
            action="gallery.entry_purged",
            object_type="subject",
            object_id=99,
            at=now - timedelta(minutes=5),
        )
        await audit.record(
            session,
            actor_id=tom.id,
            scheme_id=town.scheme_id,
            action="incident.viewed",
            object_type="incident",
            object_id=42,
            details={"reference": "INC-2026-000042", "via": "card"},
            at=now - timedelta(minutes=3),
        )
        await audit.record(
            session,
            actor_id=tom.id,
            scheme_id=town.scheme_id,
            action="newsletter.sent",
            object_id=7,
            at=now - timedelta(minutes=1),
        )
        await audit.record(
            session,
            actor_id=tom.id,
            scheme_id=town.other_scheme_id,
            action="gallery.viewed",
            object_id=500,
            at=now,
        )

    first = await cora.says("/audit")
    lines = [line.split(" · ", 1)[1] for line in first.body.splitlines()[2:]]
    assert len(lines) == 15
    assert lines[:4] == [
        "Tom · newsletter.sent #7",
        "Tom · viewed incident INC-2026-000042",
        "ShopWatch · deleted gallery entry #99 (retention period over)",
        "Tom · viewed gallery entry #17",
    ]
    assert "#500" not in first.body
    assert first.buttons == [["Older ▶"]]

    second = await cora.presses("Older ▶", on=first)
    assert second.body.splitlines()[0].endswith("page 2 (newest first)")
    assert [line.split(" · ", 1)[1] for line in second.body.splitlines()[2:]] == [
        "Tom · viewed gallery entry #5",
        "Tom · viewed gallery entry #4",
        "Tom · viewed gallery entry #3",
        "Tom · viewed gallery entry #2",
        "Tom · viewed gallery entry #1",
        "Tom · viewed gallery entry #0",
    ]
    assert second.buttons == [["◀ Newer"]]
    back = await cora.presses("◀ Newer", on=second)
    assert back.body == first.body


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("trader", "(trader) doesn't include this"),
        ("partner", "(partner) doesn't include this"),
        ("pending", "is waiting for a coordinator's approval"),
        ("rejected", "was not approved"),
        ("suspended", "is suspended"),
        ("resident", "only for approved members of a Shop Watch scheme"),
    ],
)
async def test_only_coordinators_read_the_audit_log(town: Town, who: str, expected: str) -> None:
    person = getattr(town, who)
    await steps.entry(town)
    await town.trader.says("/gallery")

    refusal = await person.says("/audit")
    assert expected in refusal.body and "Tom" not in refusal.body
    await person.hears_nothing()


async def test_another_schemes_coordinator_cannot_page_into_this_log(town: Town) -> None:
    olga = town.other_coordinator
    await town.trader.says("/gallery")

    own = await olga.says("/audit")
    assert own.body.startswith("Audit log · Riverside Shop Watch · page 1")
    assert "Nothing recorded yet." in own.body
    forged = await steps.presses_forged(olga, AuditCallback(scheme=town.scheme_id), own)
    assert "a scheme you are not a member of" in forged["text"]
    await olga.hears_nothing()


async def test_the_audit_log_is_not_shown_in_the_group(town: Town) -> None:
    answer = await town.coordinator.says_in(town.group, "/audit")
    assert answer.body == "The audit log is only shown in private chat. Message me directly."
    await town.live.sandbox.assert_no_message(town.group.id)
