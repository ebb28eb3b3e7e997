"""What residents can report, in their words, with the sub-types that help a coordinator act."""

from __future__ import annotations

from dataclasses import dataclass

from core.enums import ReportCategory, ReportStatus
from core.errors import InvalidInput


@dataclass(frozen=True)
class CategoryInfo:
    """A report category as residents see it."""

    category: ReportCategory
    label: str
    subtypes: tuple[str, ...] = ()


CATEGORIES: tuple[CategoryInfo, ...] = (
    CategoryInfo(
        ReportCategory.ASB,
        "Anti-social behaviour",
        ("Rowdy or nuisance behaviour", "Intimidation or harassment", "Begging", "Other"),
    ),
    CategoryInfo(
        ReportCategory.STREET_DRINKING,
        "Street drinking",
        ("Drinking in a public place", "Drunk and disorderly", "Litter from drinking"),
    ),
    CategoryInfo(
        ReportCategory.FLY_TIPPING,
        "Fly tipping",
        ("Household rubbish", "Furniture or mattress", "Builders' rubble", "Hazardous waste"),
    ),
    CategoryInfo(ReportCategory.DRUG_DEALING, "Drug dealing or use"),
    CategoryInfo(
        ReportCategory.SPEEDING,
        "Speeding or dangerous driving",
        ("Car or van", "Motorbike", "E-scooter or e-bike", "Racing or revving"),
    ),
    CategoryInfo(ReportCategory.BIKE_THEFT, "Bike theft"),
    CategoryInfo(
        ReportCategory.VANDALISM,
        "Vandalism or graffiti",
        ("Graffiti", "Damage to property", "Damage to a vehicle"),
    ),
    CategoryInfo(
        ReportCategory.NOISE,
        "Noise",
        ("Loud music", "Shouting or parties", "Vehicles", "Other noise"),
    ),
    CategoryInfo(
        ReportCategory.SCAM,
        "Scam",
        ("Phone call or text", "Doorstep", "Online or email"),
    ),
    CategoryInfo(ReportCategory.HATE_INCIDENT, "Hate incident"),
    CategoryInfo(ReportCategory.OTHER, "Something else"),
)

_BY_VALUE = {info.category.value: info for info in CATEGORIES}

STATUS_LABELS: dict[ReportStatus, str] = {
    ReportStatus.RECEIVED: "Received",
    ReportStatus.UNDER_REVIEW: "Under review",
    ReportStatus.REFERRED: "Referred to partner",
    ReportStatus.ACTION_TAKEN: "Action taken",
    ReportStatus.CLOSED: "Closed - no further action",
}

OPEN_STATUSES = frozenset({ReportStatus.RECEIVED, ReportStatus.UNDER_REVIEW, ReportStatus.REFERRED})


def category_info(value: str) -> CategoryInfo:
    """The category for a value from a button; refuses anything we do not offer."""
    info = _BY_VALUE.get(value)
    if info is None:
        raise InvalidInput("That isn't one of the categories I offer. Please pick one below.")
    return info


def subtype_at(info: CategoryInfo, index: int) -> str:
    """The sub-type at a button's index; refuses an index we did not offer."""
    if not 0 <= index < len(info.subtypes):
        raise InvalidInput("That isn't one of the options for this category. Please pick one.")
    return info.subtypes[index]
