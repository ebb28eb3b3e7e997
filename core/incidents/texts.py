"""What the incident conversation says, independent of the messenger."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.incidents.draft import MAX_PEOPLE, MAX_PHOTOS, IncidentDraft, describe_person
from core.incidents.parsing import format_money
from core.incidents.types import VALUE_QUESTIONS, type_label
from core.reports.parsing import MAX_DESCRIPTION, MIN_DESCRIPTION
from core.texts import EMERGENCY_ADVICE

GROUP_REDIRECT = "Please don't type details here: tap the button to report it privately."
GROUP_REDIRECT_REMOVED = (
    "I removed your message so its details aren't shared here. " + GROUP_REDIRECT
)
ANONYMOUS_ADMIN = (
    "You are posting anonymously as the group, so I can't tell who you are. Please report "
    "incidents from your own account: tap the button, or message me directly."
)
OPEN_PRIVATELY = "Report an incident privately"
DANGER_NOW = (
    "If anyone is in danger right now, please call 999 immediately. "
    "For non-emergency crime call 101. You can carry on with this incident afterwards."
)

INTRO = (
    "Post an incident\n\n"
    f"{EMERGENCY_ADVICE} Scheme members are not an emergency service.\n\n"
    "What kind of incident was it?"
)
ASK_SCHEME = "Which scheme is this incident for?"
ASK_WHEN = "When did it happen? Pick one, or type a date and time, e.g. 14:10 or yesterday 9pm."
ASK_WHERE = "Where did it happen? Type the place, e.g. Co-op, 12 High Street."
ASK_WHAT = (
    f"What happened? Describe it in your own words ({MIN_DESCRIPTION} to {MAX_DESCRIPTION} "
    "characters): what they did, what they took, which way they went."
)
ASK_PEOPLE = (
    "Would you like to describe the people involved?\n\n"
    "Describe what you saw (clothing, build, features). Don't include ethnicity, religion or "
    "other sensitive details: they aren't needed to recognise someone and the scheme must not "
    "record them."
)
ASK_HEIGHT = "Person {number}: how tall were they? Pick one, or type it (e.g. about 6ft)."
ASK_BUILD = "Person {number}: what build were they?"
ASK_CLOTHING = (
    "Person {number}: what were they wearing? E.g. black puffer jacket, grey joggers, white cap."
)
ASK_FEATURES = (
    "Person {number}: any distinguishing features? E.g. scar on left cheek, tattoo on hand, "
    "walks with a limp, had a dog. Type them, or press Skip. "
    "Please leave out ethnicity, religion and other sensitive details."
)
ASK_PHOTOS = (
    f"Would you like to add photos (CCTV stills, the damage)? Send up to {MAX_PHOTOS} "
    "(an album is fine), then press Done. Or press Skip."
)
VALUE_HELP = " Type an amount like £45.50, or press Skip."
ASK_POLICE = (
    "Did you report it to the police? If so, type the crime or incident number "
    "(e.g. CRI/12345/26), or press Skip."
)
ASK_GALLERY = (
    "Is this someone already in the scheme's gallery? Pick the entry to link this incident to, "
    "or press None."
)
ASK_BUSINESS = (
    "Show your business name ({business}) on the card in the group? Your own name is never "
    "shown. If you choose No, the card says only that a member posted it."
)
CANCELLED = (
    "Incident cancelled. Nothing was posted. Send /incident whenever you want to start again."
)
EXPIRED = (
    "Your unfinished incident was idle for too long, so I have discarded it; nothing was "
    "posted. Send /incident to start again."
)
STALE_BUTTON = "That button belongs to an earlier message. Please use the latest one."
OLD_SUMMARY = (
    "That summary is out of date: you changed the incident since. Here is the latest one to check."
)
NO_INCIDENT_IN_PROGRESS = (
    "That incident is no longer in progress (it was cancelled, expired, or interrupted by a "
    "restart), so nothing was posted from it. Send /incident to start again."
)
IN_PROGRESS = (
    "You have an incident in progress: here is where you were. Send /cancel to discard it."
)
CAPTIONS_NOT_KEPT = (
    "Photo captions are not kept with the incident: please put those details in "
    '"what happened" (you can change it from the summary).'
)
PHOTOS_AS_FILES = (
    "Please send pictures as photos, not as files (in Telegram choose Photo, or untick "
    '"send as file"), so that hidden location data is not passed on.'
)
MAX_PEOPLE_REACHED = (
    f"That's {MAX_PEOPLE} people, the most one incident can describe. Press Done, and put "
    "anything more in what happened."
)


def number_of(template: str, draft: IncidentDraft) -> str:
    """A person question with the number of the person being described."""
    return template.format(number=len(draft.people) + 1)


def ask_value(draft: IncidentDraft) -> str:
    """The value question for this kind of incident."""
    question = VALUE_QUESTIONS.get(draft.kind) if draft.kind else None
    return (question or "What was the value involved?") + VALUE_HELP


def ask_business(draft: IncidentDraft) -> str:
    """Whether to show the trader's business name on the card."""
    return ASK_BUSINESS.format(business=draft.business_name or "")


def people_so_far(draft: IncidentDraft) -> str:
    """The people described so far, one to a line, and what to do next."""
    lines = [
        f"Person {index}: {describe_person(person)}"
        for index, person in enumerate(draft.people, start=1)
    ]
    return "\n".join(lines) + "\n\nAdd another person, or press Done."


def photos_added(count: int) -> str:
    """How many photos are kept so far."""
    return f"{count} of up to {MAX_PHOTOS} photos added. Send more, or press Done."


def too_many_photos() -> str:
    """The limit is reached and extra photos were not kept."""
    return f"I can keep up to {MAX_PHOTOS} photos; the extra ones were not added. Press Done."


def when_text(moment: datetime, tz: ZoneInfo) -> str:
    """A moment as traders read it: Sat 21 Nov 2026, 18:30."""
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M")


def _when(draft: IncidentDraft, tz: ZoneInfo) -> str:
    occurred = draft.occurred
    if occurred is None:
        return "not given"
    shown = when_text(occurred, tz)
    return f"{draft.occurred_label} ({shown})" if draft.occurred_label else shown


def review(draft: IncidentDraft, tz: ZoneInfo) -> str:
    """The summary the trader checks before posting."""
    lines = [
        f"Please check your incident before it is posted to {draft.scheme_name}:",
        "",
        f"Type: {type_label(draft.kind) if draft.kind else 'not given'}",
        f"When: {_when(draft, tz)}",
        f"Where: {draft.location_text or 'not given'}",
        f"What happened: {draft.description or 'not given'}",
    ]
    if draft.people:
        lines.append("People involved:")
        lines.extend(
            f"  Person {index}: {describe_person(person)}"
            for index, person in enumerate(draft.people, start=1)
        )
    else:
        lines.append("People involved: none described")
    if draft.photos_allowed:
        lines.append(f"Photos: {len(draft.photos)} attached" if draft.photos else "Photos: none")
    if draft.asks_value:
        value = format_money(draft.value_pence) if draft.value_pence else "not given"
        lines.append(f"Value: {value}")
    lines.append(f"Police reference: {draft.police_reference or 'none'}")
    if draft.gallery_offered:
        lines.append(f"Gallery entry: {draft.subject_label or 'none'}")
    if draft.asks_business_name:
        shown = "shown" if draft.show_business_name else "not shown"
        lines.append(f"Your business name on the card: {shown}")
    lines.append("")
    lines.append("Press Submit to post it to the scheme, or change any part first.")
    return "\n".join(lines)


def submitted(reference: str, scheme_name: str | None) -> str:
    """The trader's confirmation."""
    return (
        f"Thank you. Your incident is {reference}, filed with {scheme_name or 'your scheme'}. "
        "I'm posting its card in the scheme's group now."
    )


def card_not_posted(reference: str, problem: str) -> str:
    """The trader's incident is safe although its card could not go to the group."""
    return (
        f"Your incident {reference} is saved and the scheme's coordinator will see it.\n\n{problem}"
    )


def card_problem_for_coordinator(reference: str, scheme_name: str | None, problem: str) -> str:
    """Tells a coordinator that a new incident's card is missing from the group, and why."""
    return (
        f"New incident {reference} in {scheme_name or 'your scheme'} is saved, but its card "
        f"could not be posted in the scheme's group.\n\nWhat went wrong: {problem}"
    )
