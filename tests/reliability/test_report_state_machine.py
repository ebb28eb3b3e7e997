"""Three residents file reports at once with one bot: nobody's answers reach anyone else.

A Hypothesis state machine picks a resident and an action at every step (start, answer
rightly or wrongly, Back, Edit, Cancel, Submit, press someone else's button) and keeps each
resident's expected draft. Every reply must be that resident's own next question, every
summary must show only their own answers, and every filed report must hold exactly the
fields its owner gave.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.reports import texts
from core.reports.categories import CATEGORIES, CategoryInfo
from core.reports.draft import CONTACT_LABELS, Contact
from core.reports.parsing import parse_place
from sandbox.client import Message
from storage.models import Person as PersonRow
from storage.models import Report
from tests.support.backends import Backend
from tests.support.live import Person
from tests.support.soak import scale
from tests.support.threaded_bot import ThreadedBot

CATEGORY, SUBTYPE, LOCATION, WHEN, DESCRIPTION, PHOTOS, CONTACT, REVIEW = (
    "category", "subtype", "location", "when", "description", "photos", "contact", "review"
)  # fmt: skip
PROMPTS = {
    SUBTYPE: texts.ASK_SUBTYPE,
    LOCATION: texts.ASK_LOCATION,
    WHEN: texts.ASK_WHEN,
    DESCRIPTION: texts.ASK_DESCRIPTION,
    CONTACT: texts.ASK_CONTACT,
}
CASE_REVIEW_OFFER = "You can now ask for an ASB Case Review"
HELP = "Here is what I can do for you:"
NAMES = ("Alder", "Birch", "Cedar", "Damson")
STREETS = ("by the library steps", "outside the chip shop", "on Mill Road bridge")
POSTCODES = ("CB1 2AB", "CB2 3AR", "LS6 1AA")
WHEN_BUTTONS = ("Just now", "Earlier today", "Yesterday")
DOINGS = ("shouting at buses", "drinking on the benches", "kicking the bins over")


@dataclass(repr=False)
class Resident:
    """One person's side of the conversation, as the model expects it to be."""

    person: Person
    tag: str
    step: str | None = None
    editing: bool = False
    prompt: Message | None = None
    category: CategoryInfo | None = None
    subtype: str | None = None
    place: str | None = None
    postcode: str | None = None
    pin: tuple[float, float] | None = None
    when: str | None = None
    description: str | None = None
    photos: int = 0
    contact: Contact | None = None
    answers: int = 0
    filed: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<{self.tag} at {self.step}>"

    def start_afresh(self) -> None:
        self.step, self.editing = CATEGORY, False
        self.category = self.subtype = self.place = self.postcode = None
        self.pin = self.when = self.description = self.contact = None
        self.photos = 0

    @property
    def where(self) -> str:
        parts = [part for part in (self.place, self.postcode) if part]
        if self.pin is not None:
            parts.append(f"pin at {self.pin[0]:.5f}, {self.pin[1]:.5f}")
        return ", ".join(parts)


class ReportConversations(RuleBasedStateMachine):
    """Residents talking to the same bot, interleaved in any order."""

    bot: ThreadedBot

    def __init__(self) -> None:
        super().__init__()
        live = self.bot.live
        self.residents = [
            Resident(
                self.bot.run(live.person(name)),
                tag=name + "".join(secrets.choice("bcdfghjkmnpqrstvwz") for _ in range(6)),
            )
            for name in NAMES[:3]
        ]
        self.reports_before = self.bot.run(self._report_count())

    # ------------------------------------------------------------------ talking to the bot

    def says(self, who: Resident, text: str) -> Message:
        return self.bot.run(who.person.says(text))

    def next_reply(self, who: Resident) -> Message:
        return self.bot.run(who.person.next_reply())

    def presses(self, who: Resident, label: str) -> Message:
        assert who.prompt is not None
        return self.bot.run(who.person.presses(label, on=who.prompt))

    def expect_step(self, who: Resident, reply: Message) -> None:
        """The reply is the question for the resident's own current step, and nothing else."""
        assert who.step is not None
        event(f"asked {who.step}" + (" (editing)" if who.editing else ""))
        for other in self.residents:
            if other is not who:
                assert other.tag not in reply.body, f"{other.tag}'s words reached {who.tag}"
        if who.step == CATEGORY:
            assert reply.body == texts.INTRO, reply.body
        elif who.step == PHOTOS:
            assert reply.body.startswith(texts.ASK_PHOTOS.split(" Send")[0]), reply.body
        elif who.step == REVIEW:
            self.expect_summary(who, reply)
        else:
            assert reply.body == PROMPTS[who.step], (who.step, reply.body)
        if who.step != LOCATION:
            who.prompt = reply

    def expect_summary(self, who: Resident, summary: Message) -> None:
        assert who.category is not None and who.contact is not None
        kind = who.category.label + (f" ({who.subtype})" if who.subtype else "")
        photos = f"{who.photos} attached" if who.photos else "none"
        lines = summary.body.splitlines()
        assert lines[0] == "Please check your report:", summary.body
        assert f"What: {kind}" in lines
        assert f"Where: {who.where}" in lines
        assert f"When: {who.when}" in lines
        assert f"What happened: {who.description}" in lines
        assert f"Photos: {photos}" in lines
        assert f"Contact: {CONTACT_LABELS[who.contact]}" in lines

    def advance(self, who: Resident, after: str) -> str:
        """The step after answering `after` (straight back to the summary when editing)."""
        if who.editing:
            who.editing = False
            return REVIEW
        if after == CATEGORY:
            assert who.category is not None
            return SUBTYPE if who.category.subtypes else LOCATION
        order = [CATEGORY, SUBTYPE, LOCATION, WHEN, DESCRIPTION, PHOTOS, CONTACT, REVIEW]
        return order[order.index(after) + 1]

    def back_from(self, who: Resident) -> str:
        """Where Back leads, as flow.md describes."""
        assert who.step is not None
        if who.editing and who.step != SUBTYPE:
            who.editing = False
            return REVIEW
        assert who.category is not None
        previous = {
            SUBTYPE: CATEGORY,
            LOCATION: SUBTYPE if who.category.subtypes else CATEGORY,
            WHEN: LOCATION,
            DESCRIPTION: WHEN,
            PHOTOS: DESCRIPTION,
            CONTACT: PHOTOS,
            REVIEW: CONTACT,
        }
        return previous[who.step]

    def at(self, step: str) -> list[Resident]:
        return [who for who in self.residents if who.step == step]

    def pick(self, data: st.DataObject, step: str | None) -> Resident:
        return data.draw(st.sampled_from(self.at(step) if step else self.in_progress()))

    def in_progress(self) -> list[Resident]:
        return [who for who in self.residents if who.step is not None]

    # ------------------------------------------------------------------------------- rules

    @rule(data=st.data())
    def starts_or_resumes_a_report(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self.residents))
        reply = self.says(who, "/report")
        if who.step is None:
            who.start_afresh()
            self.expect_step(who, reply)
            return
        assert reply.body.startswith("You have a report in progress"), reply.body
        self.expect_step(who, self.next_reply(who))

    @precondition(lambda self: self.in_progress())
    @rule(data=st.data())
    def answers_their_next_questions(self, data: st.DataObject) -> None:
        """Moves someone on by a few good answers, so that many examples get as far as Submit."""
        who = self.pick(data, None)
        for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
            if who.step is None:
                return
            self.answer_well(who, data)

    def answer_well(self, who: Resident, data: st.DataObject) -> None:
        if who.step == CATEGORY:
            self.category_picked(who, data.draw(st.sampled_from(CATEGORIES)))
        elif who.step == SUBTYPE:
            self.subtype_picked(who, data.draw(st.integers(0, 4)))
        elif who.step == LOCATION:
            street = data.draw(st.sampled_from(STREETS))
            self.place_typed(who, street, data.draw(st.sampled_from((None, *POSTCODES))))
        elif who.step == WHEN:
            self.when_said(who, data.draw(st.sampled_from(WHEN_BUTTONS)))
        elif who.step == DESCRIPTION:
            self.described(who, data.draw(st.sampled_from(DOINGS)))
        elif who.step == PHOTOS:
            self.photos_finished(who)
        elif who.step == CONTACT:
            self.contact_chosen(who, data.draw(st.sampled_from(list(Contact))))
        else:
            self.submitted(who)

    @precondition(lambda self: self.at(CATEGORY))
    @rule(data=st.data(), category=st.sampled_from(CATEGORIES))
    def picks_a_category(self, data: st.DataObject, category: CategoryInfo) -> None:
        self.category_picked(self.pick(data, CATEGORY), category)

    def category_picked(self, who: Resident, category: CategoryInfo) -> None:
        reply = self.presses(who, category.label)
        who.category, who.subtype = category, None
        who.step = self.advance(who, CATEGORY)
        self.expect_step(who, reply)

    @precondition(lambda self: self.at(SUBTYPE))
    @rule(data=st.data(), choice=st.integers(min_value=0, max_value=4))
    def picks_a_subtype_or_skips(self, data: st.DataObject, choice: int) -> None:
        self.subtype_picked(self.pick(data, SUBTYPE), choice)

    def subtype_picked(self, who: Resident, choice: int) -> None:
        assert who.category is not None
        subtypes = who.category.subtypes
        label = subtypes[choice] if choice < len(subtypes) else "Skip"
        reply = self.presses(who, label)
        who.subtype = None if label == "Skip" else label
        who.step = self.advance(who, SUBTYPE)
        self.expect_step(who, reply)

    @precondition(lambda self: self.at(LOCATION))
    @rule(
        data=st.data(),
        street=st.sampled_from(STREETS),
        postcode=st.sampled_from((None, *POSTCODES)),
    )
    def types_where_it_happened(
        self, data: st.DataObject, street: str, postcode: str | None
    ) -> None:
        self.place_typed(self.pick(data, LOCATION), street, postcode)

    def place_typed(self, who: Resident, street: str, postcode: str | None) -> None:
        typed = f"{who.tag} {street}" + (f", {postcode}" if postcode else "")
        got_it = self.says(who, typed)
        place = parse_place(typed)
        who.place, who.postcode, who.pin = place.text, place.postcode, None
        assert got_it.body == f"Got it: {who.where}.", got_it.body
        who.step = self.advance(who, LOCATION)
        self.expect_step(who, self.next_reply(who))

    @precondition(lambda self: self.at(LOCATION))
    @rule(data=st.data(), north=st.integers(0, 99), east=st.integers(0, 99))
    def shares_a_pin(self, data: st.DataObject, north: int, east: int) -> None:
        who = self.pick(data, LOCATION)
        pin = (52.1 + north / 1000, 0.1 + east / 1000)
        got_it = self.bot.run(who.person.shares_location(*pin))
        who.place = who.postcode = None
        who.pin = pin
        assert got_it.body == f"Got it: {who.where}.", got_it.body
        who.step = self.advance(who, LOCATION)
        self.expect_step(who, self.next_reply(who))

    @precondition(lambda self: self.at(LOCATION))
    @rule(data=st.data(), typed=st.sampled_from(["CB1 2A", "LS6", "x"]))
    def types_a_place_that_is_refused(self, data: st.DataObject, typed: str) -> None:
        who = self.pick(data, LOCATION)
        refused = self.says(who, typed)
        assert "postcode" in refused.body or "too short" in refused.body, refused.body
        assert who.step == LOCATION

    @precondition(lambda self: self.at(WHEN))
    @rule(data=st.data(), label=st.sampled_from(WHEN_BUTTONS))
    def says_when(self, data: st.DataObject, label: str) -> None:
        self.when_said(self.pick(data, WHEN), label)

    def when_said(self, who: Resident, label: str) -> None:
        reply = self.presses(who, label)
        who.when = label
        who.step = self.advance(who, WHEN)
        self.expect_step(who, reply)

    @precondition(lambda self: self.at(WHEN))
    @rule(data=st.data())
    def types_a_time_in_the_future(self, data: st.DataObject) -> None:
        who = self.pick(data, WHEN)
        refused = self.says(who, "tomorrow at 9pm")
        assert "future" in refused.body, refused.body

    @precondition(lambda self: self.at(DESCRIPTION))
    @rule(data=st.data(), doing=st.sampled_from(DOINGS))
    def describes_what_happened(self, data: st.DataObject, doing: str) -> None:
        self.described(self.pick(data, DESCRIPTION), doing)

    def described(self, who: Resident, doing: str) -> None:
        who.answers += 1
        description = f"{who.tag} saw a group {doing}, answer {who.answers}"
        reply = self.says(who, description)
        who.description = description
        who.step = self.advance(who, DESCRIPTION)
        self.expect_step(who, reply)

    def answering(self) -> list[Resident]:
        return [who for who in self.residents if who.step not in (None, REVIEW)]

    @precondition(lambda self: len(self.answering()) >= 2)
    @rule(data=st.data())
    def two_answer_at_the_same_moment(self, data: st.DataObject) -> None:
        """Both answers are on their way before the bot replies to either."""
        pair = data.draw(st.permutations(self.answering()).map(lambda found: found[:2]))
        answers = [self.good_answer(who, data) for who in pair]

        async def both_send() -> None:
            await asyncio.gather(*(send for send, _ in answers))

        self.bot.run(both_send())
        for _, finish in answers:
            finish()

    def good_answer(
        self, who: Resident, data: st.DataObject
    ) -> tuple[Coroutine[Any, Any, object], Callable[[], None]]:
        """A good answer to send now, and how to check what comes back afterwards."""
        sandbox = self.bot.live.sandbox
        answered = who.step
        assert answered is not None
        if answered in (LOCATION, DESCRIPTION):
            if answered == LOCATION:
                text = f"{who.tag} {data.draw(st.sampled_from(STREETS))}"
            else:
                who.answers += 1
                text = f"{who.tag} saw a group {data.draw(st.sampled_from(DOINGS))}, {who.answers}"

            def typed() -> None:
                if answered == LOCATION:
                    place = parse_place(text)
                    who.place, who.postcode, who.pin = place.text, place.postcode, None
                    assert self.next_reply(who).body == f"Got it: {who.where}."
                else:
                    who.description = text
                who.step = self.advance(who, answered)
                self.expect_step(who, self.next_reply(who))

            return sandbox.send_text(who.person.id, text), typed
        label, record = self.button_answer(who, data)
        assert who.prompt is not None
        press = sandbox.press(who.person.id, who.prompt.message_id, text=label)

        def pressed() -> None:
            record()
            who.step = self.advance(who, answered)
            self.expect_step(who, self.next_reply(who))

        return press, pressed

    def button_answer(self, who: Resident, data: st.DataObject) -> tuple[str, Callable[[], None]]:
        """The label of a good button for the current step, and how it changes the draft."""
        if who.step == CATEGORY:
            category = data.draw(st.sampled_from(CATEGORIES))

            def chose_category() -> None:
                who.category, who.subtype = category, None

            return category.label, chose_category
        if who.step == SUBTYPE:
            return "Skip", lambda: setattr(who, "subtype", None)
        if who.step == WHEN:
            label = data.draw(st.sampled_from(WHEN_BUTTONS))
            return label, lambda: setattr(who, "when", label)
        if who.step == PHOTOS:
            return ("Done" if who.photos else "Skip"), lambda: None
        contact = data.draw(st.sampled_from(list(Contact)))
        return CONTACT_LABELS[contact], lambda: setattr(who, "contact", contact)

    @precondition(lambda self: self.at(DESCRIPTION))
    @rule(data=st.data())
    def describes_too_briefly(self, data: st.DataObject) -> None:
        who = self.pick(data, DESCRIPTION)
        refused = self.says(who, "Noise")
        assert "at least 10" in refused.body, refused.body

    @precondition(lambda self: any(who.photos < 5 for who in self.at(PHOTOS)))
    @rule(data=st.data())
    def sends_a_photo(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from([who for who in self.at(PHOTOS) if who.photos < 5]))
        added = self.bot.run(who.person.sends_photos(1))
        who.photos += 1
        assert added.body.startswith(f"{who.photos} of up to 5 photos added"), added.body
        who.prompt = added

    @precondition(lambda self: self.at(PHOTOS))
    @rule(data=st.data())
    def finishes_photos(self, data: st.DataObject) -> None:
        self.photos_finished(self.pick(data, PHOTOS))

    def photos_finished(self, who: Resident) -> None:
        reply = self.presses(who, "Done" if who.photos else "Skip")
        who.step = self.advance(who, PHOTOS)
        self.expect_step(who, reply)

    @precondition(lambda self: self.at(CONTACT))
    @rule(data=st.data(), contact=st.sampled_from(list(Contact)))
    def chooses_contact(self, data: st.DataObject, contact: Contact) -> None:
        self.contact_chosen(self.pick(data, CONTACT), contact)

    def contact_chosen(self, who: Resident, contact: Contact) -> None:
        reply = self.presses(who, CONTACT_LABELS[contact])
        who.contact = contact
        who.step = self.advance(who, CONTACT)
        self.expect_step(who, reply)

    @precondition(lambda self: self.at(REVIEW))
    @rule(data=st.data(), part=st.sampled_from([("Edit what happened", DESCRIPTION),
                                                 ("Edit where", LOCATION)]))  # fmt: skip
    def edits_one_answer(self, data: st.DataObject, part: tuple[str, str]) -> None:
        who = self.pick(data, REVIEW)
        label, step = part
        reply = self.presses(who, label)
        who.step, who.editing = step, True
        self.expect_step(who, reply)

    @precondition(lambda self: any(who.step not in (None, CATEGORY) for who in self.residents))
    @rule(data=st.data())
    def goes_back(self, data: st.DataObject) -> None:
        who = data.draw(
            st.sampled_from([w for w in self.residents if w.step not in (None, CATEGORY)])
        )
        if who.step == LOCATION:
            going = self.says(who, "Back")
            assert going.body == "Going back.", going.body
            reply = self.next_reply(who)
        else:
            reply = self.presses(who, "Back")
        who.step = self.back_from(who)
        self.expect_step(who, reply)

    @precondition(lambda self: self.in_progress())
    @rule(data=st.data())
    def cancels(self, data: st.DataObject) -> None:
        who = self.pick(data, None)
        if who.step == LOCATION:
            cancelled = self.says(who, "Cancel")
        else:
            cancelled = self.presses(who, "Cancel")
        assert cancelled.body == texts.CANCELLED, cancelled.body
        who.step, who.prompt = None, None

    @precondition(lambda self: self.at(REVIEW))
    @rule(data=st.data())
    def submits(self, data: st.DataObject) -> None:
        self.submitted(self.pick(data, REVIEW))

    def submitted(self, who: Resident) -> None:
        done = self.presses(who, "Submit")
        assert done.body.startswith("Thank you. Your report is SW-"), done.body
        reference = done.body.removeprefix("Thank you. Your report is ").split()[0].rstrip(".")
        who.filed.append(reference)
        event("submitted")
        self.bot.run(self._expect_filed(who, reference))
        who.step, who.prompt = None, None
        # Someone who keeps reporting may be offered an ASB Case Review next; nothing else.
        for said in self.bot.run(_messages_until_help(who.person)):
            event("offered a case review")
            assert said.startswith(CASE_REVIEW_OFFER), said
            assert all(other.tag not in said for other in self.residents)

    @precondition(
        lambda self: any(w.prompt is not None and w.step != LOCATION for w in self.residents)
    )
    @rule(data=st.data())
    def presses_someone_elses_button(self, data: st.DataObject) -> None:
        owner = data.draw(
            st.sampled_from(
                [w for w in self.residents if w.prompt is not None and w.step != LOCATION]
            )
        )
        intruder = data.draw(st.sampled_from([w for w in self.residents if w is not owner]))
        assert owner.prompt is not None
        own_message = self._any_message_of(intruder)
        if own_message is None:
            return
        buttons = [
            button["callback_data"]
            for row in (owner.prompt.reply_markup or {}).get("rows", [])
            for button in row
            if "callback_data" in button
        ]
        pressed = data.draw(st.sampled_from(buttons))
        answer = self.bot.run(self._forge(intruder, own_message, pressed))
        event("pressed someone else's button")
        assert answer["text"], f"{intruder.tag} pressed {owner.tag}'s {pressed} unrefused"
        if intruder.step is None:
            # With no report of their own they are told so; nothing else happens.
            assert self.next_reply(intruder).body == texts.NO_REPORT_IN_PROGRESS

    # -------------------------------------------------------------------------- invariants

    @invariant()
    def the_database_holds_exactly_the_submitted_reports(self) -> None:
        filed = sum(len(who.filed) for who in self.residents)
        assert self.bot.run(self._report_count()) == self.reports_before + filed

    # ----------------------------------------------------------------------------- helpers

    def _any_message_of(self, who: Resident) -> Message | None:
        if who.prompt is not None:
            return who.prompt
        transcript = self.bot.run(self.bot.live.sandbox.transcript(who.person.id))
        from_bot = [message for message in transcript if message.from_bot]
        return from_bot[-1] if from_bot else None

    async def _forge(self, who: Resident, on: Message, data: str) -> dict[str, object]:
        sandbox = self.bot.live.sandbox
        query = await sandbox.press(who.person.id, on.message_id, data=data, forged=True)
        return await sandbox.wait_for_callback_answer(query)

    async def _report_count(self) -> int:
        async with self.bot.database.sessions() as session:
            counted = await session.execute(select(func.count()).select_from(Report))
            return int(counted.scalar_one())

    async def _expect_filed(self, who: Resident, reference: str) -> None:
        """The stored report holds exactly what its owner answered."""
        async with self.bot.database.sessions() as session:
            report = (
                await session.execute(
                    select(Report)
                    .where(Report.reference == reference)
                    .options(selectinload(Report.photos))
                )
            ).scalar_one()
            reporter = await session.get(PersonRow, report.reporter_id)
        assert reporter is not None and reporter.telegram_user_id == who.person.id
        assert who.category is not None and who.contact is not None
        assert report.category == who.category.category
        assert report.subtype == who.subtype
        assert report.description == who.description
        assert report.location_text == who.place and report.postcode == who.postcode
        if who.pin is None:
            assert report.latitude is None and report.longitude is None
        else:
            assert (report.latitude, report.longitude) == pytest.approx(who.pin)
        assert report.occurred_label == who.when
        assert len(report.photos) == who.photos
        assert report.anonymous == who.contact.anonymous
        assert report.contact_allowed == who.contact.gets_updates
        for other in self.residents:
            if other is not who:
                assert other.tag not in (report.description + (report.location_text or ""))


async def _messages_until_help(person: Person) -> list[str]:
    """What the bot says to `person` before it answers a /help sent now (updates are in order)."""
    await person.live.sandbox.send_text(person.id, "/help")
    said: list[str] = []
    while not (reply := await person.next_reply()).body.startswith(HELP):
        said.append(reply.body)
    return said


@pytest.fixture
def threaded_bot(backend: Backend) -> Iterator[ThreadedBot]:
    """One bot for the whole test: starting it per example would take most of the time."""
    mode = "polling" if backend.redis_url is None else "webhook"
    with ThreadedBot(backend, mode=mode) as bot:
        yield bot


@pytest.mark.timeout(scale(240, 7200))
def test_interleaved_residents_never_see_or_file_each_others_answers(
    threaded_bot: ThreadedBot,
) -> None:
    machine = type("Machine", (ReportConversations,), {"bot": threaded_bot})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=scale(8, 200),
            stateful_step_count=scale(30, 60),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
