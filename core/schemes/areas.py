"""The areas a scheme covers, typed by a coordinator as names and UK postcode districts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput

MAX_AREAS = 20
MAX_DISTRICTS = 60
MAX_AREA_NAME = 60
EXAMPLE = "Town centre: LS1, LS2\nHeadingley: LS6"

# Every UK postcode area (the letters before the first digit), BFPO and non-geographic included.
_AREA_LETTERS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL "
    "DN DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW "
    "KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH "
    "RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF "
    "WN WR WS WV YO ZE"
)
POSTCODE_AREAS = frozenset(_AREA_LETTERS.split())

_DISTRICT = re.compile(r"([A-Z]{1,2})([0-9][0-9A-Z]?)", re.ASCII)
_FULL_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?)\s*[0-9][A-Z]{2}", re.ASCII)


@dataclass(frozen=True)
class AreaSpec:
    """One area: a name and the postcode districts it covers."""

    name: str
    districts: tuple[str, ...]


def check_district(text: str) -> str:
    """A postcode district in capitals ("ls6" -> "LS6"), or why it is not one."""
    compact = "".join(text.split()).upper()
    full = _FULL_POSTCODE.fullmatch(compact)
    if full is not None:
        raise InvalidInput(
            f"{text.strip()} is a full postcode. Give just its district, {full.group(1)}, "
            "and I'll cover the whole district."
        )
    match = _DISTRICT.fullmatch(compact)
    if match is None or not compact.isascii():
        raise InvalidInput(
            f'"{text.strip()}" is not a UK postcode district. Districts are the first half of '
            "a postcode, like LS6, M1 or EC1A."
        )
    if match.group(1) not in POSTCODE_AREAS:
        raise InvalidInput(
            f"{compact} is not a UK postcode district: there is no {match.group(1)} postcode "
            "area. Please check it."
        )
    return compact


def _districts(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for listed in text.split(","):
        if _FULL_POSTCODE.fullmatch("".join(listed.split()).upper()):
            check_district(listed)  # explains that a full postcode is not a district
        for part in listed.split():
            district = check_district(part)
            if district not in found:
                found.append(district)
    if not found:
        raise InvalidInput(
            f'"{text.strip()}" has no postcode districts. Give at least one, e.g. LS6.'
        )
    return tuple(found)


def _area(line: str) -> AreaSpec:
    name, colon, rest = line.partition(":")
    if not colon:
        districts = _districts(line)
        return AreaSpec(name=", ".join(districts), districts=districts)
    name = " ".join(name.split())
    if len(name) < 2:
        raise InvalidInput(f'"{line.strip()}" needs a name before the colon, e.g. {EXAMPLE}.')
    if len(name) > MAX_AREA_NAME:
        raise InvalidInput(
            f'The area name "{name[:30]}..." is too long: keep it under {MAX_AREA_NAME} characters.'
        )
    return AreaSpec(name=name, districts=_districts(rest))


def parse_areas(text: str) -> list[AreaSpec]:
    """Reads one area per line (or separated by ";"): `Name: LS1, LS2`, or just `LS6`."""
    lines = [line for line in re.split(r"[\n;]+", text) if line.strip()]
    if not lines:
        raise InvalidInput("Please give at least one area, for example:\n" + EXAMPLE)
    if len(lines) > MAX_AREAS:
        raise InvalidInput(f"That is {len(lines)} areas; a scheme can have up to {MAX_AREAS}.")
    areas = [_area(line) for line in lines]
    names = [area.name.lower() for area in areas]
    for area in areas:
        if names.count(area.name.lower()) > 1:
            raise InvalidInput(
                f'Two areas are called "{area.name}": please give each its own name.'
            )
    if sum(len(area.districts) for area in areas) > MAX_DISTRICTS:
        raise InvalidInput(f"That is too many districts: a scheme can cover up to {MAX_DISTRICTS}.")
    return areas


def describe_areas(areas: list[AreaSpec]) -> str:
    """The areas one per line, as the summary shows them."""
    return "\n".join(
        f"- {area.name}"
        + ("" if area.name == ", ".join(area.districts) else f" ({', '.join(area.districts)})")
        for area in areas
    )
