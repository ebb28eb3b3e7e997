"""Button payloads, deep links and warnings: what the bot writes it can read back, and it fits.

Every `CallbackData` family packs and unpacks to itself, fits Telegram's 64 bytes with the
largest values it can carry, and refuses anything else with the documented ValueError or
TypeError. /start payloads are read or refused, never crash. Any warning the composer accepts
renders within Telegram's text and caption limits.
"""

from __future__ import annotations

import string
import types
import typing
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

import handlers
from bot.oversized_ids import LARGEST_ID, carries_oversized_number
from broadcast.render import CAPTION_LIMIT, SEVERITY_LABELS, TEXT_LIMIT, render_alert
from core.broadcasts.draft import (
    EXPIRY_CHOICES,
    MAX_HEADLINE,
    MAX_INSTRUCTION,
    MAX_TEXT,
    MIN_HEADLINE,
    MIN_TEXT,
    SEVERITY_WORDS,
    STATUS_WORDS,
    ComposeDraft,
    check_fits,
    check_headline,
    check_instruction,
    check_text,
    expiry_label,
    preview_text,
)
from core.deeplinks import JoinScheme, parse_start_payload
from core.enums import AlertMessageType, AlertStatus, Severity
from core.errors import InvalidInput
from core.invites import new_code
from core.schemes.areas import MAX_AREA_NAME
from tests.support.soak import scale

TELEGRAM_CALLBACK_BYTES = 64
# `make soak` runs thousands of examples per property.
pytestmark = pytest.mark.timeout(scale(60, 1800))

handlers.get_routers()  # imports every handler module, and with them every payload class


def _payload_classes(cls: type[CallbackData]) -> list[type[CallbackData]]:
    found: list[type[CallbackData]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_payload_classes(sub)]
    return found


PAYLOADS = sorted(_payload_classes(CallbackData), key=lambda cls: str(cls.__prefix__))

# The largest values each kind of field carries in practice. Row ids are BIGINT, but a
# trillion rows is beyond any deployment; Telegram user ids fit in 52 bits; `flow` is
# secrets.token_hex(4); free-text `value`s are enum values, row ids, state names or tokens.
LARGEST_ROW_ID = 10**12 - 1
LARGEST_TELEGRAM_ID = 2**52
LARGEST_PAGE = 9_999
LARGEST_VALUE = "x" * 20
INT_FIELDS: dict[str, int] = {
    "for_user": LARGEST_TELEGRAM_ID,
    "user_id": LARGEST_TELEGRAM_ID,
    "page": LARGEST_PAGE,
    "types": 2**9 - 1,
    "since": 99_991_231,
    "until": 99_991_231,
    "hours": 47,
    "reason": 99,
}
STR_FIELDS: dict[str, str] = {
    "flow": "f" * 8,
    "value": LARGEST_VALUE,
    "at": LARGEST_VALUE,
    "kind": "single",
    "period": "30d",
    "status": "in_progress",
    "category": "street_drinking",
}


def _enum_of(annotation: Any) -> type[Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, Enum):
                return arg
    return None


def _field_values(name: str, field: FieldInfo) -> st.SearchStrategy[Any]:
    """Any value the bot could put in this field."""
    enum = _enum_of(field.annotation)
    if enum is not None:
        values = st.sampled_from(list(enum))
        return values if field.is_required() else st.one_of(st.none(), values) | values
    kind: object = field.annotation
    if kind is bool:
        return st.booleans()
    if kind is int:
        return st.integers(min_value=-1 if name == "reason" else 0, max_value=_largest_int(name))
    if kind is str:
        return st.text(
            alphabet=string.ascii_letters + string.digits + "_-",
            # aiogram reads an empty field back as its default, so the bot never sends one.
            min_size=0 if field.default == "" else 1,
            max_size=len(STR_FIELDS.get(name, LARGEST_VALUE)),
        )
    raise AssertionError(f"a payload field of a new kind: {name}: {field.annotation}")


def _largest_int(name: str) -> int:
    return INT_FIELDS.get(name, LARGEST_ROW_ID)


def _largest(name: str, field: FieldInfo) -> Any:
    enum = _enum_of(field.annotation)
    if enum is not None:
        return max(enum, key=lambda member: len(str(member.value)))
    kind: object = field.annotation
    if kind is bool:
        return True
    if kind is int:
        return _largest_int(name)
    return STR_FIELDS.get(name, LARGEST_VALUE)


def payloads(cls: type[CallbackData]) -> st.SearchStrategy[CallbackData]:
    """Instances of one payload class with any values the bot could give it."""
    fields = {name: _field_values(name, field) for name, field in cls.model_fields.items()}
    return st.fixed_dictionaries(fields).map(lambda values: cls(**values))


any_payload = st.sampled_from(PAYLOADS).flatmap(payloads)
ids = [cls.__name__ for cls in PAYLOADS]


def test_every_family_of_buttons_is_covered() -> None:
    assert len(PAYLOADS) >= 30
    assert {cls.__prefix__ for cls in PAYLOADS} >= {"m1", "r1", "i1c", "s1d", "g1", "b1f", "s1"}


@pytest.mark.parametrize("cls", PAYLOADS, ids=ids)
def test_the_largest_values_a_button_can_carry_fit_telegrams_64_bytes(
    cls: type[CallbackData],
) -> None:
    largest = cls(**{name: _largest(name, field) for name, field in cls.model_fields.items()})
    packed = largest.pack()
    assert len(packed.encode()) <= TELEGRAM_CALLBACK_BYTES, packed
    assert cls.unpack(packed) == largest


@settings(max_examples=scale(400, 10_000))
@given(any_payload)
def test_a_button_reads_back_as_exactly_what_was_packed(payload: CallbackData) -> None:
    cls = type(payload)
    packed = payload.pack()
    assert len(packed.encode()) <= TELEGRAM_CALLBACK_BYTES
    assert cls.unpack(packed) == payload
    assert cls.unpack(packed).pack() == packed


@settings(max_examples=scale(300, 5_000))
@given(any_payload, st.sampled_from(PAYLOADS))
def test_no_family_reads_another_familys_button(
    payload: CallbackData, cls: type[CallbackData]
) -> None:
    if isinstance(payload, cls):
        return
    with pytest.raises((ValueError, TypeError)):
        cls.unpack(payload.pack())


forged_data = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda prefix, parts: ":".join([prefix, *parts]),
        st.sampled_from([str(cls.__prefix__) for cls in PAYLOADS]),
        st.lists(st.text(alphabet="0123456789-_:abcxyz²٣ \x00", max_size=20), max_size=8),
    ),
)


@settings(max_examples=scale(400, 10_000))
@given(st.sampled_from(PAYLOADS), forged_data)
def test_forged_button_data_is_read_or_refused_with_value_or_type_error(
    cls: type[CallbackData], data: str
) -> None:
    try:
        payload = cls.unpack(data)
    except (ValueError, TypeError):
        return
    assert isinstance(payload, cls)
    for name, field in cls.model_fields.items():
        value = getattr(payload, name)
        enum = _enum_of(field.annotation)
        if enum is not None and value is not None:
            assert isinstance(value, enum)
        elif field.annotation is int:
            assert isinstance(value, int)


# ------------------------------------------------------------------------- deep links

LINK_ALPHABET = string.ascii_letters + string.digits + "_-"
link_like = st.one_of(
    st.text(alphabet=LINK_ALPHABET, max_size=70),
    st.text(alphabet=LINK_ALPHABET, max_size=40).map(lambda rest: "join_" + rest),
    st.text(max_size=80),
    st.text(alphabet=LINK_ALPHABET, min_size=1, max_size=40).map(lambda p: p + "\n"),
)


@given(st.one_of(st.none(), link_like))
@example("join_ABCDEF12\n")
@example("join_" + "A" * 32)
def test_a_start_payload_is_read_or_refused_never_a_crash(payload: str | None) -> None:
    try:
        asked = parse_start_payload(payload)
    except InvalidInput as refused:
        assert refused.message == "That link is not one of ours, so I have ignored it."
        return
    if payload in (None, ""):
        assert asked is None
        return
    assert isinstance(asked, JoinScheme)
    assert payload == f"join_{asked.code}"
    assert 1 <= len(payload) <= 64 and set(payload) <= set(LINK_ALPHABET)


@given(st.integers(min_value=0, max_value=100))
def test_every_invite_link_made_reads_back_as_its_own_code(_: int) -> None:
    code = new_code()
    payload = f"join_{code}"
    assert len(payload) <= 64 and set(payload) <= set(LINK_ALPHABET)
    assert parse_start_payload(payload) == JoinScheme(code=code)


# --------------------------------------------------------------------- warnings (CAP)

LONDON = ZoneInfo("Europe/London")
PHOTO = "AgACAgQAAx0-photo"
ANCHOR = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=2100
)


@st.composite
def accepted_drafts(draw: st.DrawFn, *, photo: bool | None = None) -> ComposeDraft:
    """A warning as the composer holds it once every answer has passed its check."""
    headline = draw(_accepted(check_headline, MIN_HEADLINE, MAX_HEADLINE))
    description = draw(_accepted(check_text, MIN_TEXT, MAX_TEXT))
    instruction = draw(st.one_of(st.none(), _accepted(check_instruction, 3, MAX_INSTRUCTION)))
    typed_expiry = draw(st.one_of(st.none(), st.timedeltas(timedelta(minutes=1), timedelta(30))))
    return ComposeDraft(
        scheme_id=1,
        headline=headline,
        description=description,
        instruction=instruction,
        severity=draw(st.sampled_from(list(Severity))).value,
        status=draw(st.sampled_from(list(STATUS_WORDS))).value,
        message_type=draw(st.sampled_from(list(AlertMessageType))).value,
        expiry_hours=draw(st.sampled_from(EXPIRY_CHOICES)),
        expires_at=None if typed_expiry is None else (ANCHOR + typed_expiry).isoformat(),
        photo_file_id=(
            draw(st.sampled_from([None, PHOTO])) if photo is None else (PHOTO if photo else None)
        ),
        area_text=draw(st.one_of(st.none(), st.text(min_size=1, max_size=MAX_AREA_NAME))),
    )


def _accepted(check: Any, shortest: int, longest: int) -> st.SearchStrategy[str]:
    """Answers `check` accepts, from the shortest to a little past its limit."""
    visible = st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Z"])
    text = st.text(
        alphabet=st.one_of(visible, st.sampled_from(" \n")),
        min_size=shortest,
        max_size=longest + 20,
    )
    return text.filter(_passes(check)).map(check)


def _passes(check: Any) -> Any:
    def passes(text: str) -> bool:
        try:
            check(text)
        except InvalidInput:
            return False
        return True

    return passes


@settings(max_examples=scale(60, 2_000))
@given(accepted_drafts())
def test_a_warning_the_composer_accepts_fits_in_one_telegram_message(draft: ComposeDraft) -> None:
    limit = CAPTION_LIMIT if draft.photo_file_id else TEXT_LIMIT
    text = preview_text(draft, anchor=ANCHOR, tz=LONDON)
    try:
        check_fits(draft, anchor=ANCHOR, tz=LONDON)
    except InvalidInput as refused:
        assert len(text) > limit
        assert f"{limit:,}" in refused.message
        return
    assert len(text) <= limit
    assert draft.headline is not None and draft.headline in text


@settings(max_examples=scale(40, 2_000))
@given(accepted_drafts(photo=False))
def test_without_a_photo_every_accepted_warning_fits(draft: ComposeDraft) -> None:
    check_fits(draft, anchor=ANCHOR, tz=LONDON)
    assert len(preview_text(draft, anchor=ANCHOR, tz=LONDON)) <= TEXT_LIMIT


@given(words)
def test_headline_text_and_instruction_checks_keep_to_their_limits_and_are_stable(
    text: str,
) -> None:
    for check, longest in (
        (check_headline, MAX_HEADLINE),
        (check_text, MAX_TEXT),
        (check_instruction, MAX_INSTRUCTION),
    ):
        try:
            value = check(text)
        except InvalidInput as refused:
            assert refused.message
            continue
        assert len(value) <= longest and value == value.strip()
        assert check(value) == value


@given(
    st.sampled_from(list(Severity)),
    st.sampled_from(list(AlertStatus)),
    st.sampled_from(list(AlertMessageType)),
    st.sampled_from(EXPIRY_CHOICES),
)
def test_every_severity_status_and_kind_has_words_and_an_expiry_after_sending(
    severity: Severity, status: AlertStatus, kind: AlertMessageType, hours: int
) -> None:
    draft = ComposeDraft(
        scheme_id=1,
        headline="Shoplifter on the High Street",
        description="A man in a grey hoodie is taking razors from shelves.",
        severity=severity.value,
        status=status.value,
        message_type=kind.value,
        expiry_hours=hours,
    )
    text = render_alert(draft.to_alert(anchor=ANCHOR, created_by_id=0, sender_chat_id=0), LONDON)
    assert SEVERITY_LABELS[severity] in text
    assert severity in SEVERITY_WORDS
    assert draft.expiry(ANCHOR) == ANCHOR + timedelta(hours=hours) > ANCHOR
    assert expiry_label(hours).split()[0].isdigit()
    until = (ANCHOR + timedelta(hours=hours)).astimezone(LONDON)
    assert text.endswith(f"Until {until:%H:%M} on {until.day} {until:%b %Y}")


@given(
    st.sampled_from(PAYLOADS).flatmap(payloads),
    st.integers(min_value=-LARGEST_ID, max_value=LARGEST_ID),
    st.integers(min_value=LARGEST_ID + 1, max_value=10**60),
    st.booleans(),
)
def test_only_numbers_beyond_every_id_column_mark_a_button_as_forged(
    payload: CallbackData, fits: int, too_big: int, negative: bool
) -> None:
    packed = payload.pack()
    # Free-text fields carry tokens and enum values; a 19-digit token is no id, and none is made.
    assume(not any(part.isdecimal() and len(part) > 18 for part in packed.split(":")))
    assert not carries_oversized_number(f"{packed}:{fits}")
    beyond = -too_big if negative else too_big
    assert carries_oversized_number(f"{packed}:{beyond}")
    assert carries_oversized_number(f"{beyond}:{packed}")
