"""Residents file reports through the guided conversation, through the sandbox, on both backends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.enums import ReportCategory, ReportStatus
from sandbox.client import Message
from storage.db import Database
from storage.models import Report, ReportPhoto
from tests.support.live import LiveBot, Person

EMERGENCY = "In an emergency call 999; for non-emergency crime call 101."


async def report_count(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Report))).scalar_one())


DESCRIPTION = "Six people drinking and shouting by the benches every evening"


async def to_location(person: Person) -> Message:
    """Starts a street drinking report; returns the "where" question."""
    intro = await person.says("/report")
    subtypes = await person.presses("Street drinking", on=intro)
    return await person.presses("Drinking in a public place", on=subtypes)


async def to_when(person: Person) -> Message:
    """Answers up to "where" with a postcode; returns the "when" question."""
    await to_location(person)
    await person.says("Library gardens, CB1 2AB")  # "Got it"
    return await person.next_reply()


async def to_description(person: Person) -> Message:
    """Answers up to "when"; returns the "what happened" question."""
    return await person.presses("Just now", on=await to_when(person))


async def to_photos(person: Person) -> Message:
    """Answers up to "what happened"; returns the photos question."""
    await to_description(person)
    return await person.says(DESCRIPTION)


async def to_contact(person: Person) -> Message:
    """Answers up to photos (skipped); returns the contact question."""
    return await person.presses("Skip", on=await to_photos(person))


async def to_review(person: Person, contact: str = "You may contact me") -> Message:
    """Answers every question; returns the summary."""
    return await person.presses(contact, on=await to_contact(person))


async def test_a_resident_files_a_report_answering_every_step(
    live: LiveBot, database: Database
) -> None:
    dan = await live.person("Dan")

    intro = await dan.says("/report")
    assert EMERGENCY in intro.body
    assert "What kind of problem is it?" in intro.body

    subtypes = await dan.presses("Street drinking", on=intro)
    assert subtypes.body == "Which of these fits best?"

    where = await dan.presses("Drinking in a public place", on=subtypes)
    assert "Where did it happen?" in where.body
    assert where.keyboard_type == "reply"

    got_it = await dan.shares_location(52.2053, 0.1218)
    assert got_it.body == "Got it: pin at 52.20530, 0.12180."
    when = await dan.next_reply()
    assert when.body.startswith("When did it happen?")

    what = await dan.presses("Earlier today", on=when)
    assert what.body.startswith("What happened?")

    await live.sandbox.send_text(
        dan.id, "A group drinking and shouting at passers-by all afternoon"
    )
    photos = await dan.next_reply()
    assert "Would you like to add photos?" in photos.body

    added = await dan.sends_photos(3)
    assert added.body.startswith("1 of up to 5 photos added")
    updated = await live.sandbox.wait_for_edit(dan.id, added.message_id, lambda m: "3 of" in m.body)
    assert updated.body.startswith("3 of up to 5 photos added")

    contact = await dan.presses("Done", on=updated)
    assert contact.body == "Can the coordinator contact you about this report?"

    summary = await dan.presses("You may contact me", on=contact)
    assert "What: Street drinking (Drinking in a public place)" in summary.body
    assert "Where: pin at 52.20530, 0.12180" in summary.body
    assert "When: Earlier today" in summary.body
    assert "Photos: 3 attached" in summary.body
    assert "Contact: You may contact me" in summary.body

    done = await dan.presses("Submit", on=summary)
    assert done.body.startswith("Thank you. Your report is SW-")
    assert done.buttons == [["Report another problem"]]

    async with database.sessions() as session:
        report = (await session.execute(select(Report))).scalar_one()
        photos_stored = (
            await session.execute(select(func.count()).select_from(ReportPhoto))
        ).scalar_one()
    assert report.reference in done.body
    assert report.category == ReportCategory.STREET_DRINKING
    assert report.status == ReportStatus.RECEIVED
    assert report.contact_allowed and not report.anonymous
    assert photos_stored == 3


async def test_danger_words_repeat_the_emergency_advice_then_carry_on(live: LiveBot) -> None:
    eve = await live.person("Eve")
    await to_description(eve)

    warning = await eve.says("A man waving a knife at people outside the shop")
    assert warning.body.startswith("If anyone is in danger right now, please call 999")
    assert "Would you like to add photos?" in (await eve.next_reply()).body


async def test_an_invalid_postcode_is_explained_and_asked_again(
    live: LiveBot, database: Database
) -> None:
    fay = await live.person("Fay")
    await to_location(fay)

    refused = await fay.says("CB1 2A")
    assert "UK postcodes look like CB1 2AB" in refused.body

    accepted = await fay.says("cb12ab")
    assert accepted.body == "Got it: CB1 2AB."
    assert (await fay.next_reply()).body.startswith("When did it happen?")


async def test_a_future_time_is_refused_and_a_typed_time_is_read(live: LiveBot) -> None:
    gil = await live.person("Gil")
    await to_when(gil)

    refused = await gil.says("tomorrow at 9pm")
    assert "future" in refused.body
    future = await gil.says("01/01/2099 10:00")
    assert "future" in future.body

    read = await gil.says("yesterday 9pm")
    assert read.body.startswith("Got it:")
    assert (await gil.next_reply()).body.startswith("What happened?")


async def test_descriptions_too_short_or_too_long_are_refused(live: LiveBot) -> None:
    hal = await live.person("Hal")
    await to_description(hal)

    short = await hal.says("Noise")
    assert "at least 10" in short.body
    long = await hal.says("x" * 1990 + " drinking " + "y" * 10)
    assert "2000" in long.body

    assert "Would you like to add photos?" in (await hal.says(DESCRIPTION)).body


async def test_unexpected_messages_get_a_clear_reprompt(live: LiveBot) -> None:
    ian = await live.person("Ian")
    intro = await ian.says("/report")

    nudged = await ian.sends_sticker()
    assert nudged.body == "Please use the buttons on my last message to answer."
    again = await ian.next_reply()
    assert again.body == intro.body

    subtypes = await ian.presses("Noise", on=again)
    await ian.presses("Loud music", on=subtypes)
    where_nudge = await ian.sends_sticker()
    assert where_nudge.body == "Please share a location pin or type where it happened."

    await ian.says("Flat 3 above the chip shop, Mill Road")
    when = await ian.next_reply()
    pin_instead = await ian.shares_location(52.2, 0.12)
    assert pin_instead.body == "Please pick one of the buttons, or type a date and time."
    description_prompt = await ian.presses("Yesterday", on=when)
    assert description_prompt.body.startswith("What happened?")
    assert (await ian.shares_location(52.2, 0.12)).body == (
        "Please type what happened as a text message."
    )


async def test_back_returns_to_the_previous_question_at_every_step(live: LiveBot) -> None:
    jo = await live.person("Jo")
    contact = await to_contact(jo)

    photos = await jo.presses("Back", on=contact)
    assert "Would you like to add photos?" in photos.body
    description = await jo.presses("Back", on=photos)
    assert description.body.startswith("What happened?")
    when = await jo.presses("Back", on=description)
    assert when.body.startswith("When did it happen?")
    where = await jo.presses("Back", on=when)
    assert where.body.startswith("Where did it happen?")
    await live.sandbox.send_text(jo.id, "Back")
    assert (await jo.next_reply()).body == "Going back."
    subtypes = await jo.next_reply()
    assert subtypes.body == "Which of these fits best?"
    intro = await jo.presses("Back", on=subtypes)
    assert "What kind of problem is it?" in intro.body


async def test_cancel_at_any_step_files_nothing(live: LiveBot, database: Database) -> None:
    kit = await live.person("Kit")
    for reach in (to_location, to_when, to_description, to_photos, to_contact, to_review):
        prompt = await reach(kit)
        if prompt.keyboard_type == "reply":
            await live.sandbox.send_text(kit.id, "Cancel")
            cancelled = await kit.next_reply()
        else:
            cancelled = await kit.presses("Cancel", on=prompt)
        assert cancelled.body.startswith("Report cancelled. Nothing was filed.")
    assert await report_count(database) == 0
    assert (await kit.says("hello")).body.startswith("Sorry, I didn't understand that.")


async def test_slash_cancel_mid_report_files_nothing(live: LiveBot, database: Database) -> None:
    lou = await live.person("Lou")
    await to_description(lou)

    assert (
        "Cancelled. Nothing from that conversation was saved." in (await lou.says("/cancel")).body
    )
    assert await report_count(database) == 0


async def test_every_part_can_be_edited_from_the_summary(live: LiveBot, database: Database) -> None:
    max_ = await live.person("Max")
    summary = await to_review(max_)

    where = await max_.presses("Edit where", on=summary)
    assert where.body.startswith("Where did it happen?")
    await max_.says("Station car park, CB2 3AR")
    summary = await max_.next_reply()
    assert "Where: Station car park, CB2 3AR" in summary.body

    description = await max_.presses("Edit what happened", on=summary)
    assert description.body.startswith("What happened?")
    summary = await max_.says("Bottles smashed across the car park and people shouting")
    assert "What happened: Bottles smashed across the car park" in summary.body

    when = await max_.presses("Edit when", on=summary)
    summary = await max_.presses("Yesterday", on=when)
    assert "When: Yesterday" in summary.body

    photos = await max_.presses("Edit photos", on=summary)
    assert "Would you like to add photos?" in photos.body
    added = await max_.sends_photos(1)
    assert added.body.startswith("1 of up to 5 photos added")
    summary = await max_.presses("Done", on=added)
    assert "Photos: 1 attached" in summary.body

    contact = await max_.presses("Edit contact", on=summary)
    summary = await max_.presses("Keep me anonymous (no updates)", on=contact)
    assert "Contact: Keep me anonymous (no updates)" in summary.body

    what = await max_.presses("Edit what", on=summary)
    subtypes = await max_.presses("Vandalism or graffiti", on=what)
    summary = await max_.presses("Graffiti", on=subtypes)
    assert "What: Vandalism or graffiti (Graffiti)" in summary.body

    await max_.presses("Submit", on=summary)
    async with database.sessions() as session:
        report = (await session.execute(select(Report))).scalar_one()
    assert report.category == ReportCategory.VANDALISM
    assert report.postcode == "CB2 3AR" and report.anonymous and not report.contact_allowed


async def test_pressing_submit_twice_files_one_report(live: LiveBot, database: Database) -> None:
    ned = await live.person("Ned")
    summary = await to_review(ned)

    await ned.press("Submit", summary)
    await ned.press("Submit", summary)
    replies = [await ned.next_reply(), await ned.next_reply()]

    texts = sorted(reply.body for reply in replies)
    assert texts[0].startswith("Already submitted: your report is SW-")
    assert texts[1].startswith("Thank you. Your report is SW-")
    assert await report_count(database) == 1


async def test_buttons_from_an_earlier_message_are_refused(
    live: LiveBot, database: Database
) -> None:
    oz = await live.person("Oz")
    intro = await oz.says("/report")
    await oz.presses("Noise", on=intro)

    answer = await oz.press("Fly tipping", intro)

    assert "earlier message" in answer["text"]
    await oz.hears_nothing()


async def test_forged_button_data_is_refused_and_changes_nothing(
    live: LiveBot, database: Database
) -> None:
    pam = await live.person("Pam")
    summary = await to_review(pam)
    flow = next(
        button["callback_data"].split(":")[-1]
        for row in (summary.reply_markup or {})["rows"]
        for button in row
        if button.get("text") == "Submit"
    )

    async def forged(data: str) -> str:
        query = await live.sandbox.press(pam.id, summary.message_id, data=data, forged=True)
        answer = await live.sandbox.wait_for_callback_answer(query)
        return str(answer.get("text") or "")

    assert "earlier message" in await forged(f"r1:cat:street_drinking:{flow}")
    assert "earlier message" in await forged("r1:submit::deadbeef")
    assert "That button has expired" in await forged("r1:nonsense")
    assert "That button has expired" in await forged("zz:" + "x" * 50)
    assert await report_count(database) == 0
    submitted = await pam.presses("Submit", on=summary)
    assert submitted.body.startswith("Thank you.")


async def test_report_in_progress_resumes_on_report(live: LiveBot) -> None:
    quin = await live.person("Quin")
    await to_when(quin)

    resumed = await quin.says("/report")
    assert resumed.body.startswith("You have a report in progress")
    assert (await quin.next_reply()).body.startswith("When did it happen?")


async def test_an_idle_report_expires_after_a_day_with_a_message(live: LiveBot) -> None:
    rae = await live.person("Rae")
    await to_description(rae)
    live.clock.advance(timedelta(hours=23, minutes=59))
    assert "Would you like to add photos?" in (await rae.says(DESCRIPTION)).body

    live.clock.advance(timedelta(hours=24, minutes=1))
    expired = await rae.sends_photos(1)

    assert expired.body.startswith("Your unfinished report was idle for too long")
    assert (await rae.says("/report")).body.startswith("Report a problem")


async def test_a_report_survives_a_restart_when_state_is_in_redis(live: LiveBot) -> None:
    sue = await live.person("Sue")
    when = await to_when(sue)

    await live.restart()

    if live.backend.redis_url is None:
        lost = await sue.presses("Just now", on=when)
        assert lost.body.startswith("I lost track of your unfinished report after a restart")
        return
    description = await sue.presses("Just now", on=when)
    assert description.body.startswith("What happened?")
    photos = await sue.says(DESCRIPTION)
    contact = await sue.presses("Skip", on=photos)
    summary = await sue.presses("You may contact me", on=contact)
    assert "Where: Library gardens, CB1 2AB" in summary.body


async def test_too_many_photos_and_photos_as_files(live: LiveBot) -> None:
    tim = await live.person("Tim")
    await to_photos(tim)

    added = await tim.sends_photos(5)
    await live.sandbox.wait_for_edit(tim.id, added.message_id, lambda m: m.body.startswith("5 of"))
    extra = await tim.sends_photos(1)
    assert extra.body.startswith("I can keep up to 5 photos")

    await live.sandbox.send_document(tim.id, file_name="IMG_2041.jpg")
    assert "not as files" in (await tim.next_reply()).body


async def test_submit_on_an_out_of_date_summary_shows_the_latest_instead(
    live: LiveBot, database: Database
) -> None:
    uma = await live.person("Uma")
    old_summary = await to_review(uma)
    edit = await uma.presses("Edit what happened", on=old_summary)
    assert edit.body.startswith("What happened?")
    new_summary = await uma.says("Bottles thrown at the bus shelter, glass everywhere")

    refused = await uma.press("Submit", old_summary)
    latest = await uma.next_reply()

    assert refused["text"].startswith("That summary is out of date")
    assert latest.body == new_summary.body
    assert await report_count(database) == 0
    assert (await uma.presses("Submit", on=latest)).body.startswith("Thank you.")
    async with database.sessions() as session:
        report = (await session.execute(select(Report))).scalar_one()
    assert report.description.startswith("Bottles thrown")


async def test_an_unknown_category_is_refused_and_asked_again(
    live: LiveBot, database: Database
) -> None:
    vi = await live.person("Vi")
    intro = await vi.says("/report")
    flow = next(
        button["callback_data"].split(":")[-1]
        for row in (intro.reply_markup or {})["rows"]
        for button in row
        if "callback_data" in button
    )

    query = await live.sandbox.press(
        vi.id, intro.message_id, data=f"r1:cat:burglary:{flow}", forged=True
    )
    answer = await live.sandbox.wait_for_callback_answer(query)

    assert "isn't one of the categories" in str(answer.get("text"))
    subtypes = await vi.presses("Noise", on=intro)
    assert subtypes.body == "Which of these fits best?"


async def test_an_impossible_location_pin_is_refused(live: LiveBot, database: Database) -> None:
    wyn = await live.person("Wyn")
    await to_location(wyn)

    refused = await wyn.shares_location(95.0, 200.0)

    assert refused.body.startswith("That location pin isn't valid")
    assert (await wyn.shares_location(52.2, 0.12)).body.startswith("Got it: pin at")


async def test_back_on_an_older_message_changes_nothing(live: LiveBot) -> None:
    abe = await live.person("Abe")
    when = await to_when(abe)
    description = await abe.presses("Just now", on=when)
    photos = await abe.says(DESCRIPTION)

    answer = await abe.press("Back", when)

    assert "earlier message" in str(answer.get("text"))
    assert (await abe.presses("Back", on=photos)).body.startswith("What happened?")
    assert description


async def test_back_from_the_summary_and_from_an_edit(live: LiveBot) -> None:
    bea = await live.person("Bea")
    summary = await to_review(bea)

    contact = await bea.presses("Back", on=summary)
    assert contact.body == "Can the coordinator contact you about this report?"
    summary = await bea.presses("You may contact me", on=contact)

    when = await bea.presses("Edit when", on=summary)
    back_to_summary = await bea.presses("Back", on=when)
    assert back_to_summary.body.startswith("Please check your report:")
    assert "When: Just now" in back_to_summary.body


async def test_cancel_at_the_first_two_questions_and_during_an_edit(
    live: LiveBot, database: Database
) -> None:
    cal = await live.person("Cal")
    intro = await cal.says("/report")
    assert (await cal.presses("Cancel", on=intro)).body.startswith("Report cancelled.")

    intro = await cal.says("/report")
    subtypes = await cal.presses("Noise", on=intro)
    assert (await cal.presses("Cancel", on=subtypes)).body.startswith("Report cancelled.")

    summary = await to_review(cal)
    edit = await cal.presses("Edit what happened", on=summary)
    assert (await cal.presses("Cancel", on=edit)).body.startswith("Report cancelled.")
    assert await report_count(database) == 0


async def test_a_voice_note_is_not_taken_as_a_description(live: LiveBot) -> None:
    dot = await live.person("Dot")
    await to_description(dot)

    await live.sandbox.send_voice(dot.id)

    assert (await dot.next_reply()).body == "Please type what happened as a text message."


async def test_yesterday_is_shown_as_a_date_after_filing(live: LiveBot) -> None:
    eli = await live.person("Eli")
    description = await eli.presses("Yesterday", on=await to_when(eli))
    assert description.body.startswith("What happened?")
    photos = await eli.says(DESCRIPTION)
    summary = await eli.presses("You may contact me", on=await eli.presses("Skip", on=photos))
    assert "When: Yesterday" in summary.body
    await eli.presses("Submit", on=summary)

    listing = await eli.says("/myreports")
    details = await eli.presses(listing.buttons[0][0], on=listing)

    yesterday = (live.clock.now() - timedelta(days=1)).astimezone(live.settings.tz)
    assert f"When: {yesterday:%a %d %b %Y} (reported as yesterday)" in details.body


async def test_a_photo_caption_is_checked_for_danger_and_not_silently_dropped(
    live: LiveBot,
) -> None:
    fin = await live.person("Fin")
    await to_photos(fin)

    await live.sandbox.send_photo(fin.id, caption="He pulled a knife on the cashier")
    replies = await fin.replies_until("photos added")

    assert replies[0].body.startswith("If anyone is in danger right now, please call 999")
    assert replies[1].body.startswith("Photo captions are not kept with the report")
