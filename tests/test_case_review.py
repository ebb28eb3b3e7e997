"""ASB Case Review counting, clustering and idempotent filing, at the service, on both backends."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.enums import ReportCategory, ReportStatus
from core.errors import InvalidInput
from core.reports import texts
from core.reports.draft import Contact, Draft
from core.reports.filing import CaseReviewNotice, Filed, file_report
from core.reports.parsing import EARTH_RADIUS_M, haversine_m
from storage.db import Database
from storage.models import Area, CaseReview, Person, Report, Scheme

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POSTCODE = "CB1 2AB"
LIBRARY = (52.2053, 0.1218)

_keys = itertools.count(1)
_telegram_ids = itertools.count(700_001)


def north_of(latitude: float, metres: float) -> float:
    """The latitude `metres` due north (1e-5 degrees is about 1.11 m)."""
    return latitude + math.degrees(metres / EARTH_RADIUS_M)


def draft(
    category: ReportCategory = ReportCategory.STREET_DRINKING,
    *,
    occurred: datetime,
    postcode: str | None = POSTCODE,
    place: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Draft:
    """A complete draft, by default street drinking at the library's postcode."""
    return Draft(
        category=category.value,
        latitude=latitude,
        longitude=longitude,
        place=place,
        postcode=postcode,
        occurred_at=occurred.isoformat(),
        description="Six people drinking and shouting by the benches every evening",
        photos_answered=True,
        contact=Contact.CONTACT_ME.value,
    )


async def resident(database: Database, name: str = "Resident") -> int:
    """A person who has talked to the bot; returns their id."""
    async with database.sessions() as session, session.begin():
        person = Person(telegram_user_id=next(_telegram_ids), full_name=name)
        session.add(person)
        await session.flush()
        return person.id


async def files(
    database: Database,
    reporter_id: int,
    at: datetime,
    *,
    occurred: datetime | None = None,
    key: str | None = None,
    category: ReportCategory = ReportCategory.STREET_DRINKING,
    postcode: str | None = POSTCODE,
    place: str | None = None,
    pin: tuple[float, float] | None = None,
) -> Filed:
    """The resident files a draft at `at`, about something that happened at `occurred` (or `at`)."""
    latitude, longitude = pin or (None, None)
    report = draft(
        category,
        occurred=occurred or at,
        postcode=postcode,
        place=place,
        latitude=latitude,
        longitude=longitude,
    )
    async with database.sessions() as session:
        return await file_report(
            session,
            reporter_id=reporter_id,
            draft=report,
            submission_key=key or f"case-review-{next(_keys)}",
            now=at,
        )


async def case_reviews(database: Database) -> list[CaseReview]:
    async with database.sessions() as session:
        return list((await session.execute(select(CaseReview).order_by(CaseReview.id))).scalars())


async def report(database: Database, report_id: int) -> Report:
    async with database.sessions() as session:
        row = await session.get(Report, report_id)
    assert row is not None
    return row


# ------------------------------------------------------------ one person, three reports


async def test_two_reports_tell_the_resident_about_the_review_and_the_third_qualifies(
    database: Database,
) -> None:
    ann = await resident(database, "Ann")

    first = await files(database, ann, NOW - timedelta(days=60))
    assert first.case_review is None and first.flagged is None

    second = await files(database, ann, NOW - timedelta(days=30))
    assert second.case_review == CaseReviewNotice(qualifies=False, route="individual", count=2)
    assert second.flagged is None
    assert await case_reviews(database) == []

    third = await files(database, ann, NOW)
    assert third.case_review == CaseReviewNotice(qualifies=True, route="individual", count=3)
    assert third.flagged is not None and third.flagged.new
    assert third.flagged.references == [first.reference, second.reference, third.reference]
    [review] = await case_reviews(database)
    assert review.id == third.flagged.review_id
    assert review.route == "individual"
    assert review.reporter_id == ann
    assert review.category == ReportCategory.STREET_DRINKING
    assert review.anchor_report_id == third.report_id
    assert review.report_ids == [first.report_id, second.report_id, third.report_id]
    assert review.status == "flagged"


async def test_a_fourth_report_updates_the_flagged_review_instead_of_adding_one(
    database: Database,
) -> None:
    ann = await resident(database, "Ann")
    earlier = [await files(database, ann, NOW - timedelta(days=days)) for days in (90, 60, 30)]
    assert earlier[-1].flagged is not None

    fourth = await files(database, ann, NOW)

    assert fourth.case_review == CaseReviewNotice(qualifies=True, route="individual", count=4)
    assert fourth.flagged is not None
    assert not fourth.flagged.new
    assert fourth.flagged.review_id == earlier[-1].flagged.review_id
    [review] = await case_reviews(database)
    assert review.report_ids == sorted([*(f.report_id for f in earlier), fourth.report_id])


@pytest.mark.parametrize(
    ("now", "first_at", "counts"),
    [
        (NOW, datetime(2026, 5, 20, 12, 0, tzinfo=UTC), True),
        (NOW, datetime(2026, 5, 19, 12, 0, tzinfo=UTC), False),
        (NOW, datetime(2026, 5, 20, 11, 59, tzinfo=UTC), False),
        # 31 August less six calendar months is the last day of February.
        (datetime(2026, 8, 31, 12, 0, tzinfo=UTC), datetime(2026, 2, 28, 12, 0, tzinfo=UTC), True),
        (datetime(2026, 8, 31, 12, 0, tzinfo=UTC), datetime(2026, 2, 27, 12, 0, tzinfo=UTC), False),
    ],
    ids=[
        "exactly-6-months",
        "6-months-and-a-day",
        "6-months-and-a-minute",
        "end-of-february",
        "day-before-end-of-february",
    ],
)
async def test_the_window_is_six_calendar_months(
    database: Database, now: datetime, first_at: datetime, counts: bool
) -> None:
    ann = await resident(database, "Ann")
    await files(database, ann, first_at)
    await files(database, ann, now - timedelta(days=10))

    third = await files(database, ann, now)

    if counts:
        assert third.case_review == CaseReviewNotice(True, "individual", 3)
        assert third.flagged is not None
    else:
        assert third.case_review == CaseReviewNotice(False, "individual", 2)
        assert third.flagged is None
        assert await case_reviews(database) == []


async def test_a_report_made_more_than_a_month_after_the_incident_does_not_count(
    database: Database,
) -> None:
    ann = await resident(database, "Ann")
    await files(database, ann, NOW - timedelta(days=20))
    await files(database, ann, NOW - timedelta(days=10))

    late = await files(database, ann, NOW, occurred=datetime(2026, 10, 20, 11, 59, tzinfo=UTC))

    assert late.flagged is None
    assert late.case_review is None or not late.case_review.qualifies
    assert await case_reviews(database) == []


async def test_an_earlier_late_report_does_not_count_either(database: Database) -> None:
    ann = await resident(database, "Ann")
    await files(
        database,
        ann,
        NOW - timedelta(days=20),
        occurred=NOW - timedelta(days=20) - timedelta(days=40),
    )
    await files(database, ann, NOW - timedelta(days=10))

    third = await files(database, ann, NOW)

    assert third.case_review == CaseReviewNotice(False, "individual", 2)
    assert third.flagged is None


async def test_a_report_made_exactly_a_month_after_the_incident_counts(database: Database) -> None:
    ann = await resident(database, "Ann")
    await files(database, ann, NOW - timedelta(days=20))
    await files(database, ann, NOW - timedelta(days=10))

    third = await files(database, ann, NOW, occurred=datetime(2026, 10, 20, 12, 0, tzinfo=UTC))

    assert third.case_review == CaseReviewNotice(True, "individual", 3)
    assert third.flagged is not None


# ------------------------------------------------------------------ five people


async def test_five_different_people_reporting_the_same_problem_qualify_once(
    database: Database,
) -> None:
    people = [await resident(database, f"Neighbour {n}") for n in range(6)]
    filed = [
        await files(database, person, NOW - timedelta(days=100 - 10 * n))
        for n, person in enumerate(people[:4])
    ]
    assert all(f.case_review is None and f.flagged is None for f in filed)
    assert await case_reviews(database) == []

    fifth = await files(database, people[4], NOW - timedelta(days=20))

    assert fifth.case_review == CaseReviewNotice(True, "community", 5)
    assert fifth.flagged is not None and fifth.flagged.new
    [review] = await case_reviews(database)
    assert review.route == "community"
    assert review.reporter_id is None
    assert review.report_ids == sorted([*(f.report_id for f in filed), fifth.report_id])

    sixth = await files(database, people[5], NOW)

    assert sixth.case_review == CaseReviewNotice(True, "community", 6)
    assert sixth.flagged is not None and not sixth.flagged.new
    assert sixth.flagged.review_id == review.id
    [review] = await case_reviews(database)
    assert sixth.report_id in review.report_ids


async def test_five_people_more_than_six_months_apart_do_not_qualify(
    database: Database,
) -> None:
    people = [await resident(database, f"Neighbour {n}") for n in range(5)]
    await files(database, people[0], NOW - timedelta(days=200))
    for n, person in enumerate(people[1:4], start=1):
        await files(database, person, NOW - timedelta(days=10 * n))

    fifth = await files(database, people[4], NOW)

    assert fifth.case_review is None and fifth.flagged is None


# ------------------------------------------------------------------ same problem


@pytest.mark.parametrize(("metres", "same"), [(149.9, True), (151.0, False)])
async def test_pins_count_as_the_same_problem_within_150_metres(
    database: Database, metres: float, same: bool
) -> None:
    latitude, longitude = LIBRARY
    nearby = north_of(latitude, metres)
    assert haversine_m(latitude, longitude, nearby, longitude) == pytest.approx(metres, abs=0.01)
    ann = await resident(database, "Ann")
    await files(database, ann, NOW - timedelta(days=1), postcode=None, pin=LIBRARY)

    second = await files(database, ann, NOW, postcode=None, pin=(nearby, longitude))

    if same:
        assert second.case_review == CaseReviewNotice(False, "individual", 2)
        assert second.cluster_size == 2
    else:
        assert second.case_review is None
        assert second.cluster_size == 1


async def test_the_same_postcode_is_the_same_problem_without_a_pin(database: Database) -> None:
    ann = await resident(database, "Ann")
    await files(database, ann, NOW - timedelta(days=1), postcode=POSTCODE)

    second = await files(database, ann, NOW, postcode=POSTCODE)
    elsewhere = await files(database, ann, NOW + timedelta(minutes=1), postcode="CB2 1TN")

    assert second.case_review == CaseReviewNotice(False, "individual", 2)
    assert elsewhere.case_review is None


async def test_the_same_typed_place_is_the_same_problem(database: Database) -> None:
    ann = await resident(database, "Ann")
    await files(database, ann, NOW - timedelta(days=1), postcode=None, place="Library gardens")

    second = await files(database, ann, NOW, postcode=None, place="  library   GARDENS ")

    assert second.case_review == CaseReviewNotice(False, "individual", 2)


async def test_a_different_category_at_the_same_place_is_a_different_problem(
    database: Database,
) -> None:
    ann = await resident(database, "Ann")
    await files(database, ann, NOW - timedelta(days=2), category=ReportCategory.STREET_DRINKING)
    await files(database, ann, NOW - timedelta(days=1), category=ReportCategory.NOISE)

    third = await files(database, ann, NOW, category=ReportCategory.VANDALISM)

    assert third.case_review is None and third.flagged is None
    assert await case_reviews(database) == []


@pytest.mark.parametrize("category", [ReportCategory.FLY_TIPPING, ReportCategory.SPEEDING])
async def test_problems_outside_the_asb_categories_never_trigger_a_review(
    database: Database, category: ReportCategory
) -> None:
    ann = await resident(database, "Ann")
    neighbours = [await resident(database, f"Neighbour {n}") for n in range(4)]
    outcomes = [
        await files(database, ann, NOW - timedelta(days=days), category=category)
        for days in (3, 2, 1)
    ]
    outcomes += [
        await files(database, person, NOW + timedelta(minutes=n), category=category)
        for n, person in enumerate(neighbours)
    ]

    assert all(f.case_review is None and f.flagged is None for f in outcomes)
    assert await case_reviews(database) == []


# ------------------------------------------------------------------ local thresholds


async def scheme_with_rules(database: Database, rules: dict[str, object]) -> int:
    """A scheme with its own thresholds, covering 500 m around the library."""
    async with database.sessions() as session, session.begin():
        scheme = Scheme(name="Mill Road Community Watch", case_review_rules=rules)
        session.add(scheme)
        await session.flush()
        session.add(
            Area(
                scheme_id=scheme.id,
                name="Mill Road",
                centre_latitude=LIBRARY[0],
                centre_longitude=LIBRARY[1],
                radius_m=500,
            )
        )
        return scheme.id


async def test_a_scheme_with_a_lower_threshold_flags_at_two_reports(database: Database) -> None:
    scheme_id = await scheme_with_rules(database, {"reports_by_one_person": 2})
    ann = await resident(database, "Ann")
    latitude, longitude = LIBRARY
    inside = (north_of(latitude, 100), longitude)
    await files(database, ann, NOW - timedelta(days=1), postcode=None, pin=inside)

    second = await files(database, ann, NOW, postcode=None, pin=inside)

    assert second.scheme_name == "Mill Road Community Watch"
    assert second.case_review == CaseReviewNotice(True, "individual", 2)
    assert second.flagged is not None
    [review] = await case_reviews(database)
    assert review.scheme_id == scheme_id


async def test_the_default_threshold_applies_outside_the_schemes_area(database: Database) -> None:
    await scheme_with_rules(database, {"reports_by_one_person": 2})
    ann = await resident(database, "Ann")
    latitude, longitude = LIBRARY
    outside = (north_of(latitude, 2000), longitude)
    await files(database, ann, NOW - timedelta(days=1), postcode=None, pin=outside)

    second = await files(database, ann, NOW, postcode=None, pin=outside)

    assert second.scheme_name is None
    assert second.case_review == CaseReviewNotice(False, "individual", 2)
    assert second.flagged is None


async def test_the_resident_is_told_the_schemes_own_window(database: Database) -> None:
    await scheme_with_rules(database, {"window_months": 12})
    ann = await resident(database, "Ann")
    await files(database, ann, NOW - timedelta(days=300), postcode=None, pin=LIBRARY)
    await files(database, ann, NOW - timedelta(days=200), postcode=None, pin=LIBRARY)

    third = await files(database, ann, NOW, postcode=None, pin=LIBRARY)

    assert third.case_review == CaseReviewNotice(True, "individual", 3)
    told = texts.case_review_notice(third.case_review, third.rules)
    assert "six months" not in told
    assert "12 months" in told


# ------------------------------------------------------------------ clustering


async def test_a_similar_open_report_within_seven_days_joins_the_first_ones_cluster(
    database: Database,
) -> None:
    ann, bob, cat = [await resident(database, name) for name in ("Ann", "Bob", "Cat")]
    first = await files(database, ann, NOW)

    second = await files(database, bob, NOW + timedelta(days=7))
    third = await files(database, cat, NOW + timedelta(days=8))

    assert (await report(database, first.report_id)).cluster_id is None
    assert (await report(database, second.report_id)).cluster_id == first.report_id
    assert second.cluster_size == 2
    # Eight days after the first, but a day after the second: still the first one's cluster.
    assert (await report(database, third.report_id)).cluster_id == first.report_id
    assert third.cluster_size == 3


async def test_a_similar_report_eight_days_later_is_not_clustered(database: Database) -> None:
    ann, bob = [await resident(database, name) for name in ("Ann", "Bob")]
    await files(database, ann, NOW)

    later = await files(database, bob, NOW + timedelta(days=8))

    assert later.cluster_size == 1
    assert (await report(database, later.report_id)).cluster_id is None


async def test_a_closed_report_is_not_clustered_with(database: Database) -> None:
    ann, bob = [await resident(database, name) for name in ("Ann", "Bob")]
    first = await files(database, ann, NOW)
    async with database.sessions() as session, session.begin():
        closed = await session.get(Report, first.report_id)
        assert closed is not None
        closed.status = ReportStatus.CLOSED

    later = await files(database, bob, NOW + timedelta(days=1))

    assert later.cluster_size == 1
    assert (await report(database, later.report_id)).cluster_id is None


async def test_a_residents_own_earlier_report_is_not_called_someone_elses(
    database: Database,
) -> None:
    ann = await resident(database, "Ann")
    await files(database, ann, NOW)

    again = await files(database, ann, NOW + timedelta(days=1))

    assert again.cluster_size == 2
    assert "Others have reported" not in texts.submitted(again)


# ------------------------------------------------------------------ submitting twice


async def report_count(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Report))).scalar_one())


async def test_submitting_twice_with_one_key_files_once(database: Database) -> None:
    ann = await resident(database, "Ann")
    first = await files(database, ann, NOW, key="ann:flow-1")

    again = await files(database, ann, NOW + timedelta(seconds=2), key="ann:flow-1")

    assert not first.duplicate
    assert again.duplicate
    assert again.reference == first.reference
    assert again.report_id == first.report_id
    assert again.case_review is None and again.flagged is None
    assert again.coordinator_chat_ids == []
    assert await report_count(database) == 1


async def test_another_residents_submission_key_is_refused(database: Database) -> None:
    ann, bob = [await resident(database, name) for name in ("Ann", "Bob")]
    await files(database, ann, NOW, key="shared-key")

    with pytest.raises(InvalidInput, match="belongs to someone else"):
        await files(database, bob, NOW + timedelta(seconds=1), key="shared-key")

    assert await report_count(database) == 1


async def test_the_same_words_from_different_people_in_different_towns_are_not_linked(
    database: Database,
) -> None:
    people = [await resident(database, name) for name in ("Ann", "Bob", "Cat", "Dee", "Eve")]
    towns = ["CB1 2AB", "OX1 1AA", "LS1 4AP", "M1 1AE", "B1 1BB"]
    filed = [
        await files(database, person, NOW + timedelta(hours=n), postcode=town, place="The park")
        for n, (person, town) in enumerate(zip(people, towns, strict=True))
    ]

    assert all(outcome.cluster_size == 1 for outcome in filed)
    assert filed[-1].case_review is None
    assert await case_reviews(database) == []
