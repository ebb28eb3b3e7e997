"""What the report conversation says, independent of the messenger."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.reports.categories import STATUS_LABELS, category_info
from core.reports.draft import CONTACT_LABELS, MAX_PHOTOS, Draft
from core.reports.filing import CaseReviewNotice, Filed, FlaggedReview
from core.reports.matching import CaseReviewRules
from core.reports.parsing import MAX_DESCRIPTION, MIN_DESCRIPTION
from core.reports.status import ReporterUpdate
from core.texts import EMERGENCY_ADVICE
from storage.models import Report

INTRO = (
    "Report a problem\n\n"
    f"{EMERGENCY_ADVICE} This is not monitored around the clock.\n\n"
    "What kind of problem is it?"
)
DANGER_NOW = (
    "If anyone is in danger right now, please call 999 immediately. "
    "For non-emergency crime call 101. You can carry on with this report afterwards."
)
ASK_SUBTYPE = "Which of these fits best?"
ASK_LOCATION = (
    "Where did it happen?\n\n"
    "Share a location pin (the button below, or the paperclip then Location), or type the "
    'place, e.g. "Benches outside the library, Mill Road", or a UK postcode like CB1 2AB.'
)
ASK_WHEN = (
    "When did it happen? Pick one, or type a date and time, e.g. 21/11/2026 18:30 or yesterday 9pm."
)
ASK_DESCRIPTION = (
    f"What happened? Describe it in your own words ({MIN_DESCRIPTION} to {MAX_DESCRIPTION} "
    "characters).\n\nDescribe what people did, their clothing and anything distinctive, "
    "not who they are: please leave out ethnicity, religion and other personal "
    "characteristics unless they are why this was a hate incident."
)
ASK_PHOTOS = (
    f"Would you like to add photos? Send up to {MAX_PHOTOS} (an album is fine), "
    "then press Done. Or press Skip."
)
ASK_CONTACT = "Can the coordinator contact you about this report?"
EXPIRED = (
    "Your unfinished report was idle for too long, so I have discarded it; nothing was filed. "
    "Send /report to start again."
)
CANCELLED = "Report cancelled. Nothing was filed. Send /report whenever you want to start again."
STALE_BUTTON = "That button belongs to an earlier message. Please use the latest one."
OLD_SUMMARY = (
    "That summary is out of date: you changed the report since. Here is the latest one to check."
)
NO_REPORT_IN_PROGRESS = (
    "That report is no longer in progress (it was cancelled, expired, or interrupted by a "
    "restart), so nothing was filed from it. Send /report to start again."
)


def when_text(moment: datetime, tz: ZoneInfo) -> str:
    """A moment as residents read it: Sat 21 Nov 2026, 18:30."""
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M")


def filed_when(report: Report, tz: ZoneInfo) -> str:
    """When it happened, as it reads days later: "Sat 21 Nov 2026 (reported as yesterday)"."""
    if not report.occurred_label or report.occurred_label == "Just now":
        return when_text(report.occurred_at, tz)
    day = report.occurred_at.astimezone(tz).strftime("%a %d %b %Y")
    return f"{day} (reported as {report.occurred_label.lower()})"


def _where(
    draft_place: str | None, postcode: str | None, lat: float | None, lon: float | None
) -> str:
    parts = [part for part in (draft_place, postcode) if part]
    if lat is not None and lon is not None:
        parts.append(f"pin at {lat:.5f}, {lon:.5f}")
    return ", ".join(parts) or "not given"


def review(draft: Draft, tz: ZoneInfo) -> str:
    """The summary a resident checks before submitting."""
    info = category_info(draft.category) if draft.category else None
    kind = info.label if info else "not given"
    if draft.subtype:
        kind += f" ({draft.subtype})"
    occurred = draft.occurred
    when = draft.occurred_label or (when_text(occurred, tz) if occurred else "not given")
    photos = f"{len(draft.photos)} attached" if draft.photos else "none"
    contact = CONTACT_LABELS[draft.contact_choice] if draft.contact_choice else "not given"
    return "\n".join(
        [
            "Please check your report:",
            "",
            f"What: {kind}",
            f"Where: {_where(draft.place, draft.postcode, draft.latitude, draft.longitude)}",
            f"When: {when}",
            f"What happened: {draft.description or 'not given'}",
            f"Photos: {photos}",
            f"Contact: {contact}",
            "",
            "Press Submit to send it, or change any part first.",
        ]
    )


def submitted(filed: Filed) -> str:
    """The confirmation after filing."""
    lines = [
        f"Thank you. Your report is {filed.reference}.",
        "",
        "What happens next: a coordinator"
        + (f" for {filed.scheme_name}" if filed.scheme_name else "")
        + " will review it. "
        + (
            "You will get a message here each time its status changes."
            if filed.gets_updates
            else "You chose to stay anonymous without updates, so we will not message you."
        ),
        "Send /myreports to see your reports and their status.",
    ]
    if filed.cluster_others:
        lines += [
            "",
            f"Others have reported something similar nearby recently ({filed.cluster_others} "
            "other report(s)), so the coordinator will look at them together.",
        ]
    elif filed.cluster_size > 1:
        lines += [
            "",
            "It is linked with your earlier report(s) of the same problem, so the coordinator "
            "will see them together.",
        ]
    return "\n".join(lines)


def _months(count: int) -> str:
    return "six months" if count == 6 else f"{count} months"


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def case_review_notice(notice: CaseReviewNotice, rules: CaseReviewRules) -> str:
    """The ASB Case Review advice a resident gets after filing, in the scheme's own terms."""
    window = _months(rules.window_months)
    if not notice.qualifies:
        return (
            f"You have now reported this problem {_times(notice.count)} in {window}. If it "
            "carries on, you can ask for an ASB Case Review (also called the Community "
            "Trigger): agencies then review together how they have responded. Here it "
            f"becomes available at {rules.reports_by_one_person} reports by you in {window} "
            "(each within a month of what happened), or when "
            f"{rules.people_reporting} people report the same problem."
        )
    why = (
        f"you have reported this problem {_times(notice.count)} in {window}"
        if notice.route == "individual"
        else f"{notice.count} people have reported this problem in {window}"
    )
    return (
        f"You can now ask for an ASB Case Review (Community Trigger): {why}. "
        "We have flagged it to the coordinator, who should acknowledge it within 10 working "
        'days and decide within 15. To apply, press "Ask for a case review" below, or use '
        "your council's ASB Case Review form."
    )


def new_report_for_coordinator(report: Report, filed: Filed, tz: ZoneInfo) -> str:
    """The notification coordinators get when a report is filed."""
    info = category_info(report.category.value)
    where = _where(report.location_text, report.postcode, report.latitude, report.longitude)
    lines = [
        f"New report {report.reference}: {info.label}"
        + (f" ({report.subtype})" if report.subtype else ""),
        f"Where: {where}",
        f"When: {filed_when(report, tz)}",
        f"Photos: {len(report.photos)}",
    ]
    if filed.cluster_size > 1:
        lines.append(f"Linked with {filed.cluster_size - 1} similar open report(s) nearby.")
    return "\n".join(lines)


def case_review_flag(flagged: FlaggedReview, tz: ZoneInfo, now: datetime) -> str:
    """The coordinators' alert that a case review threshold has been met."""
    route = (
        "one person's repeated reports"
        if flagged.route == "individual"
        else "reports from several people"
    )
    return "\n".join(
        [
            f"ASB Case Review threshold met ({route}).",
            "Qualifying reports: " + ", ".join(flagged.references),
            f"Flagged {when_text(now, tz)}. Acknowledge within 10 working days; decide within 15.",
        ]
    )


def status_update(update: ReporterUpdate) -> str:
    """What a reporter is told when their report's status changes."""
    text = f"Update on your report {update.reference}: {STATUS_LABELS[update.status]}."
    if update.note:
        text += f"\n\nNote from the coordinator: {update.note}"
    return text


def report_detail(
    report: Report, tz: ZoneInfo, *, for_coordinator: bool, reporter_name: str | None
) -> str:
    """A report in full with its history."""
    info = category_info(report.category.value)
    where = _where(report.location_text, report.postcode, report.latitude, report.longitude)
    lines = [
        f"{report.reference}: {info.label}" + (f" ({report.subtype})" if report.subtype else ""),
        f"Status: {STATUS_LABELS[report.status]}",
        f"Where: {where}",
        f"When: {filed_when(report, tz)}",
        f"Filed: {when_text(report.created_at, tz)}",
        f"Photos: {len(report.photos)}",
    ]
    if for_coordinator:
        lines.append(
            "Reporter: anonymous"
            if report.anonymous or not reporter_name
            else f"Reporter: {reporter_name} (may be contacted)"
        )
    lines += ["", report.description, "", "History:"]
    for event in report.events:
        label = STATUS_LABELS[event.to_status] if event.to_status else event.kind
        entry = f"- {when_text(event.created_at, tz)}: {label}"
        if event.note:
            entry += f" - {event.note}"
        lines.append(entry)
    return "\n".join(lines)
