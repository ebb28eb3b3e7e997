"""Pictures travel only as Telegram photos, by file id; files that could carry more are refused."""

from __future__ import annotations

from typing import Any

from bot.files import MAX_FILE_BYTES
from sandbox.client import Message
from storage.db import Database
from storage.models import IncidentPhoto, ReportPhoto, SubjectPhoto
from tests.support.evidence import stored_text
from tests.support.live import LiveBot, Person
from tests.support.town import Town
from tests.test_broadcast_compose import toggle
from tests.test_incident_flow import to_photos as to_incident_photos
from tests.test_report_dialogues import to_photos as to_report_photos

LOCATION_MARK = b"GPS 52.2053N 0.1218E Market Street"
AS_FILES = "not as files (in Telegram choose Photo"
AS_A_FILE = "not as a file (in Telegram choose Photo"
OVER_LIMIT = "I can only take files of up to 20 MB"
PHOTO_COLUMNS = {"id", "file_id", "file_unique_id", "position"}


def jpeg_with_location() -> bytes:
    """A small JPEG whose Exif block carries a GPS position, as a phone camera writes it."""
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08" + LOCATION_MARK
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    frame = b"\x08\x00\x30\x00\x40\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    sof = b"\xff\xc0" + (len(frame) + 2).to_bytes(2, "big") + frame
    return b"\xff\xd8" + app1 + sof + b"\xff\xd9"


async def sends(live: LiveBot, person: Person, **content: Any) -> Message:
    """Sends a raw attachment (video=, voice=, document= ...) and returns the bot's reply."""
    sent = await live.sandbox.send(person.id, **content)
    assert sent.messages
    return await person.next_reply()


async def sends_picture_as_file(live: LiveBot, person: Person) -> tuple[Message, str]:
    """Sends a camera picture as a file; returns the reply and the file's id."""
    sent = await live.sandbox.send_document(
        person.id, file_name="IMG_2041.jpg", data=jpeg_with_location()
    )
    return await person.next_reply(), str(sent.raw["media"]["document"]["file_id"])


async def assert_nowhere_in_storage(live: LiveBot, database: Database, *needles: str) -> None:
    """None of these values is in any table or Redis key (drafts included)."""
    stored = await stored_text(database, live.backend.redis_url, live.backend.redis_prefix)
    assert [needle for needle in needles if needle in stored] == []


async def test_a_picture_sent_as_a_file_is_refused_in_every_photo_step(
    town: Town, database: Database
) -> None:
    live, resident, trader, coordinator = town.live, town.resident, town.trader, town.coordinator

    await to_report_photos(resident)
    report_refusal, report_file = await sends_picture_as_file(live, resident)

    await to_incident_photos(trader)
    incident_refusal, incident_file = await sends_picture_as_file(live, trader)

    audience = await coordinator.says("/broadcast")
    audience = await toggle(town, coordinator, "Traders", audience)
    await coordinator.presses("Next", on=audience)
    await coordinator.says("Shoplifter on the High Street")
    assert (await coordinator.says("A man taking spirits.")).body.startswith("Send a photo")
    broadcast_refusal, broadcast_file = await sends_picture_as_file(live, coordinator)

    assert AS_FILES in report_refusal.body and "hidden location data" in report_refusal.body
    assert AS_FILES in incident_refusal.body and "hidden location data" in incident_refusal.body
    assert AS_A_FILE in broadcast_refusal.body
    await assert_nowhere_in_storage(
        live, database, report_file, incident_file, broadcast_file, LOCATION_MARK.decode()
    )
    assert (await live.sandbox.calls()).count("getFile") == 0


async def test_a_photo_is_kept_as_its_file_id_and_shown_again_as_that_photo(
    town: Town, database: Database
) -> None:
    live, tom, tia = town.live, town.trader, town.second_trader
    await tia.says("/start")
    photos_question = await to_incident_photos(tom)
    sent = await live.sandbox.send_photo(
        tom.id, caption="Exact spot: 52.2053, 0.1218", data=jpeg_with_location()
    )
    original = sent[0].raw["media"]["photo"][-1]
    replies = await tom.replies_until("photos added")
    assert "Photo captions are not kept" in replies[0].body
    value = await tom.presses("Done", on=replies[-1])
    assert photos_question.message_id < value.message_id
    police = await tom.presses("Skip", on=value)
    business = await tom.presses("Skip", on=police)
    summary = await tom.presses("No", on=business)
    assert (await tom.presses("Submit", on=summary)).body.startswith("Thank you.")

    async with database.sessions() as session:
        kept = (await session.execute(IncidentPhoto.__table__.select())).all()
    assert [(row.file_id, row.file_unique_id) for row in kept] == [
        (original["file_id"], original["file_unique_id"])
    ]
    for model in (IncidentPhoto, ReportPhoto, SubjectPhoto):
        columns = {column.key for column in model.__table__.columns}
        assert columns - PHOTO_COLUMNS == {f"{model.__tablename__[:-7]}_id"}, columns
    await assert_nowhere_in_storage(live, database, "52.2053, 0.1218", LOCATION_MARK.decode())

    card = await live.next_in_group(town.group)
    await tia.press("🔒 Details", on=card)
    details = await tia.next_reply()
    shown = await tia.next_reply()
    assert "Photos: 1 (below)" in details.body
    assert shown.kind == "photo"
    assert shown.raw["media"]["photo"][-1]["file_id"] == original["file_id"]
    calls = await live.sandbox.calls()
    assert calls.count("sendPhoto") + calls.count("sendMediaGroup") >= 1
    assert calls.count("sendDocument") == calls.count("getFile") == 0


async def test_files_over_20_mb_are_refused_with_the_limit_at_any_step(
    town: Town, database: Database
) -> None:
    live, resident = town.live, town.resident
    huge = MAX_FILE_BYTES + 5 * 1024 * 1024

    await resident.says("/start")
    idle = await sends(live, resident, document={"file_name": "cctv.mp4", "file_size": huge})
    await to_report_photos(resident)
    as_file = await sends(live, resident, document={"file_name": "IMG.jpg", "file_size": huge})
    as_video = await sends(live, resident, video={"file_name": "clip.mp4", "file_size": huge})
    small_video = await sends(live, resident, video={"file_name": "clip.mp4"})
    voice = await sends(live, resident, voice={"duration": 3})
    sticker = await resident.sends_sticker()

    assert OVER_LIMIT in idle.body and "about 25 MB" in idle.body
    assert OVER_LIMIT in as_file.body
    assert OVER_LIMIT in as_video.body
    wanted = "Please send photos (not files), or press Skip or Done."
    assert [small_video.body, voice.body, sticker.body] == [wanted] * 3
    added = await resident.sends_photos(1)
    assert added.body.startswith("1 of up to 5 photos added")
    async with database.sessions() as session:
        assert (await session.execute(ReportPhoto.__table__.select())).all() == []
